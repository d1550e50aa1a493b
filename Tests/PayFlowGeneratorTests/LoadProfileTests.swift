import PayFlowDomain
import Testing
@testable import PayFlowGenerator

/// Each load profile's rate as a pure function of the seconds since it took
/// effect, and the combinations a configuration refuses.
@Suite("Load profiles")
struct LoadProfileTests {
    @Test func constantIsTheBaseRateOrUnlimited() {
        #expect(LoadProfile.constant.rate(base: 200, at: 0) == 200)
        #expect(LoadProfile.constant.rate(base: 200, at: 12_345) == 200)
        #expect(LoadProfile.constant.rate(base: nil, at: 3) == nil)
    }

    @Test func rampGoesLinearlyThenHoldsItsTarget() throws {
        let ramp = LoadProfile.ramp(from: 100, to: 1_100, durationSeconds: 10)
        #expect(ramp.rate(base: nil, at: 0) == 100)
        #expect(ramp.rate(base: nil, at: 5) == 600)
        #expect(try #require(ramp.rate(base: 50, at: 9.9)) > 1_089)
        #expect(ramp.rate(base: nil, at: 10) == 1_100)
        #expect(ramp.rate(base: nil, at: 3_600) == 1_100)
        // Down as well as up.
        #expect(LoadProfile.ramp(from: 1_000, to: 10, durationSeconds: 100).rate(base: nil, at: 50) == 505)
    }

    @Test func burstMultipliesTheBaseAtTheStartOfEveryPeriod() {
        let burst = LoadProfile.burst(factor: 5, burstSeconds: 2, periodSeconds: 10)
        #expect(burst.rate(base: 100, at: 0) == 500)
        #expect(burst.rate(base: 100, at: 1.99) == 500)
        #expect(burst.rate(base: 100, at: 2) == 100)
        #expect(burst.rate(base: 100, at: 9.9) == 100)
        #expect(burst.rate(base: 100, at: 10.5) == 500)
        #expect(burst.rate(base: 100, at: 73) == 100)
        #expect(burst.rate(base: 100, at: 71) == 500)
    }

    @Test func dailyFollowsTheRhythmOverACompressedDay() throws {
        let daily = LoadProfile.daily(periodSeconds: 600, startHour: 0)
        let rhythm = DailyRhythm()
        // 600 s per day: 25 s per hour.
        for hour in [0, 3, 12, 19, 23] {
            let rate = try #require(daily.rate(base: 100, at: Double(hour) * 25))
            #expect(abs(rate - 100 * rhythm.intensity(atHour: Double(hour))) < 1e-9)
        }
        // Quiet at night, busy in the evening, and periodic.
        #expect(try #require(daily.rate(base: 100, at: 4 * 25)) < 30)
        #expect(try #require(daily.rate(base: 100, at: 19 * 25)) > 150)
        #expect(abs(try #require(daily.rate(base: 100, at: 137)) - (try #require(daily.rate(base: 100, at: 737)))) < 1e-9)
        // The base rate is the day's mean.
        let samples = (0..<6_000).map { daily.rate(base: 100, at: Double($0) / 10)! }
        #expect(abs(samples.reduce(0, +) / Double(samples.count) - 100) < 0.5)
        // start_hour shifts the curve.
        let evening = LoadProfile.daily(periodSeconds: 600, startHour: 19)
        #expect(evening.rate(base: 100, at: 0) == daily.rate(base: 100, at: 19 * 25))
    }

    @Test func profilesThatDoNotFitTheConfigurationAreRefused() {
        func refusal(_ profile: LoadProfile, rate: Double? = 100) -> GeneratorConfigurationError? {
            do {
                try GeneratorConfiguration(eventsPerSecond: rate, loadProfile: profile).validate()
                return nil
            } catch {
                return error
            }
        }
        #expect(refusal(.constant) == nil)
        #expect(refusal(.constant, rate: nil) == nil)
        #expect(refusal(.ramp(from: 10, to: 100, durationSeconds: 5), rate: nil) == nil)
        #expect(refusal(.burst(factor: 3, burstSeconds: 1, periodSeconds: 4)) == nil)
        #expect(refusal(.daily(periodSeconds: 600, startHour: 8)) == nil)

        let refused: [(LoadProfile, Double?, String)] = [
            (.burst(factor: 3, burstSeconds: 1, periodSeconds: 4), nil, "load_profile"),
            (.daily(periodSeconds: 600, startHour: 0), nil, "load_profile"),
            (.burst(factor: 0, burstSeconds: 1, periodSeconds: 4), 100, "load_profile.factor"),
            (.burst(factor: -2, burstSeconds: 1, periodSeconds: 4), 100, "load_profile.factor"),
            (.burst(factor: 2, burstSeconds: 4, periodSeconds: 4), 100, "load_profile.burst_seconds"),
            (.burst(factor: 20_000, burstSeconds: 1, periodSeconds: 4), 100, "load_profile.factor"),
            (.ramp(from: 0, to: 100, durationSeconds: 5), nil, "load_profile.from_events_per_second"),
            (.ramp(from: 10, to: 100, durationSeconds: 0), nil, "load_profile.duration_seconds"),
            (.daily(periodSeconds: 0.5, startHour: 0), 100, "load_profile.period_seconds"),
            (.daily(periodSeconds: 600, startHour: 24), 100, "load_profile.start_hour"),
        ]
        for (profile, rate, field) in refused {
            let error = refusal(profile, rate: rate)
            #expect(error?.field == field, "\(profile) at \(rate.map { "\($0)" } ?? "unlimited")")
            #expect(error?.reason == .doesNotFit)
        }
    }

    /// The pacer integrates the rate call by call: a rate that changes gives
    /// the area under its curve, not the last rate × the whole time.
    @Test func pacerIntegratesAChangingRate() {
        var pacer = Pacer()
        let start = ContinuousClock.now
        #expect(pacer.due(rate: 10, now: start) == 1)
        pacer.record(1)
        // One second at 10/s, then one at 1000/s.
        #expect(pacer.due(rate: 10, now: start + .seconds(1)) == 10)
        pacer.record(10)
        #expect(pacer.due(rate: 1_000, now: start + .seconds(2)) == 1_000)
        pacer.record(1_000)
        #expect(pacer.due(rate: 1_000, now: start + .milliseconds(2_500)) == 500)
    }

    /// A call delayed across a `PUT` (a batch that stalled) is credited the
    /// old rate up to the `PUT` and the new one after it, not the new rate
    /// for the whole stall.
    @Test func pacerSplitsAnIntervalAtTheRateChange() {
        var pacer = Pacer()
        let start = ContinuousClock.now
        #expect(pacer.due(rate: 20, now: start) == 1)
        pacer.record(1)
        // 3 s at 20/s, then 1 s at 400/s: 60 + 400, not 4 s × 400.
        #expect(pacer.due(rate: 400, changedAt: start + .seconds(3), now: start + .seconds(4)) == 460)
        pacer.record(460)
        // A change before the previous call is already in its credit.
        #expect(pacer.due(rate: 400, changedAt: start + .seconds(3), now: start + .seconds(5)) == 400)
    }
}
