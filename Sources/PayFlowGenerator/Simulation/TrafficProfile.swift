/// Which traffic the generator makes: ``realistic`` (the default) mixes in
/// traffic that looks like fraud and is not, and fraud that stays under the
/// rules' thresholds; ``clean`` is normal traffic plus the textbook fraud
/// scenarios only.
///
/// Why two: the generator and the anti-fraud rules were written together, so
/// on ``clean`` traffic the rules see exactly the shapes the generator makes
/// and score 1.000. ``realistic`` is what the detection figures in the README
/// are measured on; ``clean`` stays for tests that need every alert to mean
/// a labelled fraud. Set by `GENERATOR_PROFILE` or the `profile` field of
/// `PUT /v1/generator/config`.
///
/// The profile is part of what fixes the events: the same seed and profile
/// give the same events, and ``clean`` gives exactly what the generator made
/// before profiles existed (it draws no extra random numbers).
public enum TrafficProfile: String, Sendable, Equatable, Codable, CaseIterable {
    case realistic
    case clean

    /// Probability per step of normal traffic of starting each episode, in the
    /// order they are drawn (changing it changes what every seed produces).
    ///
    /// These are choices, not measurements: public data sets give the fraud
    /// share (PaySim: 0.129 % of transactions), not how often people travel,
    /// get paid or return goods. They are set so that a run of a few tens of
    /// thousands of events holds dozens of each shape; see "Detection
    /// quality" in the README for what they mean next to PaySim's figure.
    var episodeRates: [(episode: RealisticEpisode, probability: Double)] {
        switch self {
        case .clean:
            []
        case .realistic:
            [
                (.legitimate(.travellerAfterBooking), 0.002),
                (.legitimate(.smallRecurringPayments), 0.002),
                (.legitimate(.payrollDay), 0.001),
                (.legitimate(.familySharedDevice), 0.001),
                (.legitimate(.legitimateReturn), 0.002),
                (.adaptiveFraud(.velocityUnderThreshold), 0.0005),
                (.adaptiveFraud(.slowCardTesting), 0.0005),
                (.adaptiveFraud(.plausibleTravel), 0.0005),
            ]
        }
    }
}
