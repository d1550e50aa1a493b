/// The bounds normal (unlabelled) traffic stays within, by construction.
///
/// The anti-fraud rules put their thresholds between these and the fraud
/// scenarios' patterns, so that clean traffic never trips a rule by chance and
/// every rule hit is either a labelled fraud or a real false positive worth a
/// look. Changing a number here moves that gap: tell the anti-fraud side.
enum CleanTrafficLimits {
    /// At most this many payments per account…
    static let maximumPaymentsPerWindow = 3
    /// …within this much business time (velocity_burst has 8+ in 60 s).
    static let paymentWindowMicroseconds: Int64 = 10 * 60 * 1_000_000
    /// Clean payments are at least this much (card_testing uses 50–199).
    static let minimumPayment: Int64 = 300
    /// Clean payments are below this much (amount_spike is ≥ 500,000).
    static let maximumPaymentExclusive: Int64 = 200_000
    /// Clean payments are at most this multiple of the account's habit
    /// median (amount_spike is ≥ 20×).
    static let maximumHabitMultiple: Int64 = 5
    /// Clean top-ups are within this range (topup_drain tops up ≥ 100,000).
    static let topupRange: ClosedRange<Int64> = 2_000...50_000
    /// Within this much business time after a top-up…
    static let topupSpendWindowMicroseconds: Int64 = 30 * 60 * 1_000_000
    /// …an account spends at most this fraction of it (topup_drain spends ≥ 90 %).
    static let topupSpendFraction = 0.5
    /// A margin added to every window, so that "within 10 minutes" holds
    /// however a rule rounds its window edges.
    static let windowMarginMicroseconds: Int64 = 60 * 1_000_000
    /// After a fraud scenario its account has no clean traffic for this long,
    /// so no clean event lands in the window of a rule that fired on the
    /// scenario (a home payment 2 minutes after a foreign one would itself
    /// look like impossible travel).
    static let quietAfterScenarioMicroseconds: Int64 = 60 * 60 * 1_000_000
}
