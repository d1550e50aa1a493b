import Foundation
import PayFlowAuditLog
import PayFlowDomain
import PayFlowRuntime
import PayFlowPostgres
import PayFlowRedis
import PayFlowTestSupport
import Testing

/// What every fault case ends with: the platform drained, then every promise
/// checked against what is really in Redis and PostgreSQL.
///
/// - every entry of every stream is in `audit_log` exactly once, and `payflow
///   audit verify` passes;
/// - analytics counts per type equal the distinct events on the stream, exactly;
/// - `payflow reconciliation-report --strict`: every injected mismatch found,
///   none invented (each kind once per transaction by its primary key);
/// - every event the generator emitted is on `payflow:events`;
/// - every alert on the stream is one `fraud_alerts` row and vice versa; no
///   provisional verdict left; the alerts are those of a fault-free run of
///   the same seed (``ReferenceAlerts``);
/// - one delivered notification per event, per alert and per mismatch, each
///   count against its own stream, and each of them requested at the webhook
///   receiver;
/// - doubles counted where they would show, not where a primary key hides
///   them: entries on `payflow:alerts` with one `alert_id`, requests at the
///   webhook receiver with one `Idempotency-Key`; none, unless the case's
///   fault allows some (``Expectations``);
/// - nothing pending, nothing unread, in any group;
/// - the dead-letter streams hold exactly `expectedDeadLetters` per group.
struct InvariantCheck {
    /// What a case expects beyond what every case does.
    struct Expectations {
        var deadLetters: [String: Int] = [:]
        /// The fault-free run's alerts, when the case ran the reference seed.
        var reference: ReferenceAlerts?
        /// Alerts that may be on `payflow:alerts` twice: a publisher killed
        /// between its `XADD` and its mark, or whose mark PostgreSQL refused.
        var alertDoubles = 0
        /// Notifications that may be delivered twice: a replica killed, or
        /// PostgreSQL gone, between the webhook and recording it delivered.
        var deliveryDoubles = 0
    }

    let platform: Platform

    /// Waits until every group has read and acked everything and the
    /// asynchronous parts (settles, sweeps, outboxes) are done.
    func waitUntilDrained(timeout: Duration = .seconds(180)) async throws {
        let state = Shared("")
        do {
            try await self.drain(timeout: timeout, state: state)
        } catch let error as TimedOut {
            // What each process said last: a CI run that does not drain has
            // nothing else to tell why (the processes' logs go with them).
            for (name, process) in self.platform.processes.sorted(by: { $0.key < $1.key }) {
                let lines = process.output.split(separator: "\n").suffix(15).joined(separator: "\n")
                print("fault drain: \(name) (\(process.process.isRunning ? "running" : "exited \(process.process.terminationStatus)")), last lines:\n\(lines)")
            }
            throw TimedOut(what: "\(error.what); last seen: \(state.value)")
        }
    }

    private func drain(timeout: Duration, state: Shared<String>) async throws {
        try await eventually("the platform to drain", timeout: timeout, every: .milliseconds(250)) {
            let groups = try await self.platform.groups()
            state.value = "groups " + groups.map { "\($0.info.name)@\($0.stream): pending \($0.info.pending) lag \(String(describing: $0.info.lag))" }.joined(separator: "; ")
            // events: 5 groups; alerts: notification, analytics, audit-log; mismatches: notification, analytics, audit-log.
            guard groups.count == 11 * self.platform.shards.count, groups.allSatisfy({ $0.info.pending == 0 && ($0.info.lag ?? 1) == 0 }) else { return false }
            let provisional = try await self.count("SELECT count(*) FROM fraud_provisional_verdicts")
            let unpublishedAlerts = try await self.count("SELECT count(*) FROM fraud_alerts WHERE published_at IS NULL")
            let unpublishedMismatches = try await self.count("SELECT count(*) FROM reconciliation_mismatches WHERE published_at IS NULL")
            let unchecked = try await self.count("SELECT count(*) FROM reconciliation_seen WHERE checked_at IS NULL")
            state.value = "provisional \(provisional), unpublished alerts \(unpublishedAlerts), unpublished mismatches \(unpublishedMismatches), unchecked \(unchecked)"
            guard provisional == 0, unpublishedAlerts == 0, unpublishedMismatches == 0, unchecked == 0 else { return false }
            let report = try await PayFlowProcess.run(["reconciliation-report", "--strict"], environment: ["DATABASE_URL": self.platform.databaseURL])
            state.value = "reconciliation-report --strict: \(report.output)"
            return report.status == 0
        }
        // Whatever was published last must be consumed too.
        try await eventually("the last alerts and mismatches consumed", timeout: .seconds(60), every: .milliseconds(250)) {
            let drained = try await self.platform.groups().allSatisfy { $0.info.pending == 0 && ($0.info.lag ?? 1) == 0 }
            return drained ? try await self.auditedEverything() : false
        }
    }

