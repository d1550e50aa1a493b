import PayFlowDomain

/// Legitimate traffic that looks like fraud: the realistic profile's hard
/// negatives. Labelled in the ground truth as category `legitimate` with
/// these names, so a report can say which false positives each one causes.
///
/// The names are a contract of `generator_ground_truth.name`.
public enum HardNegative: String, Sendable, CaseIterable, Hashable {
    /// A booking-like payment at home (a flight), then payments abroad after
    /// a flight's duration; sometimes a home-country online charge comes in
    /// while the traveller is away.
    case travellerAfterBooking = "traveller_after_booking"
    /// Transit taps and subscription or in-app charges: many payments below
    /// the card-testing amount in a day, some of them close together.
    case smallRecurringPayments = "small_recurring_payments"
    /// A salary top-up, then rent and standing orders within minutes.
    case payrollDay = "payroll_day"
    /// Several accounts (a family's cards) paying from one device and ip.
    case familySharedDevice = "family_shared_device"
    /// Returned goods: a payment refunded in parts, or a purchase made before
    /// the platform's history began refunded now.
    case legitimateReturn = "legitimate_return"

    /// The fraud pattern this traffic resembles; nil when no rule looks at
    /// what makes it suspicious (devices: no rule reads them).
    public var looksLike: FraudPattern? {
        switch self {
        case .travellerAfterBooking: .impossibleTravel
        case .smallRecurringPayments: .cardTesting
        case .payrollDay: .topupDrain
        case .familySharedDevice: nil
        case .legitimateReturn: .refundAbuse
        }
    }
}
