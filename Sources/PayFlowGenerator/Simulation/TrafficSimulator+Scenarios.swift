import Foundation
import PayFlowDomain

/// Fraud scenarios: the patterns the anti-fraud rules must find, each run
/// labelled `.fraud(scenario)` with one incident id shared by its events.
///
/// What each run emits (the `count` parameter in brackets, default random):
/// - velocity_burst: [8–15] payments within 60 s of business time, habitual
///   amounts, own device. All labelled.
/// - card_testing: [10–20] payments of 50–199 at as many distinct merchants
///   within 5 min, from a new device and ip. All labelled.
/// - amount_spike: [1] payment ≥ 20× the habit median and ≥ 500,000. All labelled.
/// - impossible_travel: [2] a payment from home, then one from another
///   continent (new device and ip) 1–6 min later. Both labelled: the pair is
///   the pattern, neither alone is suspicious.
/// - blocked_account_activity: account_blocked, then [1–3] payments within
///   10 min. The payments are labelled, the block is not (it is the bank's
///   reaction, not fraud). The block stays until normal traffic unblocks the
///   account (an `account_unblocked` weight of 0 means never).
/// - refund_abuse: [1] refund, either above what is left of one of the
///   account's payments or of a random payment id that never existed. Labelled.
/// - topup_drain: a top-up ≥ 100,000 then [3–6] payments within 10 min
///   summing 90–99 % of it. All labelled, the top-up included: it is half of
///   the pattern.
///
/// When the account cannot afford the scenario, a funding top-up of twice what
/// the scenario spends comes first, unlabelled (spending half of it or less
/// is not a drain), and the scenario starts 30 s–2 min after it.
///
/// After a run the account has no clean traffic for an hour of business time,
/// so no clean event falls in a window where a rule sees the pattern.
extension TrafficSimulator {
    /// One fraud scenario on demand (REST `POST /v1/scenarios/{name}`); parameters.account must exist (else throw .unknownAccount), parameters.count in a sane range for the scenario (else .invalidParameter with a clear sentence).
    ///
    /// A blocked account can only run blocked_account_activity (which then
    /// emits no second block); without an account, an active one is picked.
    /// In the realistic profile the result also holds the scheduled episode
    /// events that fall before the scenario's end (labelled as theirs).
    public mutating func scenario(_ scenario: FraudPattern, parameters: ScenarioParameters) throws(GeneratorControlError) -> [SimulatedEvent] {
        if let count = parameters.count {
            let range = Self.countRange(of: scenario)
            guard range.contains(count) else {
                if range.count == 1 {
                    throw .invalidParameter("\(scenario.scenarioName) always has \(range.lowerBound) fraudulent event\(range.lowerBound == 1 ? "" : "s"); omit count or set it to \(range.lowerBound), got \(count)")
                }
                throw .invalidParameter("count for \(scenario.scenarioName) must be between \(range.lowerBound) and \(range.upperBound), got \(count)")
            }
        }
        let index: Int
        if let id = parameters.account {
            guard let found = self.population.index(of: id) else { throw .unknownAccount(id) }
            if self.population.accounts[found].isBlocked, scenario != .blockedAccountActivity {
                throw .invalidParameter("account '\(id)' is blocked; only blocked_account_activity can run on a blocked account")
            }
            index = found
        } else {
            guard let picked = self.pickScenarioAccount(at: self.clock.now) else {
                throw .invalidParameter("no account is available for a scenario right now; name one with 'account'")
            }
            index = picked
        }
        let start = self.clock.advance(using: &self.random, rhythm: self.rhythm)
        // Realistic episodes' events up to the scenario's end come with it,
        // so timestamps never decrease across scenario() and next().
        return self.withDueEpisodeEvents(self.runScenario(scenario, on: index, count: parameters.count, startingAt: start))
    }

    /// The counts a scenario accepts: what the pattern needs to be that pattern.
    static func countRange(of scenario: FraudPattern) -> ClosedRange<Int> {
        switch scenario {
        case .velocityBurst: 8...15
        case .cardTesting: 10...20
        case .amountSpike: 1...1
        case .impossibleTravel: 2...2
        case .blockedAccountActivity: 1...3
        case .refundAbuse: 1...1
        case .topupDrain: 3...6
        }
    }

    /// An account that is neither blocked nor cooling down, by activity weight.
    mutating func pickScenarioAccount(at time: EventTimestamp) -> Int? {
        for _ in 0..<32 {
            let index = self.population.weightedPick(using: &self.random)
            if self.population.accounts[index].isAvailableForCleanTraffic(at: time) { return index }
        }
        return nil
    }

