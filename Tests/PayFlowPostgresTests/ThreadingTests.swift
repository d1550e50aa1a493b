import PayFlowPostgres
import PayFlowTestSupport
import Testing

@Suite("Blocking libpq calls stay off the cooperative pool")
struct ThreadingTests {
    /// Eight connections each run a statement that waits inside PostgreSQL
    /// until all eight have started it (a barrier on `pg_stat_activity`,
    /// whose `query` keeps a session's statement after it ends; given up
    /// after 20 s). If libpq's blocking calls ran on Swift's
    /// cooperative pool (one thread per core, 2 on CI), at most a few could be
    /// in flight, the barrier would never fill and every statement would give
    /// up. On threads of their own all eight meet. The test asserts that they
    /// met, not how fast: a busy machine slows it down but cannot fail it.
    @Test("slow queries on many connections overlap")
    func slowQueriesOverlap() async throws {
        try await TestDatabase.withFresh { url, setup in
            try await setup.execute("""
                CREATE FUNCTION wait_for_peers(peers int, tag text) RETURNS boolean AS $$
                DECLARE deadline timestamptz := clock_timestamp() + interval '20 seconds';
                BEGIN
                    LOOP
                        PERFORM pg_stat_clear_snapshot();
                        IF (SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%' || tag || '%') >= peers THEN
                            RETURN true;
                        END IF;
                        IF clock_timestamp() > deadline THEN RETURN false; END IF;
                        PERFORM pg_sleep(0.01);
                    END LOOP;
                END $$ LANGUAGE plpgsql
                """)
            var connections: [PostgresConnection] = []
            for _ in 0..<8 {
                connections.append(try await PostgresConnection.connect(url: url, logger: TestValues.quietLogger))
            }
            let tag = uniqueName("barrier")
            let met = try await withThrowingTaskGroup(of: Bool.self) { group in
                for connection in connections {
                    group.addTask {
                        try await connection.query("SELECT wait_for_peers(8, '\(tag)')").rows[0].decode(0, as: Bool.self)
                    }
                }
                return try await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            for connection in connections {
                await connection.close()
            }
            #expect(met == Array(repeating: true, count: 8), "statements that saw all eight running: \(met)")
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
