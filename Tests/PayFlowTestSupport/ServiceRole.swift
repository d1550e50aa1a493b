import Foundation

/// The PostgreSQL role (`db/0015_least_privilege.sql`) and the Redis ACL user
/// (`redis/users.acl`) each `payflow` service connects as: `payflow_` and the
/// subcommand's name with `_` for `-`, and `payflow-<subcommand>`.
///
/// Tests start services with the owner's `DATABASE_URL` of their fresh database and
/// the operator's `REDIS_URL` of their Redis database; ``PayFlowProcess`` and the
/// in-process fixtures swap in the service's role and Redis user with their passwords
/// (`DATABASE_URL_<SERVICE>`, `REDIS_URL_<SERVICE>` of urls.env), as `make run` and
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

    /// The variable of `scripts/local-servers`' urls.env holding this service's
    /// PostgreSQL URL (its role and password): `DATABASE_URL_ANTI_FRAUD` and so on.
    public var databaseURLVariable: String {
        "DATABASE_URL_" + self.variableSuffix
    }

    /// The variable of `scripts/local-servers`' urls.env holding this service's
    /// Redis URL (user and password): `REDIS_URL_ANTI_FRAUD` and so on.
    public var redisURLVariable: String {
        "REDIS_URL_" + self.variableSuffix
    }

    /// `ANTI_FRAUD` for `payflow_anti_fraud`.
    var variableSuffix: String {
        self.rawValue.dropFirst("payflow_".count).uppercased()
    }

    /// `url` (the owner's, with the test's host, port and database) with this role as
    /// its user and the role's password, taken from ``databaseURLVariable`` in
    /// `environment` (the servers of `scripts/local-servers` ask every role for its
    /// password). The owner's password is never kept: without that variable the
    /// role connects with none, which such servers refuse. `key=value` strings get
    /// `user=` (and `password=`) appended: later keys win in libpq.
    public func databaseURL(from url: String, environment: [String: String] = TestServers.serviceEnvironment) -> String {
        let password = environment[self.databaseURLVariable].flatMap(URLComponents.init(string:))?.password
        guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://"),
              var components = URLComponents(string: url)
        else {
            return url + " user=" + self.rawValue + " password=" + (password ?? "''")
        }
        components.user = self.rawValue
        components.password = password
        return components.string ?? url
    }

    /// `url` (the operator's, with the test's host, port and database) with this
    /// service's Redis user and password, taken from ``redisURLVariable`` in
    /// `environment`. Without that variable (servers started by other means than
    /// `scripts/local-servers`), `url` unchanged.
    public func redisURL(from url: String, environment: [String: String] = TestServers.serviceEnvironment) -> String {
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
