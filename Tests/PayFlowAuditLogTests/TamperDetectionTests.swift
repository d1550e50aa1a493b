import Foundation
import PayFlowAuditLog
import PayFlowPostgres
import Testing

/// `audit verify` must name the row a change starts at. Each test stores 20
/// rows in one chain, changes the database behind the writer's back, and
/// checks the verdict.
@Suite("audit log: tampering is detected")
struct TamperDetectionTests {
    func withStoredChain(_ body: (AuditFixture) async throws -> Void) async throws {
        try await AuditFixture.with { fixture in
            _ = try await fixture.withWriter { writer async throws in
                try await writer.append(AuditFixture.records(20))
            }
            #expect(try await fixture.verify() == .intact(rows: 20, chains: 1))
            try await body(fixture)
        }
    }

    func broken(_ fixture: AuditFixture) async throws -> AuditChainBreak? {
        guard case .broken(let failure) = try await fixture.verify() else { return nil }
        return failure
    }

    @Test func anUpdatedFieldIsDetectedAtItsRow() async throws {
        try await self.withStoredChain { fixture in
            try await fixture.database.query(
                "UPDATE audit_log SET fields = jsonb_set(fields, '{amount}', '\"1\"') WHERE entry_id = '1007-0'"
            )
            let failure = try #require(try await self.broken(fixture))
            #expect(failure.entryID == "1007-0")
            #expect(failure.sequence == 8)
            #expect(failure.problem.contains("changed"))
        }
    }

    @Test func anUpdatedEventIDIsDetected() async throws {
        try await self.withStoredChain { fixture in
            try await fixture.database.query("UPDATE audit_log SET event_id = 'evt-x' WHERE entry_id = '1003-0'")
            #expect(try await self.broken(fixture)?.entryID == "1003-0")
        }
    }

    @Test func aDeletedRowIsDetectedAtTheRowAfterIt() async throws {
        try await self.withStoredChain { fixture in
            try await fixture.database.query("DELETE FROM audit_log WHERE entry_id = '1012-0'")
            let failure = try #require(try await self.broken(fixture))
            #expect(failure.entryID == "1013-0")
            #expect(failure.problem.contains("missing"))
        }
    }

    @Test func deletedRowsAtTheEndAreDetectedByTheHead() async throws {
        try await self.withStoredChain { fixture in
            try await fixture.database.query("DELETE FROM audit_log WHERE entry_id IN ('1018-0', '1019-0')")
            let failure = try #require(try await self.broken(fixture))
            #expect(failure.stream == nil)
            #expect(failure.problem.contains("head"))
        }
    }

    @Test func aRowRecomputedWithoutItsSuccessorsIsDetected() async throws {
        // Whoever changes a row and fixes its own hash still breaks the next
        // row's prev_hash.
        try await self.withStoredChain { fixture in
            try await fixture.database.query("""
                UPDATE audit_log SET row_hash = decode(repeat('ab', 32), 'hex') WHERE entry_id = '1004-0'
                """)
            let failure = try #require(try await self.broken(fixture))
            #expect(failure.entryID == "1004-0")
        }
    }

    @Test func aDeletedHeadIsDetected() async throws {
        try await self.withStoredChain { fixture in
            try await fixture.database.query("DELETE FROM audit_chains")
            let failure = try #require(try await self.broken(fixture))
            #expect(failure.problem.contains("no head"))
        }
    }
}
