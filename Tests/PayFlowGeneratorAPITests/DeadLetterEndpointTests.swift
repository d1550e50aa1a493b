import Foundation
import PayFlowDomain
import PayFlowGeneratorAPI
import PayFlowRedis
import PayFlowRuntime
import PayFlowTestSupport
import Testing

/// `GET /v1/dead-letters` and `POST /v1/dead-letters/{group}/replay` on a
/// real Redis, as the generator's ACL user (`redis/users.acl`): the replay
/// moves entries back to the stream they came from, once, whatever is
/// repeated. Redis database ``RedisTestDatabase/deadLetterReplayREST``.
@Suite("Dead-letter endpoints", .serialized)
struct DeadLetterEndpointTests {
    private struct Streams: Decodable {
        struct Stream: Decodable {
            var group: String
            var stream: String
            var length: Int
        }

        var dead_letters: [Stream]
    }

    private struct Replayed: Decodable {
        var replayed: Int
    }

    /// The endpoints' dead letters, reached as the generator's Redis user.
    private static func deadLetters(_ base: IntegrationFixture, shards: StreamShards = .unsharded) async throws -> DeadLetterStreams {
        let url = ServiceRole.generator.redisURL(from: base.redisURL, environment: try await TestServers.serviceURLs())
        return DeadLetterStreams(
            groups: ConsumerGroupName.platform.map(\.name), redis: try RedisConfiguration(url: url), shards: shards,
            logger: .init(label: "test.dead-letters")
        )
    }

    /// Dead letters of notification as the runtime writes them: from
    /// `payflow:alerts` and from `payflow:events` (on `shard`, their shard's).
    private static func deadLetter(
        _ base: IntegrationFixture, from stream: String, id: String, shard: StreamShard = StreamShards.unsharded.shards[0],
        entryID: String = "*"
    ) async throws -> String {
        let reply = try await base.redis.send(RedisCommand(
            "XADD", shard.deadLetterStream(forGroup: "notification"), entryID, "stream", shard.name(stream), "entry_id", "1-1", "group", "notification",
            "reason", "webhook down", "original.id", id, "original.type", "test"
        ))
        return try #require(reply.string)
    }

    @Test func listsEveryGroupsDeadLetterStreamAndReplaysOnce() async throws {
        try await IntegrationFixture.with(redisDatabase: .deadLetterReplayREST) { base in
            let first = try await Self.deadLetter(base, from: StreamNames.alerts, id: "alert-1")
            let second = try await Self.deadLetter(base, from: StreamNames.alerts, id: "alert-2")
            _ = try await Self.deadLetter(base, from: StreamNames.events, id: "event-3")
            let deadLetters = try await Self.deadLetters(base)

            try await withGeneratorAPI(deadLetters: deadLetters) { _, client in
                let listed = try await client.send(.get, "/v1/dead-letters")
                #expect(listed.status == .ok)
                let streams = try JSONDecoder().decode(Streams.self, from: listed.body).dead_letters
                #expect(streams.map(\.group) == ConsumerGroupName.platform.map(\.name))
                #expect(streams.first { $0.group == "notification" }?.length == 3)
                #expect(streams.first { $0.group == "notification" }?.stream == "payflow:dlq:notification")
                #expect(streams.filter { $0.group != "notification" }.allSatisfy { $0.length == 0 })

                let body = #"{"ids": ["\#(first)", "\#(second)"]}"#
                let replayed = try await client.send(.post, "/v1/dead-letters/notification/replay", json: body)
                #expect(replayed.status == .ok)
                #expect(try JSONDecoder().decode(Replayed.self, from: replayed.body).replayed == 2)
                #expect(try await base.redis.range(stream: StreamNames.alerts).map { $0[field: "id"] } == ["alert-1", "alert-2"])
                #expect(try await base.redis.range(stream: "payflow:dlq:notification").count == 1)

                // The same ids again: nothing twice.
                let again = try await client.send(.post, "/v1/dead-letters/notification/replay", json: body)
                #expect(again.status == .ok)
                #expect(try JSONDecoder().decode(Replayed.self, from: again.body).replayed == 0)
                #expect(try await base.redis.range(stream: StreamNames.alerts).count == 2)

                // No body: the rest.
                let rest = try await client.send(.post, "/v1/dead-letters/notification/replay")
                #expect(try JSONDecoder().decode(Replayed.self, from: rest.body).replayed == 1)
                #expect(try await base.redis.range(stream: StreamNames.events).map { $0[field: "id"] } == ["event-3"])
                #expect(try await base.redis.range(stream: "payflow:dlq:notification").isEmpty)
            }
        }
    }

