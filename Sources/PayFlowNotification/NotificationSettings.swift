import Foundation
import PayFlowRuntime

/// The notification tuning that is deployment, not code, with the defaults
/// the module README documents.
public struct NotificationSettings: Sendable {
    /// `NOTIFICATION_CHANNEL`: where every notification of this process goes.
    public var channel: NotificationChannelName = .log
    /// Set when ``channel`` is `.webhook`; it cannot run without a URL and a secret.
    public var webhook: WebhookSettings?
    /// `NOTIFICATION_CONCURRENCY`: deliveries in flight at once per batch. A
    /// batch of 256 sent one by one would take 256 round trips; unbounded, it
    /// would open 256 connections to one receiver.
    public var concurrency: Int = 16

    public init(channel: NotificationChannelName = .log, webhook: WebhookSettings? = nil, concurrency: Int = 16) {
        self.channel = channel
        self.webhook = webhook
        self.concurrency = concurrency
    }

    /// Reads `NOTIFICATION_CHANNEL`, `NOTIFICATION_CONCURRENCY` and, for the
    /// webhook channel, the `WEBHOOK_*` variables.
    public init(environment: Environment) throws(ConfigurationError) {
        self.init()
        let channel = try environment.string("NOTIFICATION_CHANNEL", default: "log")
        guard let name = NotificationChannelName(rawValue: channel.lowercased()) else {
            let names = NotificationChannelName.allCases.map(\.rawValue).joined(separator: ", ")
            throw ConfigurationError(variable: "NOTIFICATION_CHANNEL", problem: "must be one of \(names), got '\(channel)'")
        }
        self.channel = name
        self.concurrency = try environment.integer("NOTIFICATION_CONCURRENCY", default: 16, in: 1...1024)
        if name == .webhook {
            self.webhook = try WebhookSettings(environment: environment)
        }
    }
}

/// Where and how the webhook channel posts.
public struct WebhookSettings: Sendable {
    /// `WEBHOOK_URL`: http or https.
    public var url: String
    /// `WEBHOOK_SECRET`: `whsec_<base64>`, the key of `webhook-signature`.
    public var secret: WebhookSecret
    /// `WEBHOOK_TIMEOUT_MS`: the deadline of one attempt, connection included.
    public var timeout: Duration = .milliseconds(2000)
    /// `WEBHOOK_MAX_ATTEMPTS`: attempts within one delivery before the entry
    /// is left to the runtime's redelivery.
    public var maxAttempts: Int = 3
    /// `WEBHOOK_BACKOFF_MS`: the wait after the first failed attempt, doubled
    /// after each further one.
    public var backoff: Duration = .milliseconds(100)

    public init(url: String, secret: WebhookSecret, timeout: Duration = .milliseconds(2000), maxAttempts: Int = 3, backoff: Duration = .milliseconds(100)) {
        self.url = url
        self.secret = secret
        self.timeout = timeout
        self.maxAttempts = maxAttempts
        self.backoff = backoff
    }

    public init(environment: Environment) throws(ConfigurationError) {
        guard let url = environment.values["WEBHOOK_URL"] else {
            throw ConfigurationError(variable: "WEBHOOK_URL", problem: "is required when NOTIFICATION_CHANNEL=webhook")
        }
        guard let parsed = URL(string: url), let scheme = parsed.scheme?.lowercased(), ["http", "https"].contains(scheme),
              let host = parsed.host, !host.isEmpty
        else {
            throw ConfigurationError(variable: "WEBHOOK_URL", problem: "must be an http:// or https:// URL, got '\(url)'")
        }
        guard let secret = environment.values["WEBHOOK_SECRET"] else {
            throw ConfigurationError(variable: "WEBHOOK_SECRET", problem: "is required when NOTIFICATION_CHANNEL=webhook")
        }
        guard !secret.isEmpty else {
            throw ConfigurationError(variable: "WEBHOOK_SECRET", problem: "is set but empty")
        }
        guard let key = WebhookSecret(secret) else {
            throw ConfigurationError(variable: "WEBHOOK_SECRET", problem: WebhookSecret.problem(with: secret) ?? "is not a webhook secret")
        }
        self.init(url: url, secret: key)
        self.timeout = try environment.milliseconds("WEBHOOK_TIMEOUT_MS", default: 2000, in: 1...600_000)
        self.maxAttempts = try environment.integer("WEBHOOK_MAX_ATTEMPTS", default: 3, in: 1...100)
        self.backoff = try environment.milliseconds("WEBHOOK_BACKOFF_MS", default: 100, in: 0...60_000)
    }
}