    func auditedEverything() async throws -> Bool {
        var total = 0
        for stream in AuditLogService.streams {
            total += try await self.platform.length(stream)
        }
        return try await self.count("SELECT count(*) FROM audit_log") == total
    }

    func verify(_ expected: Expectations = Expectations(), sourceLocation: SourceLocation = #_sourceLocation) async throws {
        // Audit: every entry of every stream once, chains intact.
        for stream in AuditLogService.streams.flatMap(self.platform.names) {
            let length = try await self.platform.length(ofShardStream: stream)
            let stored = try await self.count("SELECT count(*) FROM audit_log WHERE stream = $1", [stream])
            #expect(stored == length, "audit_log has \(stored) rows of \(stream), which holds \(length) entries", sourceLocation: sourceLocation)
        }
        #expect(try await self.count("SELECT count(*) FROM (SELECT 1 FROM audit_log GROUP BY stream, entry_id HAVING count(*) > 1) d") == 0,
                "an entry stored twice", sourceLocation: sourceLocation)
        let verify = try await PayFlowProcess.run(["audit", "verify"], environment: ["DATABASE_URL": self.platform.databaseURL])
        #expect(verify.status == 0, "audit verify: \(verify.output)", sourceLocation: sourceLocation)

        // Analytics: exact counts per type, against the distinct events on the stream.
        let events = try await self.platform.range(StreamNames.events)
        var distinct: [String: Set<String>] = [:]
        var decodable = 0
        for entry in events {
            guard let event = try? PaymentEvent(fields: entry.fields) else { continue }
            decodable += 1
            distinct[event.type.rawValue, default: []].insert(event.id.uuidString.lowercased())
        }
        #expect(decodable > 0, sourceLocation: sourceLocation)
        // Every event the generator emitted (a duplicate_event twice) is on the stream.
        let generated = try await self.platform.emitted().total
        #expect(decodable == generated, "payflow:events holds \(decodable) events, the generator emitted \(generated)", sourceLocation: sourceLocation)
        let counted = try await self.platform.database.query("SELECT type, count(*) AS n FROM analytics_events GROUP BY type").rows
        var analytics: [String: Int] = [:]
        for row in counted { analytics[try row.decode("type", as: String.self)] = try row.decode("n", as: Int.self) }
        #expect(analytics == distinct.mapValues(\.count), "analytics counts \(analytics), stream has \(distinct.mapValues(\.count))", sourceLocation: sourceLocation)
        let minuteTotal = try await self.count("SELECT coalesce(sum(event_count), 0)::bigint FROM analytics_event_minutes")
        #expect(minuteTotal == distinct.values.reduce(0) { $0 + $1.count }, "per-minute aggregates sum to \(minuteTotal)", sourceLocation: sourceLocation)

        // Reconciliation: exact against the injected inconsistencies.
        let report = try await PayFlowProcess.run(["reconciliation-report", "--strict"], environment: ["DATABASE_URL": self.platform.databaseURL])
        #expect(report.status == 0, "reconciliation-report --strict:\n\(report.output)", sourceLocation: sourceLocation)

        // Alerts: the stream and the table agree, and nothing is left to settle.
        let alertEntries = try await self.platform.range(StreamNames.alerts).compactMap { $0[field: "alert_id"] }
        let streamAlertIDs = Set(alertEntries)
        let table = try await ReferenceAlerts.read(from: self.platform.database)
        #expect(streamAlertIDs == Set(table.reasons.keys), "alerts on the stream and in fraud_alerts differ", sourceLocation: sourceLocation)
        #expect(try await self.count("SELECT count(*) FROM fraud_provisional_verdicts") == 0, sourceLocation: sourceLocation)
        let alertDoubles = alertEntries.count - streamAlertIDs.count
        #expect(alertDoubles <= expected.alertDoubles, "\(alertDoubles) alerts on payflow:alerts more than once (at most \(expected.alertDoubles) allowed)", sourceLocation: sourceLocation)
        if let reference = expected.reference {
            let difference = table.difference(from: reference)
            #expect(difference.isEmpty, "alerts differ from the fault-free run of the same seed: \(difference)", sourceLocation: sourceLocation)
            print("fault check: \(table.toleratedExtras(over: reference)) extra amount_spike alerts against a mean, beside the \(reference.reasons.count) of the fault-free run")
        }
        print("fault check: \(generated) events, \(streamAlertIDs.count) alerts (\(alertDoubles) doubled on the stream), deliveries doubled: \(self.platform.deliveries.doubles)")

