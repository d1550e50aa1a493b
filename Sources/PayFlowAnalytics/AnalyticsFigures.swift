import PayFlowDomain

// The figures the query layer returns: plain values, so the HTTP layer only
// maps them and tests can compare them with what they wrote.

/// Count, sum, min and max of amounts (minor units) of one type in one currency.
public struct AmountTotals: Sendable, Hashable {
    public var type: String
    public var currency: String
    public var count: Int64
    public var sum: Int64
    public var min: Int64
    public var max: Int64

    public init(type: String, currency: String, count: Int64, sum: Int64, min: Int64, max: Int64) {
        self.type = type
        self.currency = currency
        self.count = count
        self.sum = sum
        self.min = min
        self.max = max
    }
}

/// `GET /v1/stats/summary`: everything since the beginning.
public struct StatsSummary: Sendable, Hashable {
    public var totals: [AmountTotals]
    public var alerts: Int64
    public var mismatches: Int64
    public var blockedAccounts: Int64

    public init(totals: [AmountTotals], alerts: Int64, mismatches: Int64, blockedAccounts: Int64) {
        self.totals = totals
        self.alerts = alerts
        self.mismatches = mismatches
        self.blockedAccounts = blockedAccounts
    }
}

/// One bucket of one type and currency in a timeseries.
public struct TimeseriesPoint: Sendable, Hashable {
    /// The bucket's first instant (UTC).
    public var start: EventTimestamp
    public var totals: AmountTotals

    public init(start: EventTimestamp, totals: AmountTotals) {
        self.start = start
        self.totals = totals
    }
}

/// How many of something there are under one name (a rule, a kind).
public struct NamedCount: Sendable, Hashable {
    public var name: String
    public var count: Int64

    public init(name: String, count: Int64) {
        self.name = name
        self.count = count
    }
}

/// `GET /v1/stats/alerts`: alerts per rule, and the latest ones.
public struct AlertStats: Sendable, Hashable {
    public var total: Int64
    public var perRule: [NamedCount]
    public var recent: [AlertNotice]
}

/// `GET /v1/stats/mismatches`: mismatches per kind, and the latest ones.
public struct MismatchStats: Sendable, Hashable {
    public var total: Int64
    public var perKind: [NamedCount]
    public var recent: [MismatchNotice]
}

/// Payments of one account in one currency.
public struct AccountSpend: Sendable, Hashable {
    public var account: String
    public var currency: String
    public var payments: Int64
    public var amount: Int64

    public init(account: String, currency: String, payments: Int64, amount: Int64) {
        self.account = account
        self.currency = currency
        self.payments = payments
        self.amount = amount
    }
}
