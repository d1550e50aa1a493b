import Foundation
import PayFlowDomain
import PayFlowPostgres
import PayFlowTestSupport
import Testing
@testable import PayFlowGenerator

/// A batch writes the accounts it changed as one row of
/// `generator_world_account_changes`, and every
/// ``WorldStore/batchesPerFold`` batches those rows are folded into
/// `generator_world_accounts` (`db/0026`): whatever batch a process stops
/// after, what a restart reads (``WorldStore/accounts(of:)``) must be every
/// account's latest committed state, folded or not.
@Suite("Generator world: batches' account changes, folded")
struct WorldAccountChangesTests {
    static let start = EventTimestamp(rfc3339: "2026-11-02T08:00:00Z")!

    /// A state as ``CheckpointJSON`` writes one, with the characters a line
    /// of the changes must keep apart from its separators (tab, newline), a
    /// quote, a backslash and a non-ASCII letter in a string.
    static func state(account: Int, batch: Int) -> String {
        var json = CheckpointJSON(capacity: 64)
        json.beginObject()
        json.key("account")
        json.integer(account)
        json.key("batch")
        json.integer(batch)
        json.key("note")
        json.string("tab\there\nnewline \"quoted\" back\\slash é")
        json.endObject()
        return json.text
    }

    @Test func restartsReadTheLatestStateOfEveryAccountBeforeAndAfterEachFold() async throws {
        try await IntegrationFixture.with { base in
            let store = WorldStore(database: base.database)
            let identity = WorldIdentity(world: 1, seed: 5, accounts: 40, currencies: [.eur])
            try await store.create(identity)
            var random = SeededGenerator(seed: 5)
            var latest: [Int: String] = [:]
            var touchedSinceFold = Set<Int>()
            let batches = 2 * WorldStore.batchesPerFold + 3
            for batch in 1...batches {
                let touched = Array(Set((0..<8).map { _ in Int.random(in: 0..<identity.accounts, using: &random) })).sorted()
                let accounts = touched.map { (index: $0, state: Self.state(account: $0, batch: batch)) }
                let checkpoint = BatchCheckpoint(
                    world: identity.world, run: 1, simulation: "{}", accounts: accounts,
                    firstEventAt: Self.start, lastEventAt: Self.start
                )
                try await base.database.withTransaction { connection in
                    try await WorldStore.write(checkpoint, pending: "[]", on: connection)
                }
                for account in accounts { latest[account.index] = account.state }
                touchedSinceFold.formUnion(touched)

                let read = try await store.accounts(of: identity.world)
                let wrong = Set(read.keys).union(latest.keys).filter { read[$0] != latest[$0] }.sorted()
                #expect(wrong.isEmpty, "accounts a restart after batch \(batch) would read wrong: \(wrong)")
                let held = try await base.database.query(
                    "SELECT count(*) FROM generator_world_account_changes WHERE world = 1"
                ).rows[0].decode(0, as: Int.self)
                #expect(held == batch % WorldStore.batchesPerFold, "batches' changes held after batch \(batch)")
                if batch % WorldStore.batchesPerFold == 0 {
                    let folded = try await base.database.query(
                        "SELECT account_index, state FROM generator_world_accounts WHERE world = 1"
                    ).rows
                    #expect(folded.count == latest.count, "one row per account ever touched, after the fold of batch \(batch)")
                    for row in folded {
                        let index = try row.decode(0, as: Int.self)
                        #expect(try row.decode(1, as: String.self) == latest[index], "account \(index) folded at batch \(batch)")
                    }
                    touchedSinceFold = []
                }
            }
            #expect(!touchedSinceFold.isEmpty, "the run ends with changes not folded, which the last reads laid over the folded rows")
        }
    }

    @Test func changeLinesReadBackAsTheStatesTheyHold() throws {
        let tricky = Self.state(account: 3, batch: 1)
        let text = AccountChangeLines.text([(index: 3, state: tricky), (index: 12, state: "{}")])
        var states = [3: "older", 7: "untouched"]
        try AccountChangeLines.lay(text, over: &states)
        #expect(states == [3: tricky, 7: "untouched", 12: "{}"])
    }

    @Test func aLineWithoutAnAccountIndexIsAnErrorNotASkippedAccount() {
        var states: [Int: String] = [:]
        #expect(throws: WorldStoreError.self) { try AccountChangeLines.lay("3\t{}\n{\"no\":\"index\"}", over: &states) }
    }
}
