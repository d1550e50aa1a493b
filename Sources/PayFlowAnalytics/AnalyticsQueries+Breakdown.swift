import PayFlowPostgres

extension AnalyticsQueries {
    /// The `limit` keys of `dimension` with the most transactions (ties by
    /// key), each with its currencies: one statement over
    /// `analytics_breakdown`, which has a row per key and currency.
    public func breakdown(by dimension: BreakdownDimension, limit: Int) async throws -> [BreakdownRow] {
        let rows = try await self.database.query(
            """
            WITH top AS (
                SELECT key, sum(payments + refunds) AS transactions FROM analytics_breakdown
                WHERE dimension = $1 GROUP BY key ORDER BY transactions DESC, key LIMIT $2
            )
            SELECT b.key, b.currency, b.payments, b.refunds, b.payment_sum, b.refund_sum, b.alerts, b.flagged
            FROM top JOIN analytics_breakdown b ON b.dimension = $1 AND b.key = top.key
            ORDER BY top.transactions DESC, top.key, b.currency
            """,
            [dimension.rawValue, limit]
        ).rows
        var result: [BreakdownRow] = []
        for row in rows {
            let key: String = try row.decode(0)
            let amounts = BreakdownRow.Amounts(
                currency: try row.decode(1), payments: try row.decode(2), refunds: try row.decode(3),
                paymentAmount: try row.decode(4), refundAmount: try row.decode(5), alerts: try row.decode(6), flagged: try row.decode(7)
            )
            if result.last?.key == key {
                result[result.count - 1].amounts.append(amounts)
            } else {
                result.append(BreakdownRow(key: key, amounts: [amounts]))
            }
        }
        return result
    }
}
