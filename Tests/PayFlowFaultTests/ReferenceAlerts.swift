import PayFlowPostgres

/// The alerts of a run as `fraud_alerts` holds them (alert id → rule and
/// reason), to compare a run under a fault with a fault-free run of the same
/// seed: the events are the same (seed and `GENERATOR_START_TIME`), and the
/// rules judge each payment from the events stored around its business time,
/// whatever order they came in, so the alerts must be the same too.
struct ReferenceAlerts: Sendable {
    var reasons: [String: String]

    static func read(from database: PostgresConnection) async throws -> ReferenceAlerts {
        let rows = try await Platform.retrying { try await database.query("SELECT alert_id, reason FROM fraud_alerts").rows }
        var reasons: [String: String] = [:]
        for row in rows {
            reasons[try row.decode(0, as: String.self)] = try row.decode(1, as: String.self)
        }
        return ReferenceAlerts(reasons: reasons)
    }

    /// Alerts of this run the reference lacks (`+`) and the other way round
    /// (`-`), with their reasons; empty when the runs agree.
    func difference(from reference: ReferenceAlerts) -> [String] {
        let extra = self.reasons.keys.filter { reference.reasons[$0] == nil }.sorted().map { "+ \($0) (\(self.reasons[$0]!))" }
        let missing = reference.reasons.keys.filter { self.reasons[$0] == nil }.sorted().map { "- \($0) (\(reference.reasons[$0]!))" }
        return extra + missing
    }
}
