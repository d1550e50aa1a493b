import Foundation
import PayFlowTestSupport
import Testing

/// `.env.example` is the one reference for settings (the README links to it
/// instead of restating it), so it must not fall behind the code.
@Suite("Settings reference")
struct SettingsReferenceTests {
    @Test func everySettingTheCodeReadsIsDocumented() throws {
        let root = TestServers.repositoryRoot
        let documented = try Self.variables(in: String(contentsOf: root.appendingPathComponent(".env.example"), encoding: .utf8), pattern: #"(?m)^#? ?([A-Z][A-Z0-9_]+)="#)
        var read: Set<String> = []
        let sources = root.appendingPathComponent("Sources")
        let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)?.compactMap { $0 as? URL } ?? []
        for file in files where file.pathExtension == "swift" {
            // A setting is read by name: `environment.integer("STREAM_BATCH_SIZE", ...)`,
            // `environment.values["ADMIN_TOKEN"]`. Such names are the only
            // upper-case, underscore-separated string literals in Sources.
            read.formUnion(try Self.variables(in: String(contentsOf: file, encoding: .utf8), pattern: #""([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)""#))
        }
        #expect(read.count > 30, "the scan found the settings the code reads")
        #expect(read.subtracting(documented).sorted() == [], "read by the code but missing from .env.example")
    }

    static func variables(in text: String, pattern: String) throws -> Set<String> {
        let regex = try NSRegularExpression(pattern: pattern)
        let range = NSRange(text.startIndex..., in: text)
        return Set(regex.matches(in: text, range: range).compactMap { match in
            Range(match.range(at: 1), in: text).map { String(text[$0]) }
        })
    }
}