        // Notifications: one delivered per event, per alert and per mismatch.
        let eventNotifications = try await self.count("SELECT count(*) FROM notifications WHERE source_stream = ANY ($1::text[]) AND status = 'delivered'", [self.names(of: StreamNames.events)])
        #expect(eventNotifications == distinct.values.reduce(0) { $0 + $1.count }, "\(eventNotifications) event notifications", sourceLocation: sourceLocation)
        let alertNotifications = try await self.count("SELECT count(*) FROM notifications WHERE source_stream = ANY ($1::text[]) AND status = 'delivered'", [self.names(of: StreamNames.alerts)])
        #expect(alertNotifications == streamAlertIDs.count, "\(alertNotifications) alert notifications for \(streamAlertIDs.count) alerts", sourceLocation: sourceLocation)
        // Mismatches: the reconciliation report above proved the table exact; the
        // stream holds each row (at least once, by its mismatch_id).
        let streamMismatchIDs = Set(try await self.platform.range(StreamNames.mismatches).compactMap { $0[field: "mismatch_id"] })
        #expect(streamMismatchIDs.count == (try await self.count("SELECT count(*) FROM reconciliation_mismatches")),
                "\(streamMismatchIDs.count) mismatches on the stream", sourceLocation: sourceLocation)
        #expect(!streamMismatchIDs.isEmpty, "a case without mismatches cannot show their notifications", sourceLocation: sourceLocation)
        let mismatchNotifications = try await self.count("SELECT count(*) FROM notifications WHERE source_stream = ANY ($1::text[]) AND status = 'delivered'", [self.names(of: StreamNames.mismatches)])
        #expect(mismatchNotifications == streamMismatchIDs.count,
                "\(mismatchNotifications) mismatch notifications for \(streamMismatchIDs.count) mismatches", sourceLocation: sourceLocation)
        let notifiedMismatches = try await self.count(
            "SELECT count(*) FROM notifications WHERE source_stream = ANY ($1::text[]) AND status = 'delivered' AND source_id = ANY ($2::text[])",
            [self.names(of: StreamNames.mismatches), PostgresArrayLiteral.text(streamMismatchIDs.sorted())]
        )
        #expect(notifiedMismatches == streamMismatchIDs.count, "mismatch notifications not keyed by the stream's mismatch ids", sourceLocation: sourceLocation)
        let delivered = eventNotifications + alertNotifications + mismatchNotifications
        print("fault check: \(streamMismatchIDs.count) mismatches, \(delivered) notifications delivered (\(mismatchNotifications) of mismatches)")
        #expect(try await self.count("SELECT count(*) FROM notifications WHERE status = 'delivered'") == delivered,
                "notifications delivered from another stream", sourceLocation: sourceLocation)
        // The same at the receiver, where a second delivery would really show.
        let requested = self.platform.deliveries.counts
        #expect(requested.count == delivered,
                "the webhook receiver got \(requested.count) distinct notifications, \(delivered) recorded delivered", sourceLocation: sourceLocation)
        let doubles = self.platform.deliveries.doubles
        #expect(doubles.extra <= expected.deliveryDoubles,
                "\(doubles.keys) notifications delivered more than once (\(doubles.extra) extra requests; at most \(expected.deliveryDoubles) allowed)", sourceLocation: sourceLocation)

        // Nothing pending or unread anywhere.
        for (stream, group) in try await self.platform.groups() {
            #expect(group.pending == 0 && group.lag == 0, "\(group.name) on \(stream): pending \(group.pending), lag \(String(describing: group.lag))", sourceLocation: sourceLocation)
        }

        // Dead letters: only what was meant to fail.
        for group in ConsumerGroupName.platform.map(\.name) {
            let length = try await self.platform.length(ConsumerGroupConfiguration.deadLetterStream(forGroup: group))
            #expect(length == expected.deadLetters[group, default: 0], "payflow:dlq:\(group) holds \(length)", sourceLocation: sourceLocation)
        }
    }

    /// `stream` on every shard, as one array parameter.
    private func names(of stream: String) -> String {
        PostgresArrayLiteral.text(self.platform.names(of: stream))
    }

    func count(_ sql: String, _ parameters: [(any PostgresEncodable)?] = []) async throws -> Int {
        try await Platform.retrying { try await self.platform.database.query(sql, parameters).rows[0].decode(0, as: Int.self) }
    }
}