    /// Runs a scenario from `start`, moves the clock to its last event and
    /// returns its events with ledger rows and labels.
    mutating func runScenario(_ scenario: FraudPattern, on index: Int, count: Int?, startingAt start: EventTimestamp) -> [SimulatedEvent] {
        let incident = self.random.nextUUID()
        let count = count ?? self.random.nextInt(in: Self.countRange(of: scenario))
        var run = ScenarioRun()
        switch scenario {
        case .velocityBurst: self.velocityBurst(&run, account: index, count: count, start: start)
        case .cardTesting: self.cardTesting(&run, account: index, count: count, start: start)
        case .amountSpike: self.amountSpike(&run, account: index, start: start)
        case .impossibleTravel: self.impossibleTravel(&run, account: index, start: start)
        case .blockedAccountActivity: self.blockedAccountActivity(&run, account: index, count: count, start: start)
        case .refundAbuse: self.refundAbuse(&run, account: index, start: start)
        case .topupDrain: self.topupDrain(&run, account: index, count: count, start: start)
        }
        let end = run.steps.last?.event.occurredAt ?? start
        self.population.accounts[index].quietUntil = end.adding(microseconds: CleanTrafficLimits.quietAfterScenarioMicroseconds)
        self.clock.jump(to: end)
        return run.steps.map { step in
            SimulatedEvent(
                event: step.event,
                ledger: step.event.type.isTransaction ? LedgerRecord(matching: step.event) : nil,
                labels: step.isFraud
                    ? [GroundTruthLabel(kind: .fraud(scenario), transactionID: step.event.id, incidentID: incident)]
                    : []
            )
        }
    }

    // MARK: - Patterns

    private mutating func velocityBurst(_ run: inout ScenarioRun, account index: Int, count: Int, start: EventTimestamp) {
        let account = self.population.accounts[index]
        let amounts = (0..<count).map { _ in AmountModel.cleanPayment(habit: account.habitMedian, using: &self.random) }
        let first = self.fund(&run, account: index, needed: amounts.reduce(0, +), at: start)
        let offsets = self.offsets(count: count, within: self.seconds(10, 50))
        for (amount, offset) in zip(amounts, offsets) {
            let merchant = self.random.nextBool(probability: 0.5)
                ? self.population.merchants[self.random.pick(account.usualMerchants)]
                : self.population.merchants[AccountPopulation.popularMerchant(using: &self.random)]
            run.fraud(self.recordPayment(
                account: index, amount: amount, merchant: merchant, country: account.homeCountry,
                ip: account.ip, device: account.device, at: first.adding(microseconds: offset)
            ))
        }
    }

    private mutating func cardTesting(_ run: inout ScenarioRun, account index: Int, count: Int, start: EventTimestamp) {
        let account = self.population.accounts[index]
        let amounts = (0..<count).map { _ in AmountModel.cardTest(using: &self.random) }
        var merchants: [Int] = []
        while merchants.count < count {
            let merchant = self.random.nextInt(below: AccountPopulation.merchantCount)
            if !merchants.contains(merchant) { merchants.append(merchant) }
        }
        let first = self.fund(&run, account: index, needed: amounts.reduce(0, +), at: start)
        let ip = Geography.ipAddress(using: &self.random)
        let device = Geography.deviceID(using: &self.random)
        let offsets = self.offsets(count: count, within: self.seconds(30, 180))
        for position in 0..<count {
            run.fraud(self.recordPayment(
                account: index, amount: amounts[position], merchant: self.population.merchants[merchants[position]],
                country: account.homeCountry, ip: ip, device: device, at: first.adding(microseconds: offsets[position])
            ))
        }
    }

    private mutating func amountSpike(_ run: inout ScenarioRun, account index: Int, start: EventTimestamp) {
        let account = self.population.accounts[index]
        let amount = AmountModel.spike(habit: account.habitMedian, using: &self.random)
        let time = self.fund(&run, account: index, needed: amount, at: start)
        let merchant = self.population.merchants[self.random.nextInt(below: AccountPopulation.merchantCount)]
        run.fraud(self.recordPayment(
            account: index, amount: amount, merchant: merchant, country: account.homeCountry,
            ip: account.ip, device: account.device, at: time
        ))
    }

    private mutating func impossibleTravel(_ run: inout ScenarioRun, account index: Int, start: EventTimestamp) {
        let account = self.population.accounts[index]
        let homeAmount = AmountModel.cleanPayment(habit: account.habitMedian, using: &self.random)
        let awayAmount = AmountModel.cleanPayment(habit: account.habitMedian, using: &self.random)
        let first = self.fund(&run, account: index, needed: homeAmount + awayAmount, at: start)
        run.fraud(self.recordPayment(
            account: index, amount: homeAmount, merchant: self.population.merchants[self.random.pick(account.usualMerchants)],
            country: account.homeCountry, ip: account.ip, device: account.device, at: first
        ))
        let away = Geography.distantCountry(from: account.homeCountry, using: &self.random)
        let merchant = self.population.merchants[self.random.nextInt(below: AccountPopulation.merchantCount)]
        let ip = Geography.ipAddress(using: &self.random)
        let device = Geography.deviceID(using: &self.random)
        run.fraud(self.recordPayment(
            account: index, amount: awayAmount, merchant: merchant, country: away,
            ip: ip, device: device, at: first.adding(microseconds: self.seconds(60, 360))
        ))
    }

