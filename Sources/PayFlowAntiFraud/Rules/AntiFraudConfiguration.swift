import PayFlowRuntime

/// Every threshold of every rule, read from the environment.
///
/// The defaults sit between the bounds clean generator traffic stays within
/// (`CleanTrafficLimits`) and the patterns of the fraud scenarios, with room
/// on both sides; each comment says where the gap is. Windows are business
/// time (`occurred_at`), never wall time: a replay at 50,000 events/s must
/// find what a live run at 200 events/s finds.
public struct AntiFraudConfiguration: Sendable, Equatable {
    /// Prefix of every per-account key in Redis (tests use their own).
    public var keyPrefix = "payflow:af"
    /// Wall-clock expiry of an account's state after its last event: memory
    /// for idle accounts is given back; windows never depend on it.
    public var stateTTLSeconds = 7 * 86_400
    /// Payments remembered per account, for refund look-ups and history.
    public var rememberedPayments = 200

    /// Velocity: more than `velocityMaxPayments` in `velocityWindow` alerts.
    /// Clean: at most 3 in 10 min (+1 min margin); velocity_burst: 8+ in 60 s.
    public var velocityWindowMicroseconds: Int64 = 600 * 1_000_000
    public var velocityMaxPayments = 4

    /// Card testing: at least `cardTestingMinPayments` payments below
    /// `cardTestingSmallAmount` at `cardTestingMinMerchants` distinct merchants
    /// in the window. Clean payments are ≥ 300; card_testing: 10+ of 50–199.
    public var cardTestingWindowMicroseconds: Int64 = 600 * 1_000_000
    public var cardTestingSmallAmount: Int64 = 250
    public var cardTestingMinPayments = 5
    public var cardTestingMinMerchants = 5

    /// Amount spike: ≥ the absolute limit, or ≥ `multiple` × the mean of the
    /// account's last `history` payments (with at least `minHistory` of them)
    /// and ≥ `minAmount`. Clean: < 200,000 and ≤ 5× habit; amount_spike:
    /// ≥ 500,000 and ≥ 20× habit. The absolute limit carries the generator's
    /// traffic; the relative part is high (30×) because an account's recent
    /// mean can sit far below its habit (payments shrunk to fit a balance), and
    /// at 15× a clean 79,355 after a mean of 4,275 was flagged in a real run.
    public var amountSpikeAbsolute: Int64 = 300_000
    public var amountSpikeMultiple = 30
    public var amountSpikeMinHistory = 3
    public var amountSpikeHistory = 20
    public var amountSpikeMinAmount: Int64 = 100_000

    /// Impossible travel: consecutive payments from two countries closer in
    /// time than the minimum travel time between them. Clean traffic never
    /// leaves home, and the first clean payment after a scenario comes ≥ 60 min
    /// later; impossible_travel is another continent 1–6 min later.
    public var travelSameContinentMicroseconds: Int64 = 15 * 60 * 1_000_000
    public var travelIntercontinentalMicroseconds: Int64 = 45 * 60 * 1_000_000

    /// Top-up drain: payments since a top-up ≥ `minTopup`, within the window
    /// after it, reaching `percent` % of it. Clean: top-ups ≤ 50,000 and ≤ 50 %
    /// spent within 31 min; topup_drain: ≥ 100,000 and ≥ 90 % within 10 min.
    public var topupDrainWindowMicroseconds: Int64 = 900 * 1_000_000
    public var topupDrainPercent = 80
    public var topupDrainMinTopup: Int64 = 75_000

    /// Blocked-account activity: a payment at least this long after the block
    /// alerts. 0 (every payment after a block) by default; a grace lets pass
    /// the authorisations in flight when the block landed, at the cost of the
    /// fraud that pays within it (blocked_account_activity pays after 20 s–5 min).
    public var blockedGraceMicroseconds: Int64 = 0

    /// Refund abuse: a refund of a payment the account never made (as far as
    /// the service saw) alerts from this amount up. 0 (every one) by default:
    /// a legitimate return of a purchase made before the service's history
    /// cannot be told from a made-up one, and this only trades one for the other.
    public var refundUnknownPaymentMinAmount: Int64 = 0

    public init() {}

    /// How far after an event its arrival can change another event's verdict:
    /// events that arrive out of order are re-evaluated within this horizon.
    var reevaluationHorizonMicroseconds: Int64 {
        max(
            self.velocityWindowMicroseconds, self.cardTestingWindowMicroseconds,
            self.travelIntercontinentalMicroseconds, self.travelSameContinentMicroseconds,
            self.topupDrainWindowMicroseconds
        )
    }
}

