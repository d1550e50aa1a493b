import Foundation
import PayFlowDomain
import Testing

/// `lowercasedText` is the text every id is written as (stream fields, SQL
/// arrays, alert ids, the audit chain's hashed prefix), so it must be exactly
/// Foundation's form in lower case, byte for byte; `UUID(text:)` reads every
/// id a service gets, so it must accept exactly what Foundation accepts and
/// read the same id.
@Suite("UUID text")
struct UUIDTextTests {
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

    @Test func readingAcceptsWhatFoundationAcceptsAndReadsTheSameID() {
        let known = UUID(uuid: (0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10))
        #expect(UUID(text: "01234567-89ab-cdef-fedc-ba9876543210") == known)
        #expect(UUID(text: "01234567-89AB-CDEF-FEDC-BA9876543210") == known)
        #expect(UUID(text: "01234567-89aB-cDeF-FeDc-bA9876543210") == known)
        for id in (0..<10_000).map({ _ in UUID() }) {
            #expect(UUID(text: id.lowercasedText) == id)
            #expect(UUID(text: id.uuidString) == id)
        }
    }

    /// The last four of these `UUID(uuidString:)` on Linux takes, as other
    /// ids (its `sscanf` skips a space, takes a sign or a `0x`, reads a hyphen
    /// as a digit's end): " 1234567-…" as 12345607-…. An entry whose id text
    /// is not its id's is malformed and goes to the dead letters instead.
    @Test(arguments: [
        "",
        "01234567-89ab-cdef-fedc-ba987654321",     // 35 bytes
        "01234567-89ab-cdef-fedc-ba98765432100",   // 37 bytes
        "0123456789abcdeffedcba9876543210",        // no hyphens
        "0123456-789ab-cdef-fedc-ba9876543210",    // a hyphen too early
        "01234567_89ab_cdef_fedc_ba9876543210",    // other separators
        "0123456g-89ab-cdef-fedc-ba9876543210",    // not hex
        "01234567-89ab-cdef-fedc-ba987654321é",    // 36 characters, 37 bytes
        "01234567-89ab-cdef-fedc-ba98765432\u{0}0", // a NUL inside
        "01234567-89ab-cdef-fedc-ba98765432-0",    // a hyphen among the last digits
        " 1234567-89ab-cdef-fedc-ba9876543210",    // a space
        "+1234567-89ab-cdef-fedc-ba9876543210",    // a sign
        "0x234567-89ab-cdef-fedc-ba9876543210",    // a hex prefix
    ])
    func readingRejectsAnythingButTheHyphenatedHexForm(text: String) {
        #expect(UUID(text: text) == nil)
    }
}
