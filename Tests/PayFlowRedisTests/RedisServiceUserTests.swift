import Foundation
import PayFlowRedis
import PayFlowTestSupport
import Testing

/// Each service's Redis ACL user (`redis/users.acl`, rendered with generated
/// passwords by `scripts/local-servers`) reaches its own keys with its own
/// commands and is refused everything else: a bug or a compromised process in
/// one service cannot write another's stream or wipe the server.
/// Redis database ``RedisTestDatabase/redisServiceUsers``, flushed.
@Suite("Redis: one ACL user per service, limited to its keys and commands", .serialized)
struct RedisServiceUserTests {
    /// A connection as `role`'s user, on the test's database.
    static func connect(as role: ServiceRole) async throws -> RedisConnection {
        let operatorURL = RedisTestDatabase.redisServiceUsers.url(on: try await RedisTestDatabase.redisServiceUsers.configuration())
        let url = role.redisURL(from: operatorURL, environment: try await TestServers.serviceURLs())
        try #require(url != operatorURL, "\(role.redisURLVariable) is not set: start the servers with scripts/local-servers")
        return try await RedisConnection.connect(configuration: try RedisConfiguration(url: url))
    }

    /// "OK" when `command` succeeds, else the server's error (`NOPERM ...`
    /// when the ACL refuses it).
    static func reply(_ connection: RedisConnection, _ command: RedisCommand) async -> String {
        do {
            if case .error(let message) = try await connection.send(command) {
                return message
            }
            return "OK"
        } catch {
            return error.message
        }
    }

    @Test func notificationCannotWriteTheEventsStreamNorWipeTheServer() async throws {
        try await IntegrationFixture.with(redisDatabase: .redisServiceUsers) { _ in
            let notification = try await Self.connect(as: .notification)
            // Its own work: read payflow:events as its group, write its dead-letter stream.
            #expect(await Self.reply(notification, RedisCommand("XGROUP", "CREATE", "payflow:events", "notification", "0", "MKSTREAM")) == "OK")
            // It notifies on reconciliation's mismatches too: owns its group there and reads it.
            #expect(await Self.reply(notification, RedisCommand("XGROUP", "CREATE", "payflow:mismatches", "notification", "0", "MKSTREAM")) == "OK")
            #expect(await Self.reply(notification, RedisCommand("XREADGROUP", "GROUP", "notification", "n-1", "COUNT", "1", "STREAMS", "payflow:mismatches", ">")) == "OK")
            #expect(await Self.reply(notification, RedisCommand("XADD", "payflow:dlq:notification", "*", "reason", "test")) == "OK")
            // Not its work.
            for command in [
                RedisCommand("XADD", "payflow:events", "*", "id", "forged"),
                RedisCommand("XADD", "payflow:alerts", "*", "alert_id", "forged"),
                RedisCommand("XADD", "payflow:mismatches", "*", "mismatch_id", "forged"),
                RedisCommand("XADD", "payflow:dlq:anti-fraud", "*", "reason", "forged"),
                RedisCommand("XDEL", "payflow:events", "0-1"),
                RedisCommand("DEL", "payflow:events"),
                RedisCommand("FLUSHALL"),
                RedisCommand("FLUSHDB"),
                RedisCommand("CONFIG", "SET", "appendonly", "no"),
                RedisCommand("KEYS", "*"),
                RedisCommand("SET", "payflow:events:x", "1"),
            ] {
                let reply = await Self.reply(notification, command)
                #expect(reply.hasPrefix("NOPERM"), "notification: \(command) answered \(reply)")
            }
            await notification.close()
        }
    }

    @Test func everyServiceUserIsRefusedTheOperatorsCommands() async throws {
        try await IntegrationFixture.with(redisDatabase: .redisServiceUsers) { _ in
            for role in ServiceRole.allCases {
                let connection = try await Self.connect(as: role)
                #expect(await Self.reply(connection, RedisCommand("PING")) == "OK")
                for command in [RedisCommand("FLUSHALL"), RedisCommand("DEL", "payflow:events"), RedisCommand("XDEL", "payflow:events", "0-1"),
                                RedisCommand("ACL", "LIST"), RedisCommand("CONFIG", "GET", "requirepass")] {
                    let reply = await Self.reply(connection, command)
                    #expect(reply.hasPrefix("NOPERM"), "\(role.rawValue): \(command) answered \(reply)")
                }
                await connection.close()
            }
        }
    }

    /// Only the generator writes payflow:events.
    @Test func onlyTheGeneratorWritesTheEventsStream() async throws {
        try await IntegrationFixture.with(redisDatabase: .redisServiceUsers) { _ in
            for role in ServiceRole.allCases {
                let connection = try await Self.connect(as: role)
                let reply = await Self.reply(connection, RedisCommand("XADD", "payflow:events", "*", "id", "evt-\(role.rawValue)"))
                if role == .generator {
                    #expect(reply == "OK")
                } else {
                    #expect(reply.hasPrefix("NOPERM"), "\(role.rawValue): XADD payflow:events answered \(reply)")
                }
                await connection.close()
            }
        }
    }

    /// The streams each service writes, which its own process trims
    /// (`StreamTrimmer`: XINFO GROUPS, XPENDING, XTRIM): a user refused these
    /// would leave its streams growing, with nothing but a log line to say so.
    static let writtenStreams: [ServiceRole: [String]] = [
        .generator: ["payflow:events"],
        .antiFraud: ["payflow:alerts", "payflow:dlq:anti-fraud"],
        .notification: ["payflow:dlq:notification"],
        .reconciliation: ["payflow:mismatches", "payflow:dlq:reconciliation"],
        .analytics: ["payflow:dlq:analytics"],
        .auditLog: ["payflow:dlq:audit-log"],
        .balances: ["payflow:dlq:balances"],
        .demoConsumer: ["payflow:dlq:demo"],
    ]

    @Test func everyServiceUserMayTrimTheStreamsItWrites() async throws {
        try await IntegrationFixture.with(redisDatabase: .redisServiceUsers) { fixture in
            for stream in Set(Self.writtenStreams.values.joined()) {
                _ = try await fixture.redis.send(RedisCommand("XGROUP", "CREATE", stream, "readers", "0", "MKSTREAM"))
            }
            for role in ServiceRole.allCases {
                let connection = try await Self.connect(as: role)
                for stream in try #require(Self.writtenStreams[role], "\(role.rawValue): which streams does it write?") {
                    for command in [
                        RedisCommand("XINFO", "GROUPS", stream), RedisCommand("XPENDING", stream, "readers"),
                        RedisCommand("XTRIM", stream, "MINID", "~", "0-1"), RedisCommand("XTRIM", stream, "MAXLEN", "~", 1_000_000),
                    ] {
                        let reply = await Self.reply(connection, command)
                        #expect(reply == "OK", "\(role.rawValue): \(command) answered \(reply)")
                    }
                }
                // The outbox repair notices a Redis restart by its run_id and clock.
                if role == .antiFraud || role == .reconciliation {
                    for command in [RedisCommand("INFO", "server"), RedisCommand("TIME")] {
                        let reply = await Self.reply(connection, command)
                        #expect(reply == "OK", "\(role.rawValue): \(command) answered \(reply)")
                    }
                }
                await connection.close()
            }
        }
    }
}