    /// With `EVENT_SHARDS=3` a group has a dead-letter stream per shard: the
    /// list sums them under the group's name, a replay finds each id on its
    /// shard and sends it back to that shard's stream, as the generator's
    /// Redis user (whose ACL covers the shards' names). An id names an entry
    /// of one stream only: two shards' dead letters of one millisecond can
    /// share it, and a replay by id then sends both back (shown last).
    @Test func deadLettersOfEveryShardAreListedAsOneAndReplayedToTheirShard() async throws {
        try await IntegrationFixture.with(redisDatabase: .deadLetterReplayREST) { base in
            let shards = StreamShards(count: 3)
            // Ids apart, as dead letters of different milliseconds have.
            var added: [String] = []
            for shard in shards.shards {
                added.append(try await Self.deadLetter(
                    base, from: StreamNames.alerts, id: "alert-s\(shard.index)", shard: shard, entryID: "\(100 * (shard.index + 1))-1"
                ))
            }
            let ids = added
            let deadLetters = try await Self.deadLetters(base, shards: shards)

            try await withGeneratorAPI(deadLetters: deadLetters) { _, client in
                let listed = try await client.send(.get, "/v1/dead-letters")
                let streams = try JSONDecoder().decode(Streams.self, from: listed.body).dead_letters
                #expect(streams.first { $0.group == "notification" }?.length == 3)
                #expect(streams.first { $0.group == "notification" }?.stream == "payflow:dlq:notification")

                let body = #"{"ids": ["\#(ids[0])", "\#(ids[2])"]}"#
                let replayed = try await client.send(.post, "/v1/dead-letters/notification/replay", json: body)
                #expect(try JSONDecoder().decode(Replayed.self, from: replayed.body).replayed == 2)
                #expect(try await base.redis.range(stream: shards.shards[0].alerts).map { $0[field: "id"] } == ["alert-s0"])
                #expect(try await base.redis.range(stream: shards.shards[1].alerts).isEmpty)
                #expect(try await base.redis.range(stream: shards.shards[2].alerts).map { $0[field: "id"] } == ["alert-s2"])

                let rest = try await client.send(.post, "/v1/dead-letters/notification/replay")
                #expect(try JSONDecoder().decode(Replayed.self, from: rest.body).replayed == 1)
                #expect(try await base.redis.range(stream: shards.shards[1].alerts).map { $0[field: "id"] } == ["alert-s1"])
                #expect(try await deadLetters.summaries().first { $0.group == "notification" }?.length == 0)
            }

            // One id on two shards: both go back, each to its own shard.
            for shard in shards.shards.prefix(2) {
                _ = try await Self.deadLetter(base, from: StreamNames.events, id: "event-s\(shard.index)", shard: shard, entryID: "400-1")
            }
            #expect(try await deadLetters.replay(group: "notification", ids: [StreamEntryID(milliseconds: 400, sequence: 1)]) == 2)
            #expect(try await base.redis.range(stream: shards.shards[0].events).map { $0[field: "id"] } == ["event-s0"])
            #expect(try await base.redis.range(stream: shards.shards[1].events).map { $0[field: "id"] } == ["event-s1"])
        }
    }

    @Test func refusesUnknownGroupsAndMalformedIds() async throws {
        try await IntegrationFixture.with(redisDatabase: .deadLetterReplayREST) { base in
            try await withGeneratorAPI(deadLetters: try await Self.deadLetters(base)) { _, client in
                let unknown = try await client.send(.post, "/v1/dead-letters/nobody/replay")
                #expect(unknown.status == .notFound)
                #expect(errorMessage(unknown.body).contains("nobody"))
                let malformed = try await client.send(.post, "/v1/dead-letters/notification/replay", json: #"{"ids": ["yesterday"]}"#)
                #expect(malformed.status == .unprocessableContent)
                #expect(errorMessage(malformed.body).contains("yesterday"))
                let extra = try await client.send(.post, "/v1/dead-letters/notification/replay", json: #"{"all": true}"#)
                #expect(extra.status == .badRequest)
            }
            // Without Redis the endpoints say so.
            try await withGeneratorAPI { _, client in
                let response = try await client.send(.get, "/v1/dead-letters")
                #expect(response.status == .serviceUnavailable)
            }
        }
    }

    /// Two replays racing for the same entries send each once (`WATCH`).
    @Test func concurrentReplaysOfTheSameEntriesSendEachOnce() async throws {
        try await IntegrationFixture.with(redisDatabase: .deadLetterReplayREST) { base in
            var ids: [StreamEntryID] = []
            for index in 0..<40 {
                ids.append(try #require(StreamEntryID(try await Self.deadLetter(base, from: StreamNames.alerts, id: "alert-\(index)"))))
            }
            let deadLetters = try await Self.deadLetters(base)
            async let first = deadLetters.replay(group: "notification", ids: ids)
            async let second = deadLetters.replay(group: "notification", ids: ids.reversed())
            let total = try await first + second
            #expect(total == 40)
            let replayed = try await base.redis.range(stream: StreamNames.alerts).compactMap { $0[field: "id"] }
            #expect(replayed.count == 40 && Set(replayed).count == 40)
        }
    }
}
