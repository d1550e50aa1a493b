import Foundation
import PayFlowTestSupport
import Testing

/// The table of Redis databases the tests use: two tests on one number would
/// flush each other's streams mid-run, and a number past the server's
/// `databases` setting fails at `SELECT`.
@Suite("Redis test databases")
struct RedisTestDatabaseTests {
    @Test func noNumberIsHandedOutTwice() {
        let numbers = RedisTestDatabase.allCases.map(\.number)
        let repeated = Dictionary(grouping: numbers) { $0 }.filter { $0.value.count > 1 }.keys.sorted()
        #expect(repeated.isEmpty, "numbers listed more than once: \(repeated)")
    }

    @Test func everyNumberExistsOnTheTestServer() throws {
        let configuration = try String(
            contentsOf: TestServers.repositoryRoot.appendingPathComponent("redis/redis.conf"), encoding: .utf8
        )
        let setting = configuration.split(whereSeparator: \.isNewline)
            .map { $0.split(separator: " ", omittingEmptySubsequences: true) }
            .last { $0.count == 2 && $0[0] == "databases" }
        let databases = try #require(setting.flatMap { Int($0[1]) }, "no `databases N` line in redis/redis.conf")
        for database in RedisTestDatabase.allCases {
            #expect((0..<databases).contains(database.number), "\(database) is \(database.number); redis.conf has \(databases) databases")
        }
    }
}
