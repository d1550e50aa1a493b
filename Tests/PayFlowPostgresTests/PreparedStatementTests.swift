@testable import PayFlowPostgres
import PayFlowTestSupport
import Testing

@Suite("Prepared statements: parsed and planned once per session")
struct PreparedStatementTests {
    /// How many statements the session holds whose text is `sql`, as the server sees it.
    static func preparedCount(_ sql: String, on connection: PostgresConnection) async throws -> Int {
        try await connection.query(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement = $1 AND NOT from_sql",
            [sql]
        ).rows[0].decode(0, as: Int.self)
    }

    @Test("a text run again in one session is prepared once, and each run binds its own values")
    func preparedOnceRunMany() async throws {
        try await TestDatabase.withFresh { _, connection in
            let sql = "SELECT $1::int + 1"
            for value in 1...5 {
                let answer = try await connection.query(sql, [value]).rows[0].decode(0, as: Int.self)
                #expect(answer == value + 1)
            }
            #expect(try await Self.preparedCount(sql, on: connection) == 1)
        }
    }

    @Test("a session holds at most its capacity of statements, the least recently used dropped")
    func boundedBySessionCapacity() async throws {
        try await TestDatabase.withFresh { _, connection in
            let capacity = PostgresConnection.preparedStatementCapacity
            let kept = "SELECT $1::int * 2"
            for number in 0..<(capacity + 20) {
                // The kept text is used between every other, so it is never the oldest.
                #expect(try await connection.query(kept, [number]).rows[0].decode(0, as: Int.self) == number * 2)
                let once = "SELECT $1::int + \(number)"
                #expect(try await connection.query(once, [1]).rows[0].decode(0, as: Int.self) == 1 + number)
            }
            let held = try await connection.query("SELECT count(*) FROM pg_prepared_statements WHERE NOT from_sql")
                .rows[0].decode(0, as: Int.self)
            #expect(held <= capacity)
            #expect(try await Self.preparedCount(kept, on: connection) == 1)
            #expect(try await Self.preparedCount("SELECT $1::int + 0", on: connection) == 0)
        }
    }

    @Test("after the session is lost, the new session prepares its statements again")
    func preparedAgainAfterReset() async throws {
        try await TestDatabase.withFresh { url, connection in
            let sql = "SELECT $1::text || '!'"
            #expect(try await connection.query(sql, ["before"]).rows[0].decode(0, as: String.self) == "before!")
            let killer = try await PostgresConnection.connect(url: url, logger: TestValues.quietLogger)
            try await ReconnectTests.terminate(connection, from: killer)
            await killer.close()
            // The call that meets the dead session fails (ReconnectTests); the next one resets it.
            _ = try? await connection.query("SELECT 1")
            #expect(try await connection.query(sql, ["after"]).rows[0].decode(0, as: String.self) == "after!")
        }
    }

    @Test("every session, a reset one too, plans a prepared statement for each call's arguments and never JIT-compiles it")
    func customPlansInEverySession() async throws {
        try await TestDatabase.withFresh { url, connection in
            #expect(try await connection.query("SHOW plan_cache_mode").rows[0].decode(0, as: String.self) == "force_custom_plan")
            #expect(try await connection.query("SHOW jit").rows[0].decode(0, as: String.self) == "off")
            let killer = try await PostgresConnection.connect(url: url, logger: TestValues.quietLogger)
            try await ReconnectTests.terminate(connection, from: killer)
            await killer.close()
            _ = try? await connection.query("SELECT 1")
            #expect(try await connection.query("SHOW plan_cache_mode").rows[0].decode(0, as: String.self) == "force_custom_plan")
            #expect(try await connection.query("SHOW jit").rows[0].decode(0, as: String.self) == "off")
        }
    }

    @Test("a statement whose result type changed fails once, then runs with the new type")
    func resultTypeChangeHeals() async throws {
        try await TestDatabase.withFresh { _, connection in
            try await connection.execute("CREATE TABLE items (id int); INSERT INTO items VALUES (1)")
            let sql = "SELECT * FROM items WHERE id = $1"
            #expect(try await connection.query(sql, [1]).columns.names == ["id"])
            try await connection.execute("ALTER TABLE items ADD COLUMN name text")
            // PostgreSQL refuses to run a kept statement whose columns changed (0A000)...
            let error = await #expect(throws: PostgresError.self) {
                try await connection.query(sql, [1])
            }
            #expect(error?.sqlState == "0A000")
            // ...and the retry prepares it afresh.
            #expect(try await connection.query(sql, [1]).columns.names == ["id", "name"])
        }
    }

    @Test("a text that failed to prepare inside an aborted transaction prepares after it")
    func failedPreparationIsNotKept() async throws {
        try await TestDatabase.withFresh { _, connection in
            try await connection.execute("CREATE TABLE items (id int PRIMARY KEY)")
            let sql = "SELECT count(*) FROM items WHERE id > $1"
            await #expect(throws: PostgresError.self) {
                try await connection.withTransaction { connection in
                    _ = try? await connection.query("INSERT INTO items VALUES ($1), ($1)", [1])  // duplicate key
                    // Refused: the transaction is aborted, so the text is not prepared.
                    try await connection.query(sql, [0])
                }
            }
            #expect(try await connection.query(sql, [0]).rows[0].decode(0, as: Int.self) == 0)
        }
    }

    @Test("multi-row inserts, whose text fits one call, are not kept")
    func bulkInsertsAreNotPrepared() async throws {
        try await TestDatabase.withFresh { _, connection in
            try await connection.execute("CREATE TABLE items (id int, name text)")
            try await connection.insertRows(into: "items", columns: ["id", "name"], rows: [[1, "a"], [2, "b"], [3, nil]])
            let inserts = try await connection.query(
                "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE 'INSERT%'"
            ).rows[0].decode(0, as: Int.self)
            #expect(inserts == 0)
        }
    }
}

@Suite("The prepared statement cache")
struct PreparedStatementCacheTests {
    @Test("a known text answers its name; a new one evicts the least recently used when full")
    func leastRecentlyUsedEviction() {
        var cache = PreparedStatementCache(capacity: 2)
        guard case .prepare(let a, nil) = cache.lookUp("a"), case .prepare(let b, nil) = cache.lookUp("b") else {
            Issue.record("the first two texts should be prepared without evicting anything")
            return
        }
        #expect(a != b)
        #expect(cache.lookUp("a") == .prepared(name: a))  // "b" is now the least recently used
        guard case .prepare(let c, let evicted) = cache.lookUp("c") else {
            Issue.record("a third text should be prepared")
            return
        }
        #expect(evicted == b)
        #expect(![a, b].contains(c))
        #expect(cache.lookUp("a") == .prepared(name: a))
        #expect(cache.count == 2)
        // An evicted text comes back under a new name, never a reused one.
        guard case .prepare(let bAgain, _) = cache.lookUp("b") else {
            Issue.record("an evicted text should be prepared again")
            return
        }
        #expect(![a, b, c].contains(bAgain))
    }

    @Test("a forgotten text, or every text after a reset, is prepared again")
    func forgetAndRemoveAll() {
        var cache = PreparedStatementCache(capacity: 4)
        _ = cache.lookUp("a")
        _ = cache.lookUp("b")
        cache.forget("a")
        guard case .prepare = cache.lookUp("a") else {
            Issue.record("a forgotten text should be prepared again")
            return
        }
        cache.removeAll()
        #expect(cache.count == 0)
        guard case .prepare = cache.lookUp("b") else {
            Issue.record("after a reset every text should be prepared again")
            return
        }
    }
}
