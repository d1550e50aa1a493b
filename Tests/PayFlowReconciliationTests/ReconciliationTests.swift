import Foundation
import PayFlowDomain
import PayFlowPostgres
import PayFlowReconciliation
import PayFlowRedis
import PayFlowRuntime
import PayFlowTestSupport
import Testing

/// Reconciliation against a real Redis and a real PostgreSQL: hand-made
/// events and ledger rows, one per mismatch kind, the races the grace period
/// exists for, redeliveries, and replicas. The stream name is fixed, so each
/// test has a Redis database of its own (``RedisTestDatabase``); serialized
/// since the days they shared them.
@Suite("Reconciliation", .serialized)
struct ReconciliationTests {
    typealias Fixture = ReconciliationFixture
    typealias Mismatch = ReconciliationFixture.Mismatch

    /// One event of each kind of mismatch, plus clean traffic, written the way
    /// the generator writes (ledger row first, then the event).
    private func writeOneOfEachKind(_ fixture: Fixture) async throws -> Set<Mismatch> {
        var expected: Set<Mismatch> = []
        for _ in 0..<5 {
            let clean = Fixture.payment()
            try await fixture.insertLedgerRow(for: clean)
            try await fixture.xadd(clean)
        }
        let amount = Fixture.payment(amount: 5000)
        try await fixture.insertLedgerRow(for: amount, amount: 5001)
        try await fixture.xadd(amount)
        expected.insert(Mismatch(transaction: amount.id, kind: .amountMismatch))

        let currency = Fixture.payment(currency: .gbp)
        try await fixture.insertLedgerRow(for: currency, currency: .chf)
        try await fixture.xadd(currency)
        expected.insert(Mismatch(transaction: currency.id, kind: .currencyMismatch))

        let account = Fixture.payment(account: "acc-000002")
        try await fixture.insertLedgerRow(for: account, account: "acc-000003")
        try await fixture.xadd(account)
        expected.insert(Mismatch(transaction: account.id, kind: .accountMismatch))

        let missingInReference = Fixture.payment()
        try await fixture.xadd(missingInReference)
        expected.insert(Mismatch(transaction: missingInReference.id, kind: .missingInReference))

        let missingInStream = Fixture.payment()
        try await fixture.insertLedgerRow(for: missingInStream)
        expected.insert(Mismatch(transaction: missingInStream.id, kind: .missingInStream))

        let duplicate = Fixture.payment()
        try await fixture.insertLedgerRow(for: duplicate)
        try await fixture.xadd(duplicate)
        try await fixture.xadd(duplicate)
        expected.insert(Mismatch(transaction: duplicate.id, kind: .duplicateEvent))
        return expected
    }

    /// On one node and on the test cluster (events over three shards, one per
    /// master; mismatches published on their transaction's shard).
    @Test(arguments: RedisPlacement.allCases) func findsEveryKindOfMismatchAndPublishesEachOnce(on placement: RedisPlacement) async throws {
        try await Fixture.with(on: placement, redisDatabase: .reconciliationKinds) { fixture in
            let expected = try await self.writeOneOfEachKind(fixture)
            try await fixture.whileRunning {
                try await eventually("every mismatch found") { try await fixture.mismatches() == expected }
                try await eventually("every mismatch published") { try await fixture.publishedMismatches().count == expected.count }
                // Several grace periods and sweeps later, nothing else turned up.
                try await Task.sleep(for: .seconds(1))
                #expect(try await fixture.mismatches() == expected)
            }
            let published = try await fixture.publishedMismatches()
            #expect(published.count == expected.count)
            let rows = try await fixture.database.query(
                "SELECT mismatch_id::text, kind, transaction_id::text, expected, actual FROM reconciliation_mismatches"
            ).rows
            for row in rows {
                let id = try row.decode(0, as: String.self)
                let entry = try #require(published.first { $0["mismatch_id"] == id })
                #expect(entry["kind"] == (try row.decode(1, as: String.self)))
                #expect(entry["transaction_id"] == (try row.decode(2, as: String.self)))
                #expect(entry["expected"] == (try row.decode(3, as: String.self)))
                #expect(entry["actual"] == (try row.decode(4, as: String.self)))
                #expect(entry["detected_at"].flatMap { EventTimestamp(rfc3339: $0) } != nil)
            }
            let amountRow = try await fixture.database.query(
                "SELECT expected, actual FROM reconciliation_mismatches WHERE kind = 'amount_mismatch'"
            ).first
            #expect(try amountRow?.decode(0, as: String.self) == "5001")
            #expect(try amountRow?.decode(1, as: String.self) == "5000")
        }
    }

    @Test func aLedgerRowCommittedAfterItsEventWithinGraceIsNoMismatch() async throws {
        try await Fixture.with(redisDatabase: .reconciliationGrace, grace: .seconds(2)) { fixture in
            try await fixture.whileRunning {
                let late = Fixture.payment()
                let lateAndWrong = Fixture.payment(amount: 700)
                try await fixture.xadd(late)
                try await fixture.xadd(lateAndWrong)
                try await eventually("both events seen") { try await fixture.seenRowCount() == 2 }
                try await Task.sleep(for: .milliseconds(100))
                try await fixture.insertLedgerRow(for: late)
                try await fixture.insertLedgerRow(for: lateAndWrong, amount: 701)
                // A late row is still compared, by the sweep, as soon as it is there.
                try await eventually("the late row with another amount compared") {
                    try await fixture.mismatches() == [Mismatch(transaction: lateAndWrong.id, kind: .amountMismatch)]
                }
                // Past the grace period: neither missing_in_reference nor missing_in_stream.
                try await Task.sleep(for: .seconds(3))
                #expect(try await fixture.mismatches() == [Mismatch(transaction: lateAndWrong.id, kind: .amountMismatch)])
                let waiting = try await fixture.database.query("SELECT count(*) FROM reconciliation_seen WHERE checked_at IS NULL")
                #expect(try waiting.first?.decode(0, as: Int.self) == 0)
            }
        }
    }

