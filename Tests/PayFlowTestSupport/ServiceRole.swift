import Foundation

/// The PostgreSQL role (`db/0015_least_privilege.sql`) and the Redis ACL user
/// (`redis/users.acl`) each `payflow` service connects as: `payflow_` and the
/// subcommand's name with `_` for `-`, and `payflow-<subcommand>`.
///
/// Tests start services with the owner's `DATABASE_URL` of their fresh database and
/// the operator's `REDIS_URL` of their Redis database; ``PayFlowProcess`` and the
/// in-process fixtures swap in the service's role and Redis user, as `make run` and
/// compose do, so a grant or an ACL permission forgotten fails a test instead of
/// passing under the owner's rights.
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

    /// The variable of `scripts/local-servers`' urls.env holding this service's
    /// Redis URL (user and password): `REDIS_URL_ANTI_FRAUD` and so on.
    public var redisURLVariable: String {
        "REDIS_URL_" + self.rawValue.dropFirst("payflow_".count).uppercased()
    }

    /// `url` (the operator's, with the test's host, port and database) with this
    /// service's Redis user and password, taken from ``redisURLVariable`` in
    /// `environment`. Without that variable (servers started by other means than
    /// `scripts/local-servers`), `url` unchanged.
    public func redisURL(from url: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        guard let credentialsURL = environment[self.redisURLVariable].flatMap(URLComponents.init(string:)),
              var components = URLComponents(string: url)
        else {
            return url
        }
        components.user = credentialsURL.user
        components.password = credentialsURL.password
        return components.string ?? url
    }
}
