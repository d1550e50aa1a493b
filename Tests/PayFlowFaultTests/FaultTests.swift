import Foundation
import PayFlowDomain
import PayFlowRuntime
import PayFlowRedis
import PayFlowTestSupport
import Testing

/// `make test-faults`: each case runs the whole platform as real processes
/// with generated traffic (ground truth included), injects one fault in the
/// middle, and ends with ``InvariantCheck``. Each case has its own Redis
/// database (21–23) and PostgreSQL database; they run one after the other,
/// since each already runs a dozen processes.
@Suite("Faults: nothing lost, nothing doubled", .serialized)
struct FaultTests {
    static let total = 6_000
    static let rate = 1_500

    @Test func killNineOfOneReplicaOfEachGroupMidBatch() async throws {
        try await Platform.with(redisDatabase: .faultKillNine) { platform in
            try platform.startServices(replicas: 2)
            try await Self.startTraffic(on: platform, seed: 21)
            // Kill each replica-1 while it holds entries, if that moment comes within a
            // few seconds; what it still holds after the kill must be claimed by replica-2.
            var orphaned: [String: Int] = [:]
            for service in Platform.services {
                let consumer = "\(service)-1"
                try? await eventually("\(consumer) to hold a batch", timeout: .seconds(5), every: .milliseconds(5)) {
                    try await platform.pending(group: service, consumer: consumer) > 0
                }
                try await platform.kill(consumer)
                orphaned[service] = try await platform.pending(group: service, consumer: consumer)
            }
            try await Self.finishTrafficAndVerify(on: platform)
            for (service, count) in orphaned where count > 0 {
                #expect(platform.output("\(service)-2").contains("Claimed idle entries"),
                        "\(service)-1 died holding \(count) entries, and \(service)-2 logged no claim")
            }
        }
    }

    @Test func sigtermToEveryServiceMidRunThenStartAgain() async throws {
        try await Platform.with(redisDatabase: .faultSigterm) { platform in
            try platform.startServices(replicas: 1)
            try await Self.startTraffic(on: platform, seed: 22)
            for service in Platform.services {
                #expect(try await platform.stop("\(service)-1") == 0, "\(service) did not exit 0 on SIGTERM")
            }
            try platform.startServices(replicas: 1)
            try await Self.finishTrafficAndVerify(on: platform)
        }
    }

    @Test func poisonAndMalformedEntriesMixedIntoTraffic() async throws {
        try await Platform.with(redisDatabase: .faultPoisonAndMalformed) { platform in
            try platform.startServices(replicas: 1)
            try await platform.startGenerator(total: Self.total, rate: Self.rate, seed: 23)
            let poison: [[String]] = [
                ["type", "payment"],                                                   // almost everything missing
                ["id", "not-a-uuid", "type", "payment"],
                ["id", UUID().uuidString, "type", "teleport", "schema_version", "1"],  // unknown type
                ["garbage", "\u{1}\u{2}\u{3}"],
                ["id", UUID().uuidString, "id", UUID().uuidString],                    // duplicate field
            ]
            var added = 0
            while added < poison.count {
                try await eventually("more traffic", timeout: .seconds(60)) {
                    try await platform.length(StreamNames.events) >= (added + 1) * Self.total / (poison.count + 2)
                }
                var command = RedisCommand("XADD", StreamNames.events, "*")
                for word in poison[added] { command.append(word) }
                try await platform.redis.send(command).orThrow()
                added += 1
            }
            try await platform.waitForGenerator(total: Self.total)
            let check = InvariantCheck(platform: platform)
            try await check.waitUntilDrained()
            // Every group that decodes events dead-letters each poison entry once;
            // the audit log keeps them.
            try await check.verify(expectedDeadLetters: [
                "anti-fraud": poison.count, "notification": poison.count, "reconciliation": poison.count, "analytics": poison.count,
            ])
            for group in ["anti-fraud", "reconciliation"] {
                let letters = try await platform.redis.range(stream: ConsumerGroupConfiguration.deadLetterStream(forGroup: group))
                #expect(letters.allSatisfy { ($0[field: "reason"] ?? "").contains("malformed entry") }, "\(group): \(letters.map { $0[field: "reason"] ?? "" })")
            }
        }
    }

    @Test func redisRestartedMidRun() async throws {
        try await Platform.withPrivateServers { platform, servers in
            // The generator commits a ledger row before its XADD; while Redis is down
            // the XADD waits, so the row's event arrives as late as the outage (plus
            // backoff). The grace period must outlast that, or reconciliation rightly
            // reports missing_in_stream for events that were only late.
            platform.extraEnvironment["RECONCILIATION_GRACE_MS"] = "20000"
            try platform.startServices(replicas: 1)
            try await Self.startTraffic(on: platform, seed: 24)
            try await Platform.restart("redis", in: servers, after: .seconds(3))
            // The test's own connection reconnects like the services do.
            try await Self.finishTrafficAndVerify(on: platform)
        }
    }

    @Test func postgresStoppedForTenSecondsMidRun() async throws {
        try await Platform.withPrivateServers { platform, servers in
            try platform.startServices(replicas: 1)
            try await Self.startTraffic(on: platform, seed: 25)
            try await Platform.restart("postgres", in: servers, after: .seconds(10))
            try await Self.finishTrafficAndVerify(on: platform)
        }
    }

    /// Starts the generator on `Self.total` events and waits until a third are
    /// out: the fault then lands in the middle of the run.
    static func startTraffic(on platform: Platform, seed: Int) async throws {
        try await platform.startGenerator(total: Self.total, rate: Self.rate, seed: seed)
        try await eventually("traffic under way", timeout: .seconds(60)) {
            try await platform.length(StreamNames.events) >= Self.total / 3
        }
    }

    /// Waits for the rest of the traffic and for the platform to drain, then
    /// runs the invariant check every case ends with.
    static func finishTrafficAndVerify(on platform: Platform, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await platform.waitForGenerator(total: Self.total)
        let check = InvariantCheck(platform: platform)
        try await check.waitUntilDrained()
        try await check.verify(sourceLocation: sourceLocation)
    }
}
