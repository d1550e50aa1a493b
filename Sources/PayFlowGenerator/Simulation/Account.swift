import Foundation
import PayFlowDomain

/// One simulated card holder: a fixed profile (who they are, how they spend)
/// and the state the simulation keeps so clean traffic stays clean (balance,
/// block, recent payments and top-ups, refundable payments).
struct Account: Sendable, Codable, Equatable {
    // MARK: - Profile

    let id: String
    /// ISO 3166-1 alpha-2; every clean payment is made from here.
    let homeCountry: String
    let currency: Currency
    /// Indices into the population's merchant pool: where this person shops.
    let usualMerchants: [Int]
    let device: String
    let ip: String
    /// Median payment, minor units; clean payments stay within 5× of it.
    let habitMedian: Int64
    /// Relative chance of being the account of the next event (heavy-tailed).
    let activityWeight: Double

    // MARK: - State

    var balance: Int64
    var isBlocked = false
    /// No clean traffic before this time (set after a fraud scenario).
    var quietUntil: EventTimestamp?
    /// Times of the latest payments, at most ``CleanTrafficLimits/maximumPaymentsPerWindow``.
    var latestPayments: [EventTimestamp] = []
    /// Top-ups recent enough that spending after them is limited.
    var recentTopups: [RecentTopup] = []
    /// The latest payments that were emitted on the stream, refundable or not.
    var payments: [PastPayment] = []

    /// A top-up and how much was spent since.
    struct RecentTopup: Sendable, Codable, Equatable {
        var time: EventTimestamp
        var amount: Int64
        var spentSince: Int64
    }

    /// A payment that a refund may refer to.
    struct PastPayment: Sendable, Codable, Equatable {
        var id: UUID
        var merchant: String
        var amount: Int64
        /// What is left to refund; refunds never exceed it in clean traffic.
        var remaining: Int64
    }

    /// How many past payments are remembered for refunds: older ones are not
    /// refunded any more, as after a merchant's return period.
    static let rememberedPayments = 8

    // MARK: - What clean traffic may do

    /// Not blocked and not cooling down after a scenario.
    func isAvailableForCleanTraffic(at time: EventTimestamp) -> Bool {
        if self.isBlocked { return false }
        if let quietUntil = self.quietUntil, time < quietUntil { return false }
        return true
    }

    /// Fewer than 3 payments in the last 10 minutes (plus margin).
    func hasRoomForPayment(at time: EventTimestamp) -> Bool {
        guard self.latestPayments.count >= CleanTrafficLimits.maximumPaymentsPerWindow,
              let oldest = self.latestPayments.first
        else { return true }
        let window = CleanTrafficLimits.paymentWindowMicroseconds + CleanTrafficLimits.windowMarginMicroseconds
        return time.microsecondsSinceEpoch - oldest.microsecondsSinceEpoch > window
    }

    /// The most a clean payment may spend now without exceeding half of any
    /// top-up of the last 30 minutes (plus margin).
    func topupAllowance(at time: EventTimestamp) -> Int64 {
        let window = CleanTrafficLimits.topupSpendWindowMicroseconds + CleanTrafficLimits.windowMarginMicroseconds
        var allowance = Int64.max
        for topup in self.recentTopups where time.microsecondsSinceEpoch - topup.time.microsecondsSinceEpoch <= window {
            let limit = Int64((Double(topup.amount) * CleanTrafficLimits.topupSpendFraction).rounded(.down))
            allowance = min(allowance, limit - topup.spentSince)
        }
        return max(0, allowance)
    }

    // MARK: - Applying events

    mutating func applyPayment(amount: Int64, at time: EventTimestamp) {
        self.balance -= amount
        self.latestPayments.append(time)
        if self.latestPayments.count > CleanTrafficLimits.maximumPaymentsPerWindow {
            self.latestPayments.removeFirst(self.latestPayments.count - CleanTrafficLimits.maximumPaymentsPerWindow)
        }
        self.forgetOldTopups(at: time)
        for index in self.recentTopups.indices {
            self.recentTopups[index].spentSince += amount
        }
    }

    mutating func applyTopup(amount: Int64, at time: EventTimestamp) {
        self.balance += amount
        self.forgetOldTopups(at: time)
        self.recentTopups.append(RecentTopup(time: time, amount: amount, spentSince: 0))
    }

    /// Credits a refund and lowers what is left of its payment, if known.
    mutating func applyRefund(amount: Int64, of paymentID: UUID?) {
        self.balance += amount
        if let paymentID, let index = self.payments.firstIndex(where: { $0.id == paymentID }) {
            self.payments[index].remaining = max(0, self.payments[index].remaining - amount)
        }
    }

    mutating func remember(payment: PastPayment) {
        self.payments.append(payment)
        if self.payments.count > Self.rememberedPayments {
            self.payments.removeFirst(self.payments.count - Self.rememberedPayments)
        }
    }

    private mutating func forgetOldTopups(at time: EventTimestamp) {
        let window = CleanTrafficLimits.topupSpendWindowMicroseconds + CleanTrafficLimits.windowMarginMicroseconds
        self.recentTopups.removeAll { time.microsecondsSinceEpoch - $0.time.microsecondsSinceEpoch > window }
    }
}
