import Foundation
import PayFlowDomain
import PayFlowRedis
import PayFlowRuntime
import Synchronization

/// Per-account rule state in Redis, shared by every replica: one
/// ``AccountStateScript`` call per event, all calls of a batch in one pipeline.
///
/// The script is loaded once with `SCRIPT LOAD` and called with `EVALSHA`.
/// When Redis answers `NOSCRIPT` (it restarted, or `SCRIPT FLUSH`, or it is
/// a cluster master that never saw the script), the script is loaded there
/// and that server's pipeline is sent again: every call is idempotent per
/// event id, so calls that had succeeded the first time change nothing the
/// second time.
///
/// Where the state lives: with one shard on one Redis, under each account's
/// own hash tag (`payflow:af:{acc-1}:p`), as it always has. With
/// `EVENT_SHARDS` (or on a cluster), under the hash tag of the account's
/// shard (`payflow:af:{0.1}:acc-1:p`), so in the slot of the streams that
/// carry the account's events. Two things follow. A resharding that moves a
/// shard moves its accounts' state with it. And the state's writes and the
/// acks of the events that made them go to one master, whose replica
/// receives them in that order: a master lost with writes its replica never
/// got loses the acks with the state, so the events are delivered again and
/// the state rebuilt (each call is idempotent), where state on another
/// master could be lost under acks that survived. A batch comes from one
/// shard's consumer, so its calls go to one master in one pipeline (on a
/// cluster, a batch spanning slots goes in one pipeline per master).
public final class AccountStateStore: Sendable {
    public let configuration: AntiFraudConfiguration
    /// The events' shards: an account's state goes under its shard's tag.
    public let shards: StreamShards
    private let redis: any RedisClient
    private let sha = Mutex<String?>(nil)
    /// The script for this configuration (its thresholds are literals in it).
    private let source: String

    public init(configuration: AntiFraudConfiguration, shards: StreamShards = .unsharded, redis: any RedisClient) {
        self.configuration = configuration
        self.shards = shards
        self.redis = redis
        self.source = AccountStateScript.source(configuration)
    }

    /// What evaluating a batch decided: alerts now, and verdicts that must wait.
    public struct Evaluation: Sendable {
        public var alerts: [FraudAlert] = []
        public var provisional: [ProvisionalVerdict] = []
    }

    /// Records the events in order and returns the alerts their evaluation
    /// raised (including alerts on earlier events that a late event completed)
    /// and the provisional verdicts (``ProvisionalVerdict``), without
    /// duplicates. `entries` are the events' stream entry ids, in the same
    /// order. Throws when Redis fails; nothing is lost then, because the batch
    /// is not acked and every call is idempotent.
    public func evaluate(_ events: [PaymentEvent], entries: [StreamEntryID]) async throws(RedisError) -> Evaluation {
        guard !events.isEmpty else { return Evaluation() }
        let replies = try await self.runAll(events.map { self.arguments(for: $0) })
        var evaluation = Evaluation()
        var seen: Set<String> = []
        for ((event, entry), reply) in zip(zip(events, entries), replies) {
            for verdict in try Self.verdicts(in: reply) where seen.insert(verdict.alertID).inserted {
                if verdict.final {
                    evaluation.alerts.append(FraudAlert(
                        eventID: verdict.eventID, account: event.account, rule: verdict.rule,
                        reason: verdict.reason, detectedAt: event.occurredAt
                    ))
                } else {
                    evaluation.provisional.append(ProvisionalVerdict(
                        eventID: verdict.eventID, account: event.account, rule: verdict.rule, reason: verdict.reason,
                        judgedAt: verdict.judgedAt, refundedPaymentID: verdict.refundedPaymentID, refundAmount: verdict.refundAmount,
                        detectedAt: event.occurredAt, settleAfter: entry
                    ))
                }
            }
        }
        return evaluation
    }

    /// Judges provisional verdicts again, against the state as it is now, and
    /// returns the alerts that still hold. Changes no state.
    public func recheck(_ verdicts: [ProvisionalVerdict]) async throws(RedisError) -> [FraudAlert] {
        guard !verdicts.isEmpty else { return [] }
        let replies = try await self.runAll(verdicts.map { verdict in
            let refund = verdict.rule == .refundAbuse
            return (
                account: verdict.account,
                values: [
                    refund ? "recheck_refund" : "recheck_blocked",
                    verdict.eventID.lowercasedText,
                    String(verdict.judgedAt.microsecondsSinceEpoch),
                    String(verdict.refundAmount ?? 0),
                    "", "", "",
                    verdict.refundedPaymentID?.lowercasedText ?? "",
                ]
            )
        })
        var alerts: [FraudAlert] = []
        for (verdict, reply) in zip(verdicts, replies) {
            for decided in try Self.verdicts(in: reply) where decided.final && decided.rule == verdict.rule {
                alerts.append(FraudAlert(
                    eventID: verdict.eventID, account: verdict.account, rule: verdict.rule,
                    reason: decided.reason, detectedAt: verdict.detectedAt
                ))
            }
        }
        return alerts
    }

