/// The statements one session has prepared on the server, by their SQL text.
///
/// Why: an unprepared statement (`PQexecParams`) is parsed, analysed and planned again at
/// every call. The services send the same few batch statements thousands of times per
/// session, and in `make bench` parsing and analysis were about 7 % of PostgreSQL's CPU
/// (planning another 4 %). Prepared once per session, a statement is not parsed again; it is
/// still planned for each call's arguments (the session's `plan_cache_mode`, set in
/// ``PostgresConnection``, says why).
///
/// Least recently used texts are dropped beyond `capacity`, so a caller that builds texts
/// on the fly cannot grow the session without bound. Only the connection's thread touches it.
struct PreparedStatementCache {
    /// What ``PostgresConnection`` has to do before it executes a text.
    enum Lookup: Equatable {
        /// Prepared earlier in this session under this name.
        case prepared(name: String)
        /// Not prepared yet: prepare it under `name`; first deallocate `evicting` (a name),
        /// which made room for it.
        case prepare(name: String, evicting: String?)
    }

    let capacity: Int
    private var entries: [String: Entry] = [:]
    /// Increases with every lookup; an entry's `lastUse` says how recently it was used.
    private var clock: UInt64 = 0
    /// Names are unique within the session, never reused, so a statement that failed to
    /// deallocate cannot be mistaken for a new one.
    private var nextNumber = 0

    private struct Entry {
        let name: String
        var lastUse: UInt64
    }

    init(capacity: Int) {
        precondition(capacity > 0, "a prepared statement cache needs room for one statement")
        self.capacity = capacity
    }

    /// How many statements the session holds now.
    var count: Int { self.entries.count }

    /// The name `sql` is (or is to be) prepared under. A `.prepare` answer is already counted
    /// in: if preparing fails, call ``forget(_:)``.
    mutating func lookUp(_ sql: String) -> Lookup {
        self.clock += 1
        if let entry = self.entries[sql] {
            self.entries[sql]!.lastUse = self.clock
            return .prepared(name: entry.name)
        }
        var evicted: String?
        if self.entries.count >= self.capacity,
            let oldest = self.entries.min(by: { $0.value.lastUse < $1.value.lastUse })
        {
            evicted = oldest.value.name
            self.entries[oldest.key] = nil
        }
        self.nextNumber += 1
        let name = "payflow_\(self.nextNumber)"
        self.entries[sql] = Entry(name: name, lastUse: self.clock)
        return .prepare(name: name, evicting: evicted)
    }

    /// Drops `sql`'s entry: its preparation failed, or the server no longer has it (the
    /// statement's result type changed under it).
    mutating func forget(_ sql: String) {
        self.entries[sql] = nil
    }

    /// Drops every entry: the session was reset, and a new session holds no statements.
    mutating func removeAll() {
        self.entries.removeAll()
    }
}
