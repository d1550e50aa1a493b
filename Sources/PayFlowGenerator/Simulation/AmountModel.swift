/// How much money moves: skewed distributions in integer minor units.
///
/// Real payment amounts are log-normal-ish (many coffees, few televisions), so
/// each account has a habit median drawn from a log-normal itself, and its
/// payments are log-normal around that habit. Every clean draw is clamped into
/// ``CleanTrafficLimits`` here, in one place.
enum AmountModel {
    /// An account's median payment: most accounts spend a few units of
    /// currency per payment, a long tail spends hundreds.
    static func habitMedian(using random: inout SeededRandom) -> Int64 {
        let draw = random.nextLogNormal(median: 2_500, sigma: 0.8)
        return Int64(min(30_000, max(500, draw)).rounded())
    }

    /// The largest clean payment an account with this habit makes.
    static func cleanPaymentCeiling(habit: Int64) -> Int64 {
        min(habit * CleanTrafficLimits.maximumHabitMultiple, CleanTrafficLimits.maximumPaymentExclusive - 1)
    }

    /// A clean payment around the habit, within the clean bounds.
    static func cleanPayment(habit: Int64, using random: inout SeededRandom) -> Int64 {
        let draw = Int64(random.nextLogNormal(median: Double(habit), sigma: 0.7).rounded())
        return min(Self.cleanPaymentCeiling(habit: habit), max(CleanTrafficLimits.minimumPayment, draw))
    }

    /// A clean top-up: round-ish (whole hundreds or thousands, as people type
    /// them), several payments' worth so balances keep up with spending.
    static func cleanTopup(habit: Int64, using random: inout SeededRandom) -> Int64 {
        let draw = Double(habit) * random.nextDouble(in: 5, 14)
        let step: Double = draw >= 10_000 ? 5_000 : (draw >= 5_000 ? 1_000 : 500)
        let rounded = Int64((draw / step).rounded() * step)
        return min(CleanTrafficLimits.topupRange.upperBound, max(CleanTrafficLimits.topupRange.lowerBound, rounded))
    }

    /// A clean refund of what is left of a payment: most refunds are whole,
    /// some partial (one item of an order).
    static func refund(remaining: Int64, using random: inout SeededRandom) -> Int64 {
        if remaining <= 1 || random.nextBool(probability: 0.6) { return remaining }
        let fraction = random.nextDouble(in: 0.1, 0.9)
        return max(1, min(remaining, Int64((Double(remaining) * fraction).rounded())))
    }

    /// The opening balance: enough for dozens of habitual payments.
    static func openingBalance(habit: Int64, using random: inout SeededRandom) -> Int64 {
        Int64((Double(habit) * random.nextDouble(in: 30, 100)).rounded())
    }

    /// An amount_spike payment: ≥ 20× the habit and ≥ 500,000, rounded to
    /// hundreds like a big-ticket price.
    static func spike(habit: Int64, using random: inout SeededRandom) -> Int64 {
        let floor = max(habit * 20, 500_000)
        let draw = Double(floor) * random.nextDouble(in: 1.0, 1.8)
        return Self.roundUp(Int64(draw), to: 100)
    }

    /// A card_testing probe: tiny, to check the card works.
    static func cardTest(using random: inout SeededRandom) -> Int64 {
        random.nextInt64(in: 50...199)
    }

    /// A topup_drain top-up: far above any clean top-up.
    static func drainTopup(using random: inout SeededRandom) -> Int64 {
        Self.roundUp(random.nextInt64(in: 100_000...300_000), to: 5_000)
    }

    static func roundUp(_ value: Int64, to step: Int64) -> Int64 {
        (value + step - 1) / step * step
    }
}
