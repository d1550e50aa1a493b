import PayFlowAnalytics

/// The dashboard's per-merchant and per-country figures, and the
/// notification service's delivery figures.
extension AnalyticsAPIHandler {
    func getBreakdown(_ input: Operations.GetBreakdown.Input) async throws -> Operations.GetBreakdown.Output {
        let limit = input.query.limit ?? 10
        guard Self.topLimits.contains(limit) else {
            return .badRequest(.init(body: .json(.init(message: Self.outOfRange("limit", limit, Self.topLimits)))))
        }
        // The document's enumeration is the domain's (AnalyticsAPITests checks it).
        let dimension = BreakdownDimension(rawValue: input.query.by.rawValue)!
        let rows = try await self.queries.breakdown(by: dimension, limit: limit)
        return .ok(.init(body: .json(.init(by: input.query.by, limit: limit, rows: rows.map(Components.Schemas.BreakdownRow.init)))))
    }

    func getNotificationStats(_ input: Operations.GetNotificationStats.Input) async throws -> Operations.GetNotificationStats.Output {
        let figures = try await self.queries.notificationFigures()
        return .ok(.init(body: .json(.init(
            channels: figures.channels.map { .init(channel: $0.channel, sent: $0.sent, failed: $0.failed, pending: $0.pending, retried: $0.retried) },
            kinds: figures.kinds.map {
                .init(channel: $0.channel, kind: $0.kind ?? "", sent: $0.sent, failed: $0.failed, pending: $0.pending, retried: $0.retried)
            }
        ))))
    }
}

extension Components.Schemas.BreakdownRow {
    init(_ row: PayFlowAnalytics.BreakdownRow) {
        self.init(
            key: row.key, transactions: row.transactions, payments: row.payments, refunds: row.refunds,
            alerts: row.alerts, flaggedTransactions: row.flaggedTransactions, fraudShare: row.fraudShare,
            amounts: row.amounts.map {
                .init(currency: $0.currency, payments: $0.payments, refunds: $0.refunds, paymentAmount: $0.paymentAmount, refundAmount: $0.refundAmount)
            }
        )
    }
}