    /// One verdict as the script reports it (see ``AccountStateScript``).
    private struct ScriptVerdict {
        var eventID: UUID
        var rule: FraudPattern
        var reason: String
        var final: Bool
        var judgedAt: EventTimestamp
        var refundedPaymentID: UUID?
        var refundAmount: Int64?
        var alertID: String { AlertNotice.alertID(eventID: self.eventID, rule: self.rule) }
    }

    private static func verdicts(in reply: RedisReply) throws(RedisError) -> [ScriptVerdict] {
        guard let flat = try reply.orThrow().array, flat.count % 6 == 0 else {
            throw RedisError(.unexpectedReply, "anti-fraud script reply")
        }
        var verdicts: [ScriptVerdict] = []
        var index = 0
        while index < flat.count {
            defer { index += 6 }
            guard let idText = flat[index].string, let eventID = UUID(text: idText),
                  let rule = flat[index + 1].string.flatMap(FraudPattern.init(ruleName:)),
                  let status = flat[index + 3].string, let time = flat[index + 4].string.flatMap({ Int64($0) })
            else {
                throw RedisError(.unexpectedReply, "anti-fraud script verdict")
            }
            let extra = (flat[index + 5].string ?? "").split(separator: "|")
            verdicts.append(ScriptVerdict(
                eventID: eventID, rule: rule, reason: flat[index + 2].string ?? "", final: status == "final",
                judgedAt: EventTimestamp(microsecondsSinceEpoch: time),
                refundedPaymentID: extra.count == 2 ? UUID(text: String(extra[0])) : nil,
                refundAmount: extra.count == 2 ? Int64(extra[1]) : nil
            ))
        }
        return verdicts
    }

    // MARK: - Script calls

    /// One `EVALSHA` per call, all in one pipeline; on `NOSCRIPT` (Redis
    /// restarted) the script is loaded again and the pipeline re-sent, which
    /// is safe because every call is idempotent.
    private func runAll(_ calls: [(account: String, values: [String])]) async throws(RedisError) -> [RedisReply] {
        let accountKeys = calls.map { self.keys(of: $0.account) }
        // Calls by the server of their account (one on a single Redis), in order within each.
        let servers = try await self.redis.servers(of: accountKeys.map { $0[0] })
        var replies = [RedisReply](repeating: .null, count: calls.count)
        for server in servers {
            let part = server.indices.map { (keys: accountKeys[$0], values: calls[$0].values) }
            do throws(RedisError) {
                var answers = try await self.run(part, on: server.connection, sha: try await self.loadedSHA(on: server.connection, reload: false))
                if answers.contains(where: Self.isNoScript) {
                    answers = try await self.run(part, on: server.connection, sha: try await self.loadedSHA(on: server.connection, reload: true))
                }
                // A call refused because its account's slot moved: the map is
                // stale, the call did not run; the batch is retried.
                for case .error(let message) in answers where RedisError(.serverError, message).isClusterRedirect {
                    throw RedisError(.serverError, message)
                }
                for (index, reply) in zip(server.indices, answers) {
                    replies[index] = reply
                }
            } catch {
                await self.redis.recover(from: error)
                throw error
            }
        }
        return replies
    }

    /// The account's five keys, under its shard's tag when there is one.
    func keys(of account: String) -> [String] {
        AccountStateScript.keys(prefix: self.configuration.keyPrefix, tag: self.shards.shard(ofAccount: account).tag, account: account)
    }

    private func run(_ calls: [(keys: [String], values: [String])], on connection: RedisConnection, sha: String) async throws(RedisError) -> [RedisReply] {
        try await connection.pipeline(calls.map { call in
            var command = RedisCommand("EVALSHA", sha, call.keys.count)
            command.append(contentsOf: call.keys)
            command.append(contentsOf: call.values)
            return command
        })
    }

    private func arguments(for event: PaymentEvent) -> (account: String, values: [String]) {
        let country = event.details.country ?? ""
        return (
            account: event.account,
            values: [
                event.type.rawValue,
                event.id.lowercasedText,
                String(event.occurredAt.microsecondsSinceEpoch),
                String(event.amount),
                country,
                Continents.of(country),
                event.details.merchant ?? "",
                event.details.originalPaymentID?.lowercasedText ?? "",
            ]
        )
    }

    /// The script's digest (the same on every server); loaded on
    /// `connection` the first time and when `reload` (it answered `NOSCRIPT`).
    private func loadedSHA(on connection: RedisConnection, reload: Bool) async throws(RedisError) -> String {
        if !reload, let sha = self.sha.withLock({ $0 }) { return sha }
        guard let sha = try await connection.send(RedisCommand("SCRIPT", "LOAD", self.source)).string else {
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