    @Test func redeliveriesAddNothingWhileASecondEntryOfAnEventIsOneDuplicate() async throws {
        try await Fixture.with(redisDatabase: .reconciliationRedeliveries) { fixture in
            let clean = Fixture.payment()
            let wrong = Fixture.payment(amount: 900)
            try await fixture.insertLedgerRow(for: clean)
            try await fixture.insertLedgerRow(for: wrong, amount: 901)
            try await fixture.xadd(clean)
            try await fixture.xadd(wrong)

            // The same batch handled twice, as after a crash before the ack.
            let (handler, connection) = try await fixture.handler()
            let deliveries = try await fixture.streamEntries().map { Delivery(entry: $0, message: try handler.decode($0)) }
            for _ in 0..<2 {
                let outcomes = try await handler.handle(deliveries)
                #expect(outcomes.values.allSatisfy { $0 == .done })
            }
            await connection.close()
            #expect(try await fixture.seenRowCount() == 2)
            #expect(try await fixture.mismatches() == [Mismatch(transaction: wrong.id, kind: .amountMismatch)])

            // Redelivered through XAUTOCLAIM: a consumer read them and died.
            try await fixture.redis.send(RedisCommand("XGROUP", "CREATE", StreamNames.events, "reconciliation", "0"))
            try await fixture.redis.send(RedisCommand("XREADGROUP", "GROUP", "reconciliation", "dead-consumer", "COUNT", "10", "STREAMS", StreamNames.events, ">"))
            try await fixture.whileRunning {
                try await eventually("the dead consumer's entries claimed and acked") {
                    let summary = try await fixture.redis.send(RedisCommand("XPENDING", StreamNames.events, "reconciliation"))
                    return summary.array?.first?.integer == 0
                }
                #expect(try await fixture.seenRowCount() == 2)

                // The same event as two distinct entries: exactly one duplicate_event.
                let duplicate = Fixture.payment()
                try await fixture.insertLedgerRow(for: duplicate)
                try await fixture.xadd(duplicate)
                try await fixture.xadd(duplicate)
                try await eventually("the duplicate found") {
                    try await fixture.mismatches().contains(Mismatch(transaction: duplicate.id, kind: .duplicateEvent))
                }
                try await Task.sleep(for: .seconds(1))
                #expect(try await fixture.mismatches() == [
                    Mismatch(transaction: wrong.id, kind: .amountMismatch),
                    Mismatch(transaction: duplicate.id, kind: .duplicateEvent),
                ])
                #expect(try await fixture.mismatchRowCount() == 2)
            }
        }
    }

    /// 300 transactions with fixed ids, every twentieth one of a kind of
    /// mismatch, so two runs can be compared id for id.
    private func writeDeterministicTraffic(_ fixture: Fixture) async throws -> Set<Mismatch> {
        var expected: Set<Mismatch> = []
        for index in 0..<300 {
            var event = Fixture.payment(account: "acc-\(index % 17)", amount: Int64(300 + index))
            event.id = UUID(uuidString: String(format: "00000000-0000-4000-8000-%012ld", index))!
            let kind: MismatchKind? = index % 20 == 0 ? MismatchKind.allCases[(index / 20) % MismatchKind.allCases.count] : nil
            switch kind {
            case nil:
                try await fixture.insertLedgerRow(for: event)
                try await fixture.xadd(event)
            case .amountMismatch:
                try await fixture.insertLedgerRow(for: event, amount: event.amount + 1)
                try await fixture.xadd(event)
            case .currencyMismatch:
                try await fixture.insertLedgerRow(for: event, currency: .sek)
                try await fixture.xadd(event)
            case .accountMismatch:
                try await fixture.insertLedgerRow(for: event, account: "acc-other")
                try await fixture.xadd(event)
            case .missingInReference:
                try await fixture.xadd(event)
            case .missingInStream:
                try await fixture.insertLedgerRow(for: event)
            case .duplicateEvent:
                try await fixture.insertLedgerRow(for: event)
                try await fixture.xadd(event)
                try await fixture.xadd(event)
            }
            if let kind { expected.insert(Mismatch(transaction: event.id, kind: kind)) }
        }
        return expected
    }

    @Test func twoReplicasFindTheSameMismatchesAsOne() async throws {
        var results: [Set<Mismatch>] = []
        for (replicas, database) in [(1, RedisTestDatabase.reconciliationOneReplica), (2, .reconciliationTwoReplicas)] {
            try await Fixture.with(redisDatabase: database) { fixture in
                let expected = try await self.writeDeterministicTraffic(fixture)
                #expect(expected.count == 15)
                try await fixture.whileRunning(replicas: replicas) {
                    try await eventually("\(replicas) replica(s) find every mismatch") { try await fixture.mismatches() == expected }
                    try await eventually("every mismatch published") { try await fixture.publishedMismatches().count >= expected.count }
                    try await Task.sleep(for: .seconds(1))
                }
                let found = try await fixture.mismatches()
                #expect(found == expected)
                #expect(try await fixture.mismatchRowCount() == expected.count)
                let published = try await fixture.publishedMismatches()
                #expect(Set(published.compactMap { $0["mismatch_id"] }).count == expected.count)
                results.append(found)
            }
        }
        #expect(results.count == 2 && results[0] == results[1])
    }
}
