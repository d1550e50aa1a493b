import Foundation
import Logging
import PayFlowRedis
import PayFlowRuntime
import PayFlowTestSupport
import Testing

/// The trimmer's policies against a real Redis. `MINID ~` removes whole
/// radix-tree nodes only (100 entries each by default), so the streams here
/// hold hundreds of entries and the checks are on what must stay.
@Suite("Stream trimmer")
struct StreamTrimmerTests {
    static let logger = Logger.quiet("test.trimmer")

    func trimmer(_ fixture: StreamFixture, safetyLimit: Int? = nil) -> StreamTrimmer {
        StreamTrimmer(
            redis: fixture.redis, targets: [],
            settings: StreamTrimmingSettings(interval: .seconds(1), safetyLimit: safetyLimit, deadLetterRetention: nil),
            logger: Self.logger
        )
    }

    func ids(_ fixture: StreamFixture, _ stream: String) async throws -> [StreamEntryID] {
        try await fixture.redis.range(stream: stream).map(\.id)
    }

    func read(_ fixture: StreamFixture, group: String, count: Int) async throws -> [String] {
        let reply = try await fixture.redis.send(RedisCommand(
            "XREADGROUP", "GROUP", group, "c1", "COUNT", count, "STREAMS", fixture.stream, ">"
        )).orThrow()
        let entries = reply.array?.first?.array?[1].array ?? []
        return entries.compactMap { $0.array?.first?.string }
    }

    @Test func keepsEveryEntryOfAStreamWithoutGroups() async throws {
        let fixture = try await StreamFixture.make()
        try await fixture.add(1_000)
        let outcome = try await self.trimmer(fixture).trim(StreamTrimmer.Target(stream: fixture.stream))
        #expect(outcome.removed == 0)
        #expect(try await fixture.redis.send(RedisCommand("XLEN", fixture.stream)).integer == 1_000)
    }

    @Test func keepsWhatTheSlowestGroupHasNotReadAndItsPendingEntries() async throws {
        let fixture = try await StreamFixture.make()
        try await fixture.add(1_000)
        let all = try await self.ids(fixture, fixture.stream)
        for group in ["fast", "slow"] {
            try await fixture.redis.createGroupIfMissing(stream: fixture.stream, group: group, startID: "0")
        }
        // fast reads and acks everything; slow reads 400 and acks only the first 150.
        let fastIDs = try await self.read(fixture, group: "fast", count: 1_000)
        try await fixture.redis.send(RedisCommand("XACK", [fixture.stream, "fast"] + fastIDs)).orThrow()
        let slowIDs = try await self.read(fixture, group: "slow", count: 400)
        try await fixture.redis.send(RedisCommand("XACK", [fixture.stream, "slow"] + Array(slowIDs.prefix(150)))).orThrow()

        let trimmer = self.trimmer(fixture)
        let first = try await trimmer.trim(StreamTrimmer.Target(stream: fixture.stream))
        #expect(first.minimumID == all[150], "the slow group's oldest pending entry")
        #expect(first.removed > 0, "entries every group has acked go")
        let kept = try await self.ids(fixture, fixture.stream)
        #expect(kept.first.map { $0 <= all[150] } == true)
        let keptEverythingNeeded = Array(kept.suffix(850)) == Array(all[150...])
        #expect(keptEverythingNeeded, "nothing pending or unread is trimmed (\(kept.count) kept)")

        // Once slow acks what it read, its unread entries are what stays.
        try await fixture.redis.send(RedisCommand("XACK", [fixture.stream, "slow"] + slowIDs)).orThrow()
        let second = try await trimmer.trim(StreamTrimmer.Target(stream: fixture.stream))
        #expect(second.minimumID == all[400])
        let left = try await self.ids(fixture, fixture.stream)
        let leftEverythingUnread = Array(left.suffix(600)) == Array(all[400...])
        #expect(leftEverythingUnread, "\(left.count) left")
        #expect(left.count < 850)
    }

    @Test func deadLettersGoByAgeButNotBeforeEveryGroupReadThem() async throws {
        let fixture = try await StreamFixture.make()
        let now = Date()
        let old = UInt64((now.timeIntervalSince1970 - 3_600) * 1000)
        // 500 entries an hour old, then 300 new ones.
        var commands = (0..<500).map { RedisCommand("XADD", fixture.stream, "\(old)-\($0)", "reason", "old") }
        commands += (0..<300).map { _ in RedisCommand("XADD", fixture.stream, "*", "reason", "new") }
        for reply in try await fixture.redis.pipeline(commands) { try reply.orThrow() }
        let target = StreamTrimmer.Target(stream: fixture.stream, maxAge: .seconds(60))

        // A group that has read nothing yet holds them, old or not.
        try await fixture.redis.createGroupIfMissing(stream: fixture.stream, group: "audit", startID: "0")
        let held = try await self.trimmer(fixture).trim(target, now: now)
        #expect(held.removed == 0)
        #expect(try await fixture.redis.send(RedisCommand("XLEN", fixture.stream)).integer == 800)

        // Read and acked: the old ones go, the new ones stay, though read.
        let read = try await self.read(fixture, group: "audit", count: 800)
        try await fixture.redis.send(RedisCommand("XACK", [fixture.stream, "audit"] + read)).orThrow()
        let trimmed = try await self.trimmer(fixture).trim(target, now: now)
        #expect(trimmed.removed > 0)
        let left = try await fixture.redis.range(stream: fixture.stream)
        #expect(left.filter { $0[field: "reason"] == "new" }.count == 300)
        #expect(left.count < 800)
    }

    @Test func theSafetyLimitCutsALaggingStreamAndSaysSo() async throws {
        let fixture = try await StreamFixture.make()
        try await fixture.redis.createGroupIfMissing(stream: fixture.stream, group: "stuck", startID: "0")
        try await fixture.add(3_000)
        let outcome = try await self.trimmer(fixture, safetyLimit: 1_000).trim(StreamTrimmer.Target(stream: fixture.stream))
        #expect(outcome.removed == 0, "the stuck group needs every entry")
        #expect(outcome.removedBySafetyLimit >= 1_900)
        let length = try #require(try await fixture.redis.send(RedisCommand("XLEN", fixture.stream)).integer)
        #expect(length >= 1_000 && length < 1_100)
    }
}
