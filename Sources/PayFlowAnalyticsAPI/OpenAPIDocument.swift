import Foundation

/// `openapi.json`, the document the server code is generated from, read from
/// the target's resource bundle so that `GET /openapi.json` cannot drift from
/// what the server does.
enum OpenAPIDocument {
    /// Where SwiftPM puts the resource bundle: beside the executable, named
    /// `<package>_<target>`.
    static let bundleName = "payflow_PayFlowAnalyticsAPI"

    /// The document's bytes, or nil when the bundle was not deployed beside the
    /// binary.
    ///
    /// Looked up by hand rather than through `Bundle.module`, whose accessor
    /// stops the process with `fatalError` when the bundle is missing: a
    /// missing document must cost `/openapi.json` only, not the service.
    static func load() -> [UInt8]? {
        var directories: [URL] = [Bundle.main.bundleURL]
        if let executable = Bundle.main.executableURL {
            directories.append(executable.deletingLastPathComponent())
        }
        if let resources = Bundle.main.resourceURL {
            directories.append(resources)
        }
        for directory in directories {
            for suffix in ["resources", "bundle"] {
                let bundleURL = directory.appendingPathComponent("\(Self.bundleName).\(suffix)")
                guard let bundle = Bundle(url: bundleURL),
                      let documentURL = bundle.url(forResource: "openapi", withExtension: "json"),
                      let data = try? Data(contentsOf: documentURL)
                else { continue }
                return [UInt8](data)
            }
        }
        return nil
    }
}
