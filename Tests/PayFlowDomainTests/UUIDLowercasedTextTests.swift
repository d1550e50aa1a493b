import Foundation
import PayFlowDomain
import Testing

/// `lowercasedText` is the text every id is written as (stream fields, SQL
/// arrays, alert ids, the audit chain's hashed prefix), so it must be exactly
/// Foundation's form in lower case, byte for byte.
@Suite("UUID lower-case text")
struct UUIDLowercasedTextTests {
    @Test func itIsFoundationsTextInLowerCase() {
        let edges = [
            UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
            UUID(uuid: (255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255)),
            UUID(uuid: (0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10)),
        ]
        #expect(edges[2].lowercasedText == "01234567-89ab-cdef-fedc-ba9876543210")
        for id in edges + (0..<10_000).map({ _ in UUID() }) {
            #expect(id.lowercasedText == id.uuidString.lowercased())
            #expect(UUID(uuidString: id.lowercasedText) == id)
        }
    }
}
