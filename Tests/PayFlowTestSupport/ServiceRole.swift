import Foundation

/// The PostgreSQL role each `payflow` service connects as (`db/0015_least_privilege.sql`):
/// `payflow_` and the subcommand's name with `_` for `-`.
///
/// Tests start services with the owner's `DATABASE_URL` of their fresh database;
/// ``PayFlowProcess`` and the in-process fixtures swap its user for the service's
/// role, as `make run` and compose do, so a grant the migration forgot fails a test
/// instead of passing under the owner's rights.
public enum ServiceRole: String, CaseIterable, Sendable {
    case generator = "payflow_generator"
    case antiFraud = "payflow_anti_fraud"
    case notification = "payflow_notification"
    case reconciliation = "payflow_reconciliation"
    case analytics = "payflow_analytics"
    case auditLog = "payflow_audit_log"
    case balances = "payflow_balances"
    case demoConsumer = "payflow_demo_consumer"

    /// The role of the service a `payflow` subcommand runs; nil for the owner's
    /// commands (`migrate`, the reports, `audit`, `bench`...).
    public init?(subcommand: String) {
        self.init(rawValue: "payflow_" + subcommand.replacingOccurrences(of: "-", with: "_"))
    }

    /// `url` (the owner's) with this role as its user: the URI's user part, or an
    /// appended `user=` for `key=value` strings (later keys win in libpq). Any
    /// password in `url` is dropped: it is the owner's.
    public func databaseURL(from url: String) -> String {
        guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://"),
              var components = URLComponents(string: url)
        else {
            return url + " user=" + self.rawValue
        }
        components.user = self.rawValue
        components.password = nil
        return components.string ?? url
    }
}
