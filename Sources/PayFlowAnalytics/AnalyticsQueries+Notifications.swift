import PayFlowPostgres

extension AnalyticsQueries {
    /// Notifications per channel and kind: one aggregate over the
    /// notification service's table (a scan of it: the table holds a row per
    /// notification kept, so this is for a dashboard's refresh, not a loop).
    public func notificationFigures() async throws -> NotificationFigures {
        let kinds = try await self.database.query(
            """
            SELECT channel, kind,
                   count(*) FILTER (WHERE status = 'delivered'),
                   count(*) FILTER (WHERE status = 'failed'),
                   count(*) FILTER (WHERE status = 'pending'),
                   coalesce(sum(greatest(attempts - 1, 0)), 0)::bigint
            FROM notifications GROUP BY channel, kind ORDER BY channel, kind
            """
        ).rows.map { row in
            NotificationFigures.Counts(
                channel: try row.decode(0), kind: try row.decode(1, as: String.self), sent: try row.decode(2),
                failed: try row.decode(3), pending: try row.decode(4), retried: try row.decode(5)
            )
        }
        return NotificationFigures(kinds: kinds)
    }
}
