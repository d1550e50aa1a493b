import PayFlowDomain
import PayFlowPostgres
import PayFlowRedis
import PayFlowRuntime

/// Records a batch of facts and folds the new ones into the aggregates, in
/// one SQL statement: a call of `analytics_record_batch` (db/0024), whose
/// statements are data-modifying CTEs.
///
/// Why one statement:
/// - exactness: the aggregates are fed only from the `RETURNING` of the
///   fact inserts (`ON CONFLICT DO NOTHING`), i.e. from the facts this very
///   statement added. A redelivered entry, a second entry carrying an id
///   already recorded, or a replica racing on the same id inserts no fact and
///   so adds nothing to any aggregate. A replica that loses the race for an id
///   waits on the winner's uncommitted row and then sees the conflict;
/// - atomicity: facts and aggregates commit or roll back together, so a crash
///   or a deadlock can never leave a fact recorded without its counts (which
///   the retry could not repair, since the fact would then conflict);
/// - sharing: a single statement needs no transaction block, so the read loop
///   and the claim loop of ``ConsumerGroupService`` can share one
///   ``PostgresConnection`` (see ``ReconciliationHandler`` for the same
///   argument).
///
/// Lock order: the per-event advisory locks first, in key order (they are
/// where an event and its alert meet, db/0024); then every insert sorts its
/// rows by primary key, so two replicas
/// whose batches overlap take row locks in the same order and wait instead of
/// deadlocking. PostgreSQL detects a deadlock if one happens anyway (40P01)
/// and rolls the statement back; the handler then throws and the runtime
/// retries the batch, which is safe for the reasons above.
public struct FactRecorder: Sendable {
    let database: PostgresConnection

    public init(database: PostgresConnection) {
        self.database = database
    }

    /// How many facts of each kind the statement inserted (the rest were
    /// already there).
    public struct Recorded: Sendable, Equatable {
        public var events: Int
        public var alerts: Int
        public var mismatches: Int

        public init(events: Int = 0, alerts: Int = 0, mismatches: Int = 0) {
            self.events = events
            self.alerts = alerts
            self.mismatches = mismatches
        }
    }

    /// Records `deliveries` (any mix of the three kinds) at once.
    public func record(_ deliveries: [Delivery<AnalyticsMessage>]) async throws -> Recorded {
        guard !deliveries.isEmpty else { return Recorded() }
        var events: [(StreamEntry, PaymentEvent)] = []
        var alerts: [(StreamEntry, AlertNotice)] = []
        var mismatches: [(StreamEntry, MismatchNotice)] = []
        for delivery in deliveries {
            switch delivery.message {
            case .event(let event): events.append((delivery.entry, event))
            case .alert(let alert): alerts.append((delivery.entry, alert))
            case .mismatch(let mismatch): mismatches.append((delivery.entry, mismatch))
            }
        }
        let parameters: [(any PostgresEncodable)?] = [
            PostgresArrayLiteral.text(events.map { $0.1.id.lowercasedText }),
            PostgresArrayLiteral.text(events.map { $0.1.type.rawValue }),
            PostgresArrayLiteral.text(events.map { $0.1.account }),
            PostgresArrayLiteral.integers(events.map { $0.1.amount }),
            PostgresArrayLiteral.text(events.map { $0.1.currency.code }),
            PostgresArrayLiteral.text(events.map { $0.1.occurredAt.description }),
            PostgresArrayLiteral.text(events.map { $0.0.stream }),
            PostgresArrayLiteral.text(events.map { $0.0.id.description }),

            PostgresArrayLiteral.text(alerts.map { $0.1.alertID }),
            PostgresArrayLiteral.text(alerts.map { $0.1.eventID }),
            PostgresArrayLiteral.text(alerts.map { $0.1.account }),
            PostgresArrayLiteral.text(alerts.map { $0.1.rule }),
            PostgresArrayLiteral.text(alerts.map { $0.1.severity }),
            PostgresArrayLiteral.text(alerts.map { $0.1.reason }),
            PostgresArrayLiteral.text(alerts.map { $0.1.detectedAt.description }),
            PostgresArrayLiteral.text(alerts.map { $0.0.stream }),
            PostgresArrayLiteral.text(alerts.map { $0.0.id.description }),

            PostgresArrayLiteral.text(mismatches.map { $0.1.mismatchID }),
            PostgresArrayLiteral.text(mismatches.map { $0.1.kind }),
            PostgresArrayLiteral.text(mismatches.map { $0.1.transactionID }),
            PostgresArrayLiteral.text(mismatches.map { $0.1.expected }),
            PostgresArrayLiteral.text(mismatches.map { $0.1.actual }),
            PostgresArrayLiteral.text(mismatches.map { $0.1.detectedAt.description }),
            PostgresArrayLiteral.text(mismatches.map { $0.0.stream }),
            PostgresArrayLiteral.text(mismatches.map { $0.0.id.description }),

            // Empty for the types without one; the statement reads '' as none.
            PostgresArrayLiteral.text(events.map { $0.1.details.merchant ?? "" }),
            PostgresArrayLiteral.text(events.map { $0.1.details.country ?? "" }),
        ]
        let result = try await self.database.query(Self.recordStatement, parameters)
        guard let row = result.first else { return Recorded() }
        return Recorded(
            events: try row.decode(0, as: Int.self),
            alerts: try row.decode(1, as: Int.self),
            mismatches: try row.decode(2, as: Int.self)
        )
    }

    /// $1–$8 events (id, type, account, amount, currency, occurred_at, stream,
    /// entry id), $9–$17 alerts (alert id, event id, account, rule, severity,
    /// reason, detected_at, stream, entry id), $18–$25 mismatches (mismatch
    /// id, kind, transaction id, expected, actual, detected_at, stream, entry
    /// id), $26–$27 the events' merchant and country ('' for none). Returns
    /// one row: the facts inserted per kind.
    ///
    /// The work is `analytics_record_batch` (db/0024): one call is one
    /// statement, as before, but inside it the statements read after the
    /// advisory locks that make an event and its alert, recorded at once by
    /// two replicas, meet (see that migration). What it does per kind, and
    /// why each fact and each alert counts once, is written there.
    static let recordStatement = """
        SELECT new_events, new_alerts, new_mismatches FROM analytics_record_batch(
            $1::uuid[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::timestamptz[], $7::text[], $8::text[], $26::text[], $27::text[],
            $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::timestamptz[], $16::text[], $17::text[],
            $18::text[], $19::text[], $20::text[], $21::text[], $22::text[], $23::timestamptz[], $24::text[], $25::text[]
        )
        """
}
