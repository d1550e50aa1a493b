import Foundation

/// The `openapi.json` a spec-first API was generated from, read from its
/// target's resource bundle so that `GET /openapi.json` cannot drift from
/// what the server does. Shared by the generator and analytics APIs, which
/// serve it with ``Router/addOpenAPIDocument(bundleName:logger:)``.
public enum OpenAPIDocument {
    /// The document's bytes from the bundle SwiftPM names `<package>_<target>`
    /// (e.g. `payflow_PayFlowAnalyticsAPI`), beside the executable; nil when
    /// the bundle was not deployed with the binary.
    ///
    /// Looked up by hand rather than through `Bundle.module`, whose accessor
    /// stops the process with `fatalError` when the bundle is missing: a
    /// missing document must cost `/openapi.json` only, not the service.
    public static func load(bundleName: String) -> [UInt8]? {
        var directories: [URL] = [Bundle.main.bundleURL]
        if let executable = Bundle.main.executableURL {
            directories.append(executable.deletingLastPathComponent())
        }
        if let resources = Bundle.main.resourceURL {
            directories.append(resources)
        }
        for directory in directories {
            for suffix in ["resources", "bundle"] {
                let bundleURL = directory.appendingPathComponent("\(bundleName).\(suffix)")
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
