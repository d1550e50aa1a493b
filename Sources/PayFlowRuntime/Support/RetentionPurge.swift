import PayFlowPostgres

/// Deletes a table's rows once they are older than a retention: the bound
/// on tables that otherwise grow with every event (notification's
/// `notifications`, reconciliation's `reconciliation_seen`).
///
/// A purge rather than partitions: the rows are small, their age column is
/// indexed, and the delete runs in batches of ``batchSize`` so a backlog of a
/// month never holds one long transaction (nor long locks) against the
/// service's own statements. Run by ``PayFlowApplication/addRetentionPurge(_:)``
/// on a session of its own.
public struct RetentionPurge: Sendable {
    /// Says which purge it is, in log lines.
    public let name: String
    /// Rows older than this go.
    public let retention: Duration
    /// One batch: `$1` the retention in seconds, `$2` the batch size; deletes
    /// at most `$2` rows and reports them as affected rows.
    public let deleteBatch: String
    public let batchSize: Int

    public init(name: String, retention: Duration, batchSize: Int = 5_000, deleteBatch: String) {
        self.name = name
        self.retention = retention
        self.batchSize = batchSize
        self.deleteBatch = deleteBatch
    }

    /// The pause between passes: half the retention, at most a minute, so a
    /// row is gone at most that long after its time.
    public var interval: Duration {
        min(.seconds(60), max(.milliseconds(100), self.retention / 2))
    }

    /// Deletes every row past the retention, batch after batch; returns how many.
    @discardableResult
    public func purge(_ database: PostgresConnection) async throws -> Int {
        var total = 0
        while true {
            let deleted = try await database.query(self.deleteBatch, [Int64(self.retention.components.seconds), self.batchSize]).affectedRows ?? 0
            total += deleted
            if deleted < self.batchSize || Task.isCancelled { return total }
        }
    }
}
