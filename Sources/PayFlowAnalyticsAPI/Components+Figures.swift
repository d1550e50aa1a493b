import PayFlowAnalytics
import PayFlowDomain

// The query layer's figures as the generated response types: one mapping
// each, so the handler reads as "query, then answer".

extension Components.Schemas._Error {
    /// `{"error": {"message": ...}}`
    init(message: String) {
        self.init(error: .init(message: message))
    }
}

extension Components.Schemas.AmountTotals {
    init(_ totals: AmountTotals) {
        self.init(_type: totals.type, currency: totals.currency, count: totals.count, sum: totals.sum, min: totals.min, max: totals.max)
    }
}

extension Components.Schemas.Summary {
    init(_ summary: StatsSummary) {
        self.init(
            totals: summary.totals.map(Components.Schemas.AmountTotals.init),
            alertsTotal: summary.alerts,
            mismatchesTotal: summary.mismatches,
            blockedAccounts: summary.blockedAccounts
        )
    }
}

extension Components.Schemas.TimeseriesPoint {
    init(_ point: TimeseriesPoint) {
        let totals = point.totals
        self.init(
            start: point.start.date, _type: totals.type, currency: totals.currency,
            count: totals.count, sum: totals.sum, min: totals.min, max: totals.max
        )
    }
}

extension Components.Schemas.AlertStats {
    init(_ stats: PayFlowAnalytics.AlertStats) {
        self.init(
            total: stats.total,
            perRule: stats.perRule.map { .init(rule: $0.name, count: $0.count) },
            recent: stats.recent.map { alert in
                .init(
                    alertId: alert.alertID, eventId: alert.eventID, account: alert.account, rule: alert.rule,
                    severity: alert.severity, reason: alert.reason, detectedAt: alert.detectedAt.date
                )
            }
        )
    }
}

extension Components.Schemas.MismatchStats {
    init(_ stats: PayFlowAnalytics.MismatchStats) {
        self.init(
            total: stats.total,
            perKind: stats.perKind.map { .init(kind: $0.name, count: $0.count) },
            recent: stats.recent.map { mismatch in
                .init(
                    mismatchId: mismatch.mismatchID, kind: mismatch.kind, transactionId: mismatch.transactionID,
                    expected: mismatch.expected, actual: mismatch.actual, detectedAt: mismatch.detectedAt.date
                )
            }
        )
    }
}

extension Components.Schemas.AccountSpend {
    init(_ spend: PayFlowAnalytics.AccountSpend) {
        self.init(account: spend.account, currency: spend.currency, payments: spend.payments, amount: spend.amount)
    }
}

extension TimeBucket {
    init(_ size: Components.Schemas.BucketSize) {
        switch size {
        case .minute: self = .minute
        case .hour: self = .hour
        case .day: self = .day
        }
    }
}

extension EventType {
    init(_ type: Components.Schemas.EventType) {
        // The document's enumeration is the domain's (OpenAPIDocumentTests).
        self = EventType(rawValue: type.rawValue)!
    }
}
