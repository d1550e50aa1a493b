import PayFlowPostgres

/// The alerts of a run as `fraud_alerts` holds them (alert id → reason), to
/// compare a run under a fault with a fault-free run of the same seed: the
/// events are the same (seed and `GENERATOR_START_TIME`), and the rules judge
/// each payment from the events stored around its business time, and judge
/// it again when an earlier event arrives late, so a fault may delay an alert
/// but not lose it, and every rule whose verdict only grows with the events
/// stored (velocity, card testing, impossible travel, top-up drain, the
/// absolute amount limit) or is settled behind the watermark (blocked
/// account, refund abuse) raises exactly the same alerts.
///
/// One verdict does not only grow: `amount_spike` against the mean of the
/// account's previous payments. A payment judged while an earlier payment of
/// its account was still in a dead replica's batch is judged against a
/// history without it; if that payment was large, the mean is lower and the
/// alert is raised, and alerts are never withdrawn. So a run with a replica
/// killed mid-batch may have *extra* `amount_spike` alerts of that kind
/// (reason "… x the mean …"), never fewer alerts, nor extras of another rule.
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
    /// (`-`), with their reasons, but for the extra `amount_spike` alerts
    /// against a mean (see above); empty when the runs agree.
    func difference(from reference: ReferenceAlerts) -> [String] {
        let extra = self.reasons.keys.filter { reference.reasons[$0] == nil && !Self.judgedAgainstAMean($0, self.reasons[$0]!) }
        let missing = reference.reasons.keys.filter { self.reasons[$0] == nil }
        return extra.sorted().map { "+ \($0) (\(self.reasons[$0]!))" } + missing.sorted().map { "- \($0) (\(reference.reasons[$0]!))" }
    }

    /// Extra alerts the comparison lets pass, to report them.
    func toleratedExtras(over reference: ReferenceAlerts) -> Int {
        self.reasons.keys.filter { reference.reasons[$0] == nil && Self.judgedAgainstAMean($0, self.reasons[$0]!) }.count
    }

    static func judgedAgainstAMean(_ alertID: String, _ reason: String) -> Bool {
        alertID.hasSuffix(":amount_spike") && reason.contains("x the mean")
    }
}
