import Foundation
import PayFlowAnalyticsAPI
import PayFlowPostgres
@testable import PayFlowScoring
import PayFlowTestSupport
import Testing

/// `payflow_fraud_precision{scope}`: the numbers analytics exports are those
/// `payflow fraud-report` prints, for the current run and over all runs, read
/// with the analytics role's grants.
@Suite("Fraud precision gauge")
struct FraudPrecisionGaugeTests {
    typealias Fixture = AnalyticsFixture

    @Test func theGaugeEqualsFraudReportForTheCurrentRunAndAllRuns() async throws {
        try await Fixture.with { fixture in
            // Before any run or alert: nothing scored, no precision (NaN on /metrics).
            let empty = try await Self.withGauge(fixture) { try await $0.update() }
            #expect(empty[.currentRun] == FraudPrecisionGauge.Reading(scoredAlerts: 0, labelledAlerts: 0))
            #expect(empty[.allRuns]?.precision == nil)

            try await Self.seed(fixture.database)
            let readings = try await Self.withGauge(fixture) { try await $0.update() }

            // By hand: run 2 has 6 alerted events, 4 labelled; all runs add run 1's
            // 3 (1 labelled) and one alert on an event no run wrote (unlabelled).
            #expect(readings[.currentRun] == FraudPrecisionGauge.Reading(scoredAlerts: 6, labelledAlerts: 4))
            #expect(readings[.allRuns] == FraudPrecisionGauge.Reading(scoredAlerts: 10, labelledAlerts: 5))

            // And as fraud-report computes and prints them.
            let currentReport = try await FraudReport.load(from: fixture.database, run: 2)
            let allReport = try await FraudReport.load(from: fixture.database)
            #expect(readings[.currentRun]?.precision == currentReport.precision)
            #expect(readings[.allRuns]?.precision == allReport.precision)
            let printed = try await PayFlowProcess.run(["fraud-report"], environment: ["DATABASE_URL": fixture.databaseURL])
            #expect(printed.status == 0, "\(printed.output)")
            let overall = printed.output.split(separator: "\n").filter { $0.hasPrefix("Overall: precision") }
            #expect(overall.count == 2, "\(printed.output)")
            #expect(overall.contains { $0.contains("(4/6 alerted events)") }, "\(overall)")
            #expect(overall.contains { $0.contains("(5/10 alerted events)") }, "\(overall)")
        }
    }

    /// The current run's alerts are found by looking up each alert's ledger
    /// row, not by reading the run's ledger: that join hashed every ledger row
    /// of the run on every pass (200 ms at 200,000 events, issue 13). Looked
    /// up per alert, the plan has no join at all.
    @Test func theCurrentRunsAlertsAreFoundByTheirLedgerRowsKeys() async throws {
        try await Fixture.with { fixture in
            try await Self.seed(fixture.database)
            try await fixture.database.query("SET enable_seqscan = off")
            let plan = try await fixture.database.query("EXPLAIN " + FraudReport.precisionCountsSQL(run: 2))
                .rows.map { try $0.decode(0, as: String.self) }.joined(separator: "\n")
            #expect(plan.contains("Index Cond: (transaction_id = f.event_id)"), "\(plan)")
            #expect(!plan.contains("Join") && !plan.contains("Nested Loop"), "\(plan)")
        }
    }

    /// The gauge on a session of the analytics role, as the process runs it.
    static func withGauge<T>(_ fixture: Fixture, _ body: (FraudPrecisionGauge) async throws -> T) async throws -> T {
        let connection = try await PostgresConnection.connect(url: ServiceRole.analytics.databaseURL(from: fixture.databaseURL), logger: Fixture.quietLogger)
        let result: Result<T, any Error>
        do {
            result = .success(try await body(FraudPrecisionGauge(database: connection)))
        } catch {
            result = .failure(error)
        }
        await connection.close()
        return try result.get()
    }

    /// Two runs of one world: run 1 with 5 transactions, 3 alerted (1
    /// labelled); run 2 (the current one) with 8, 6 alerted (4 labelled, one
    /// of them by two rules), a labelled one not alerted; an alert on an event
    /// of no run.
    static func seed(_ database: PostgresConnection) async throws {
        func ids(_ count: Int) -> [String] { (0..<count).map { _ in UUID().uuidString.lowercased() } }
        let run1 = ids(5)
        let run2 = ids(8)
        let orphan = UUID().uuidString.lowercased()
        try await database.query("INSERT INTO generator_worlds (world, seed, accounts, currencies, account_prefix) VALUES (1, '7', 10, 'EUR', 'acc-')")
        try await database.query("INSERT INTO generator_runs (run_id, world, seed) VALUES (1, 1, '7'), (2, 1, '7')")
        for (run, transactions) in [(1, run1), (2, run2)] {
            try await database.query(
                """
                INSERT INTO reference_transactions (transaction_id, account, type, amount, currency, occurred_at, run_id)
                SELECT t, 'acc-1', 'payment', 100, 'EUR', now(), $2 FROM unnest($1::uuid[]) AS t
                """,
                [PostgresArrayLiteral.text(transactions), run]
            )
        }
        // Labels: run 1's first; run 2's first four, and its seventh (not alerted).
        try await database.query(
            """
            INSERT INTO generator_ground_truth (category, name, transaction_id, incident_id, run_id)
            SELECT 'fraud', 'velocity_burst', t, gen_random_uuid(), r FROM unnest($1::uuid[], $2::integer[]) AS l (t, r)
            """,
            [PostgresArrayLiteral.text([run1[0], run2[0], run2[1], run2[2], run2[3], run2[6]]), PostgresArrayLiteral.integers([1, 2, 2, 2, 2, 2])]
        )
        // Alerts: run 1's first three; run 2's first six, its first by two rules; the orphan.
        var alerts: [(event: String, rule: String)] = run1.prefix(3).map { ($0, "velocity") } + run2.prefix(6).map { ($0, "velocity") }
        alerts += [(run2[0], "amount_spike"), (orphan, "velocity")]
        try await database.query(
            """
            INSERT INTO fraud_alerts (alert_id, event_id, account, rule, severity, reason, detected_at)
            SELECT e || ':' || r, e::uuid, 'acc-1', r, 'high', 'test', now() FROM unnest($1::text[], $2::text[]) AS a (e, r)
            """,
            [PostgresArrayLiteral.text(alerts.map(\.event)), PostgresArrayLiteral.text(alerts.map(\.rule))]
        )
    }
}