    private mutating func blockedAccountActivity(_ run: inout ScenarioRun, account index: Int, count: Int, start: EventTimestamp) {
        let account = self.population.accounts[index]
        let amounts = (0..<count).map { _ in AmountModel.cleanPayment(habit: account.habitMedian, using: &self.random) }
        let blockTime = self.fund(&run, account: index, needed: amounts.reduce(0, +), at: start)
        if !account.isBlocked {
            run.setUp(self.recordBlock(account: index, at: blockTime, reason: "suspected fraud: review pending"))
        }
        let span = self.seconds(60, 300)
        let offsets = (0..<count).map { _ in self.random.nextInt64(in: 20_000_000...span) }.sorted()
        for (amount, offset) in zip(amounts, offsets) {
            let merchant = self.population.merchants[AccountPopulation.popularMerchant(using: &self.random)]
            run.fraud(self.recordPayment(
                account: index, amount: amount, merchant: merchant, country: account.homeCountry,
                ip: account.ip, device: account.device, at: blockTime.adding(microseconds: offset)
            ))
        }
    }

    private mutating func refundAbuse(_ run: inout ScenarioRun, account index: Int, start: EventTimestamp) {
        let account = self.population.accounts[index]
        if !account.payments.isEmpty, self.random.nextBool(probability: 0.5) {
            let payment = self.random.pick(account.payments)
            let amount = payment.remaining + self.random.nextInt64(in: 1...max(1, payment.amount))
            run.fraud(self.recordRefund(account: index, of: payment.id, amount: amount, merchant: payment.merchant, at: start))
        } else {
            let unknown = self.random.nextUUID()
            let amount = AmountModel.cleanPayment(habit: account.habitMedian, using: &self.random)
            let merchant = self.population.merchants[AccountPopulation.popularMerchant(using: &self.random)]
            run.fraud(self.recordRefund(account: index, of: unknown, amount: amount, merchant: merchant, at: start))
        }
    }

    private mutating func topupDrain(_ run: inout ScenarioRun, account index: Int, count: Int, start: EventTimestamp) {
        let account = self.population.accounts[index]
        let topup = AmountModel.drainTopup(using: &self.random)
        run.fraud(self.recordTopup(account: index, amount: topup, at: start))
        let minimum = (topup * 9 + 9) / 10
        let total = max(minimum, Int64(Double(topup) * self.random.nextDouble(in: 0.90, 0.99)))
        let weights = (0..<count).map { _ in self.random.nextDouble(in: 0.5, 1.5) }
        let weightSum = weights.reduce(0, +)
        var amounts = weights.map { Int64(Double(total) * $0 / weightSum) }
        amounts[count - 1] += total - amounts.reduce(0, +)
        let span = self.seconds(120, 480)
        let offsets = (0..<count).map { _ in self.random.nextInt64(in: 30_000_000...span) }.sorted()
        for (amount, offset) in zip(amounts, offsets) {
            let merchant = self.population.merchants[self.random.nextInt(below: AccountPopulation.merchantCount)]
            run.fraud(self.recordPayment(
                account: index, amount: amount, merchant: merchant, country: account.homeCountry,
                ip: account.ip, device: account.device, at: start.adding(microseconds: offset)
            ))
        }
    }

    // MARK: - Helpers

    /// Tops the account up when it cannot afford `needed`, unlabelled, and
    /// returns when the scenario proper may start.
    mutating func fund(_ run: inout ScenarioRun, account index: Int, needed: Int64, at start: EventTimestamp) -> EventTimestamp {
        guard self.population.accounts[index].balance < needed else { return start }
        let amount = max(CleanTrafficLimits.topupRange.lowerBound, AmountModel.roundUp(needed * 2, to: 1_000))
        run.setUp(self.recordTopup(account: index, amount: amount, at: start))
        return start.adding(microseconds: self.seconds(30, 120))
    }

    /// A random duration between two numbers of seconds, in microseconds.
    mutating func seconds(_ lower: Int64, _ upper: Int64) -> Int64 {
        self.random.nextInt64(in: (lower * 1_000_000)...(upper * 1_000_000))
    }

    /// `count` sorted offsets within `span`, the first at 0.
    mutating func offsets(count: Int, within span: Int64) -> [Int64] {
        [0] + (1..<max(1, count)).map { _ in self.random.nextInt64(in: 0...span) }.sorted()
    }
}

/// The events of one scenario run so far, each marked fraudulent or set-up.
struct ScenarioRun {
    struct Step {
        var event: PaymentEvent
        var isFraud: Bool
    }

    var steps: [Step] = []

    mutating func fraud(_ event: PaymentEvent) {
        self.steps.append(Step(event: event, isFraud: true))
    }

    mutating func setUp(_ event: PaymentEvent) {
        self.steps.append(Step(event: event, isFraud: false))
    }
}
