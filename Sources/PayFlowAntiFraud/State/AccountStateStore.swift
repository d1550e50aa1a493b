import Foundation
import PayFlowDomain
import PayFlowRedis
import Synchronization

/// Per-account rule state in Redis, shared by every replica: one
/// ``AccountStateScript`` call per event, all calls of a batch in one pipeline.
///
/// The script is loaded once with `SCRIPT LOAD` and called with `EVALSHA`.
/// When Redis answers `NOSCRIPT` (it restarted, or `SCRIPT FLUSH`), the script
/// is loaded again and the whole pipeline is sent again: every call is
/// idempotent per event id, so calls that had succeeded the first time
/// change nothing the second time.
public final class AccountStateStore: Sendable {
    public let configuration: AntiFraudConfiguration
    private let redis: RedisConnection
    private let sha = Mutex<String?>(nil)
    private let thresholds: [String]

    public init(configuration: AntiFraudConfiguration, redis: RedisConnection) {
        self.configuration = configuration
        self.redis = redis
        self.thresholds = AccountStateScript.thresholds(configuration)
    }

    /// Records the events in order and returns the alerts their evaluation
    /// raised (including alerts on earlier events that a late event completed),
    /// without duplicates. Throws when Redis fails; nothing is lost then,
    /// because the batch is not acked and every call is idempotent.
    public func evaluate(_ events: [PaymentEvent]) async throws(RedisError) -> [FraudAlert] {
        guard !events.isEmpty else { return [] }
        var replies = try await self.run(events, sha: try await self.loadedSHA(reload: false))
        if replies.contains(where: Self.isNoScript) {
            replies = try await self.run(events, sha: try await self.loadedSHA(reload: true))
        }
        var alerts: [FraudAlert] = []
        var seen: Set<String> = []
        for (event, reply) in zip(events, replies) {
            guard let flat = try reply.orThrow().array, flat.count % 3 == 0 else {
                throw RedisError(.unexpectedReply, "anti-fraud script reply")
            }
            var index = 0
            while index < flat.count {
                defer { index += 3 }
                guard let idText = flat[index].string, let eventID = UUID(uuidString: idText),
                      let rule = flat[index + 1].string.flatMap(FraudRule.init(rawValue:))
                else {
                    throw RedisError(.unexpectedReply, "anti-fraud script alert")
                }
                let alert = FraudAlert(
                    eventID: eventID, account: event.account, rule: rule,
                    reason: flat[index + 2].string ?? "", detectedAt: event.occurredAt
                )
                if seen.insert(alert.alertID).inserted { alerts.append(alert) }
            }
        }
        return alerts
    }

    // MARK: - Script calls

    private func run(_ events: [PaymentEvent], sha: String) async throws(RedisError) -> [RedisReply] {
        try await self.redis.pipeline(events.map { self.command(for: $0, sha: sha) })
    }

    private func command(for event: PaymentEvent, sha: String) -> RedisCommand {
        let keys = AccountStateScript.keys(prefix: self.configuration.keyPrefix, account: event.account)
        let country = event.details.country ?? ""
        var command = RedisCommand("EVALSHA", sha, keys.count)
        command.append(contentsOf: keys)
        command.append(contentsOf: [
            event.type.rawValue,
            event.id.uuidString.lowercased(),
            String(event.occurredAt.microsecondsSinceEpoch),
            String(event.amount),
            country,
            Continents.of(country),
            event.details.merchant ?? "",
            event.details.originalPaymentID?.uuidString.lowercased() ?? "",
        ])
        command.append(contentsOf: self.thresholds)
        return command
    }

    private func loadedSHA(reload: Bool) async throws(RedisError) -> String {
        if !reload, let sha = self.sha.withLock({ $0 }) { return sha }
        guard let sha = try await self.redis.send(RedisCommand("SCRIPT", "LOAD", AccountStateScript.source)).string else {
            throw RedisError(.unexpectedReply, "SCRIPT LOAD returned no digest")
        }
        self.sha.withLock { $0 = sha }
        return sha
    }

    private static func isNoScript(_ reply: RedisReply) -> Bool {
        if case .error(let message) = reply { return message.hasPrefix("NOSCRIPT") }
        return false
    }
}
