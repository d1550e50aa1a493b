import PayFlowPostgres
import PayFlowTestSupport
import Testing

@Suite("Blocking libpq calls stay off the cooperative pool")
struct ThreadingTests {
    /// Eight connections each wait 1 s inside PostgreSQL at the same time. If libpq's blocking
    /// calls ran on Swift's cooperative pool (one thread per core, 2 on CI), they would run a
    /// few at a time and take about 4 s; on threads of their own they overlap and take ~1 s.
    @Test("slow queries on many connections overlap")
    func slowQueriesOverlap() async throws {
        try await TestDatabase.withFresh { url, _ in
            var connections: [PostgresConnection] = []
            for _ in 0..<8 {
                connections.append(try await PostgresConnection.connect(url: url, logger: TestValues.quietLogger))
            }
            let clock = ContinuousClock()
            let elapsed = try await clock.measure {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for connection in connections {
                        group.addTask {
                            try await connection.query("SELECT pg_sleep(1)")
                        }
                    }
                    try await group.waitForAll()
                }
            }
            for connection in connections {
                await connection.close()
            }
            #expect(elapsed < .seconds(3), "8 concurrent 1 s queries took \(elapsed)")
        }
    }

    @Test("statements from concurrent tasks on one connection are serialized safely")
    func concurrentStatementsOnOneConnection() async throws {
        try await TestDatabase.withFresh { _, connection in
            try await connection.execute("CREATE TABLE hits (n int)")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for n in 0..<200 {
                    group.addTask {
                        try await connection.query("INSERT INTO hits VALUES ($1)", [n])
                    }
                }
                try await group.waitForAll()
            }
            let row = try await connection.query("SELECT count(*), sum(n) FROM hits").rows[0]
            #expect(try row.decode(0, as: Int.self) == 200)
            #expect(try row.decode(1, as: Int.self) == (0..<200).reduce(0, +))
        }
    }
}