extension AntiFraudConfiguration {
    /// Reads every threshold; a malformed value names its variable.
    public init(environment: Environment) throws(ConfigurationError) {
        self.init()
        self.keyPrefix = try environment.string("ANTI_FRAUD_KEY_PREFIX", default: self.keyPrefix)
        self.stateTTLSeconds = try environment.integer("ANTI_FRAUD_STATE_TTL_SECONDS", default: self.stateTTLSeconds, in: 60...31_536_000)
        self.rememberedPayments = try environment.integer("ANTI_FRAUD_REMEMBERED_PAYMENTS", default: self.rememberedPayments, in: 10...10_000)

        self.velocityWindowMicroseconds = try Self.seconds(environment, "FRAUD_VELOCITY_WINDOW_SECONDS", default: 600)
        self.velocityMaxPayments = try environment.integer("FRAUD_VELOCITY_MAX_PAYMENTS", default: self.velocityMaxPayments, in: 1...10_000)

        self.cardTestingWindowMicroseconds = try Self.seconds(environment, "FRAUD_CARD_TESTING_WINDOW_SECONDS", default: 600)
        self.cardTestingSmallAmount = Int64(try environment.integer("FRAUD_CARD_TESTING_SMALL_AMOUNT", default: 250, in: 1...1_000_000_000))
        self.cardTestingMinPayments = try environment.integer("FRAUD_CARD_TESTING_MIN_PAYMENTS", default: self.cardTestingMinPayments, in: 2...10_000)
        self.cardTestingMinMerchants = try environment.integer("FRAUD_CARD_TESTING_MIN_MERCHANTS", default: self.cardTestingMinMerchants, in: 1...10_000)

        self.amountSpikeAbsolute = Int64(try environment.integer("FRAUD_AMOUNT_SPIKE_ABSOLUTE", default: 300_000, in: 1...Int(Int32.max)))
        self.amountSpikeMultiple = try environment.integer("FRAUD_AMOUNT_SPIKE_MULTIPLE", default: self.amountSpikeMultiple, in: 2...1_000)
        self.amountSpikeMinHistory = try environment.integer("FRAUD_AMOUNT_SPIKE_MIN_HISTORY", default: self.amountSpikeMinHistory, in: 1...1_000)
        self.amountSpikeHistory = try environment.integer("FRAUD_AMOUNT_SPIKE_HISTORY", default: self.amountSpikeHistory, in: 1...1_000)
        self.amountSpikeMinAmount = Int64(try environment.integer("FRAUD_AMOUNT_SPIKE_MIN_AMOUNT", default: 100_000, in: 0...Int(Int32.max)))

        self.travelSameContinentMicroseconds = try Self.minutes(environment, "FRAUD_TRAVEL_SAME_CONTINENT_MINUTES", default: 15)
        self.travelIntercontinentalMicroseconds = try Self.minutes(environment, "FRAUD_TRAVEL_INTERCONTINENTAL_MINUTES", default: 45)

        self.topupDrainWindowMicroseconds = try Self.seconds(environment, "FRAUD_TOPUP_DRAIN_WINDOW_SECONDS", default: 900)
        self.topupDrainPercent = try environment.integer("FRAUD_TOPUP_DRAIN_PERCENT", default: self.topupDrainPercent, in: 1...100)
        self.topupDrainMinTopup = Int64(try environment.integer("FRAUD_TOPUP_DRAIN_MIN_TOPUP", default: 75_000, in: 0...Int(Int32.max)))

        self.blockedGraceMicroseconds = Int64(try environment.integer("FRAUD_BLOCKED_GRACE_SECONDS", default: 0, in: 0...86_400)) * 1_000_000
        self.refundUnknownPaymentMinAmount = Int64(try environment.integer("FRAUD_REFUND_UNKNOWN_MIN_AMOUNT", default: 0, in: 0...Int(Int32.max)))
    }

    private static func seconds(_ environment: Environment, _ name: String, default value: Int) throws(ConfigurationError) -> Int64 {
        Int64(try environment.integer(name, default: value, in: 1...604_800)) * 1_000_000
    }

    private static func minutes(_ environment: Environment, _ name: String, default value: Int) throws(ConfigurationError) -> Int64 {
        Int64(try environment.integer(name, default: value, in: 1...10_080)) * 60 * 1_000_000
    }
}
