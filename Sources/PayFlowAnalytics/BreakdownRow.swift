/// What `GET /v1/stats/breakdown` groups by: the raw values are the
/// `dimension` column of `analytics_breakdown` and the `by` parameter.
public enum BreakdownDimension: String, Sendable, CaseIterable, Hashable {
    /// Payments and refunds, by the merchant they name.
    case merchant
    /// Payments, by the country they were made from (refunds carry none).
    case country
}

/// One merchant's or one country's figures, its currencies kept apart.
public struct BreakdownRow: Sendable, Hashable {
    /// One currency of a key: amounts are never added across currencies.
    public struct Amounts: Sendable, Hashable {
        public var currency: String
        public var payments: Int64
        public var refunds: Int64
        public var paymentAmount: Int64
        public var refundAmount: Int64
        /// Alerts and flagged transactions of this currency's events, summed
        /// into the row's totals (the API shows them per key only).
        public var alerts: Int64
        public var flagged: Int64

        public init(currency: String, payments: Int64, refunds: Int64, paymentAmount: Int64, refundAmount: Int64, alerts: Int64 = 0, flagged: Int64 = 0) {
            self.currency = currency
            self.payments = payments
            self.refunds = refunds
            self.paymentAmount = paymentAmount
            self.refundAmount = refundAmount
            self.alerts = alerts
            self.flagged = flagged
        }
    }

    public var key: String
    public var amounts: [Amounts]

    public init(key: String, amounts: [Amounts]) {
        self.key = key
        self.amounts = amounts
    }

    public var payments: Int64 { self.amounts.reduce(0) { $0 + $1.payments } }
    public var refunds: Int64 { self.amounts.reduce(0) { $0 + $1.refunds } }
    public var transactions: Int64 { self.payments + self.refunds }
    public var alerts: Int64 { self.amounts.reduce(0) { $0 + $1.alerts } }
    public var flaggedTransactions: Int64 { self.amounts.reduce(0) { $0 + $1.flagged } }

    /// Flagged transactions / transactions; 0 with none, so the field is
    /// always a number a chart can draw.
    public var fraudShare: Double {
        self.transactions == 0 ? 0 : Double(self.flaggedTransactions) / Double(self.transactions)
    }
}
