import Foundation
import PayFlowDomain

/// The realistic profile's episodes: legitimate traffic that looks like fraud
/// (``HardNegative``) and fraud shaped to stay under the rules
/// (``AdaptiveFraud``), each run labelled with one incident id.
///
/// What each episode emits (times after its start):
/// - traveller_after_booking: a booking-like payment at home (a flight,
///   median 450.00), then 1–3 payments abroad from a new ip: in a country of
///   the same continent after 1.2–4 h, or on another continent after 3–14 h
///   (a flight's duration). In 30 % of them a home-country online charge
///   (a subscription billed at home) comes 5–40 min after the first payment
///   abroad: the travel rule cannot tell it from a stolen card.
/// - small_recurring_payments: a day of 4–8 transit taps of 1.50–2.40 at one
///   merchant, 20–150 min apart; a billing run of 2–5 subscription charges of
///   0.99–2.49 at distinct merchants within 2–15 min; in 30 % an in-app
///   burst of 3–6 purchases of 0.99–2.49 at 1–2 merchants within 3–8 min.
/// - payroll_day: a salary top-up (median 2,500.00), then 1–20 min later the
///   standing orders in one batch within 4 min: rent of 30–55 % of it and
///   2–5 bills of 2–8 % each.
/// - family_shared_device: 2–4 accounts, 1–2 habitual payments each within
///   30 min, all from the first account's device and ip.
/// - legitimate_return: 60 % (when the account has a refundable payment) its
///   remainder refunded in two parts 30 min–6 h apart; else a habitual amount
///   refunded for a purchase made before the platform's history began (a
///   payment id the platform never saw).
/// - velocity_under_threshold: 2–4 rounds of 3–4 habitual payments within 2
///   min, from a new device and ip, rounds 10.5–14 min apart: never more than
///   4 in 10 minutes.
/// - slow_card_testing: 8–15 probes of 50–199 at distinct merchants from a
///   new device and ip, 2.6–6 min apart: never 5 in 10 minutes.
/// - plausible_travel: a payment at home, then one from a new device and ip
///   in a country of the same continent 16–60 min later or of another
///   continent 46–180 min later: just longer than the travel rule asks.
///
/// Funding top-ups (when an account cannot afford the episode) are unlabelled,
/// as in the fraud scenarios. Every account of an episode has no clean
/// traffic from its start until an hour after its last event, so no clean
/// event mixes with it. Episode events go to ``TrafficSimulator/pending`` and
/// come out as business time reaches them.
extension TrafficSimulator {
    /// Draws whether this step starts an episode (one draw, realistic profile
    /// only: the clean profile draws nothing, so its events are unchanged).
    mutating func maybeStartEpisode(at time: EventTimestamp) {
        let rates = self.configuration.profile.episodeRates
        guard !rates.isEmpty else { return }
        let draw = self.random.nextDouble()
        var cumulative = 0.0
        for (episode, probability) in rates {
            cumulative += probability
            if draw < cumulative {
                self.startEpisode(episode, at: time)
                return
            }
        }
    }

    /// Runs one episode now (tests call it directly) and schedules its events.
    mutating func startEpisode(_ episode: RealisticEpisode, at time: EventTimestamp) {
        guard let index = self.pickScenarioAccount(at: time) else { return }
        let incident = self.random.nextUUID()
        var run = ScenarioRun()
        var accounts = [index]
        let kind: GroundTruthLabel.Kind
        switch episode {
        case .legitimate(let shape):
            kind = .legitimate(shape)
            switch shape {
            case .travellerAfterBooking: self.travellerAfterBooking(&run, account: index, start: time)
            case .smallRecurringPayments: self.smallRecurringPayments(&run, account: index, start: time)
            case .payrollDay: self.payrollDay(&run, account: index, start: time)
            case .familySharedDevice: accounts = self.familySharedDevice(&run, first: index, start: time)
            case .legitimateReturn: self.legitimateReturn(&run, account: index, start: time)
            }
        case .adaptiveFraud(let shape):
            kind = .adaptiveFraud(shape)
            switch shape {
            case .velocityUnderThreshold: self.velocityUnderThreshold(&run, account: index, start: time)
            case .slowCardTesting: self.slowCardTesting(&run, account: index, start: time)
            case .plausibleTravel: self.plausibleTravel(&run, account: index, start: time)
            }
        }
        let steps = run.steps.sorted { $0.event.occurredAt < $1.event.occurredAt }
        let end = steps.last?.event.occurredAt ?? time
        for account in accounts {
            self.population.accounts[account].quietUntil = end.adding(microseconds: CleanTrafficLimits.quietAfterScenarioMicroseconds)
        }
        let events = steps.map { step in
            SimulatedEvent(
                event: step.event,
                ledger: step.event.type.isTransaction ? LedgerRecord(matching: step.event) : nil,
                labels: step.isFraud ? [GroundTruthLabel(kind: kind, transactionID: step.event.id, incidentID: incident)] : []
            )
        }
        self.pending = Self.merged(self.pending, events)
    }

    /// `events` with every scheduled episode event up to the later of their
    /// last time and the clock, merged in time order (ties: the earlier
    /// scheduled first), so what next() returns never goes back in time.
    mutating func withDueEpisodeEvents(_ events: [SimulatedEvent]) -> [SimulatedEvent] {
        guard !self.pending.isEmpty else { return events }
        let limit = max(events.last?.event.occurredAt ?? self.clock.now, self.clock.now)
        let due = self.pending.prefix { $0.event.occurredAt <= limit }
        guard !due.isEmpty else { return events }
        self.pending.removeFirst(due.count)
        return Self.merged(Array(due), events)
    }

    /// Two time-ordered lists as one; on equal times `first`'s come first.
    static func merged(_ first: [SimulatedEvent], _ second: [SimulatedEvent]) -> [SimulatedEvent] {
        var result: [SimulatedEvent] = []
        result.reserveCapacity(first.count + second.count)
        var i = 0
        var j = 0
        while i < first.count || j < second.count {
            if j == second.count || (i < first.count && first[i].event.occurredAt <= second[j].event.occurredAt) {
                result.append(first[i])
                i += 1
            } else {
                result.append(second[j])
                j += 1
            }
        }
        return result
    }

    // MARK: - Hard negatives

    private mutating func travellerAfterBooking(_ run: inout ScenarioRun, account index: Int, start: EventTimestamp) {
        let account = self.population.accounts[index]
        let booking = min(250_000, max(5_000, AmountModel.roundUp(Int64(self.random.nextLogNormal(median: 45_000, sigma: 0.6)), to: 100)))
        let abroadCount = self.random.nextInt(in: 1...3)
        let abroad = (0..<abroadCount).map { _ in AmountModel.cleanPayment(habit: account.habitMedian, using: &self.random) }
        let homeCharge = self.random.nextBool(probability: 0.3)
            ? AmountModel.cleanPayment(habit: account.habitMedian, using: &self.random) : nil
        let first = self.fund(&run, account: index, needed: booking + abroad.reduce(0, +) + (homeCharge ?? 0), at: start)
        run.fraud(self.recordPayment(
            account: index, amount: booking, merchant: self.population.merchants[self.random.nextInt(below: AccountPopulation.merchantCount)],
            country: account.homeCountry, ip: account.ip, device: account.device, at: first
        ))
        let nearby = self.random.nextBool(probability: 0.5)
        let destination = nearby
            ? Geography.nearbyCountry(from: account.homeCountry, using: &self.random)
            : Geography.distantCountry(from: account.homeCountry, using: &self.random)
        let flight = nearby ? self.minutes(72, 240) : self.minutes(180, 840)
        let ip = Geography.ipAddress(using: &self.random)
        var time = first.adding(microseconds: flight)
        let landed = time
        for amount in abroad {
            run.fraud(self.recordPayment(
                account: index, amount: amount, merchant: self.population.merchants[self.random.nextInt(below: AccountPopulation.merchantCount)],
                country: destination, ip: ip, device: account.device, at: time
            ))
            time = time.adding(microseconds: self.minutes(10, 90))
        }
        if let homeCharge {
            run.fraud(self.recordPayment(
                account: index, amount: homeCharge, merchant: self.population.merchants[self.random.pick(account.usualMerchants)],
                country: account.homeCountry, ip: ip, device: account.device, at: landed.adding(microseconds: self.minutes(5, 40))
            ))
        }
    }

    private mutating func smallRecurringPayments(_ run: inout ScenarioRun, account index: Int, start: EventTimestamp) {
        let account = self.population.accounts[index]
        var planned: [(amount: Int64, merchant: Int, offset: Int64)] = []
        let transit = AccountPopulation.popularMerchant(using: &self.random)
        var offset: Int64 = 0
        for _ in 0..<self.random.nextInt(in: 4...8) {
            planned.append((self.random.nextInt64(in: 150...240), transit, offset))
            offset += self.minutes(20, 150)
        }
        let billing = self.random.nextInt64(in: 0...max(0, offset))
        let billingSpan = self.minutes(2, 15)
        for merchant in self.distinctMerchants(self.random.nextInt(in: 2...5)) {
            planned.append((self.random.nextInt64(in: 99...249), merchant, billing + self.random.nextInt64(in: 0...billingSpan)))
        }
        if self.random.nextBool(probability: 0.3) {
            let burst = self.random.nextInt64(in: 0...max(0, offset))
            let burstSpan = self.minutes(3, 8)
            let merchants = self.distinctMerchants(self.random.nextInt(in: 1...2))
            for _ in 0..<self.random.nextInt(in: 3...6) {
                planned.append((self.random.nextInt64(in: 99...249), self.random.pick(merchants), burst + self.random.nextInt64(in: 0...burstSpan)))
            }
        }
        planned.sort { $0.offset < $1.offset }
        let first = self.fund(&run, account: index, needed: planned.map(\.amount).reduce(0, +), at: start)
        for payment in planned {
            run.fraud(self.recordPayment(
                account: index, amount: payment.amount, merchant: self.population.merchants[payment.merchant],
                country: account.homeCountry, ip: account.ip, device: account.device, at: first.adding(microseconds: payment.offset)
            ))
        }
    }

    private mutating func payrollDay(_ run: inout ScenarioRun, account index: Int, start: EventTimestamp) {
        let account = self.population.accounts[index]
        let salary = min(600_000, max(120_000, AmountModel.roundUp(Int64(self.random.nextLogNormal(median: 250_000, sigma: 0.35)), to: 1_000)))
        run.fraud(self.recordTopup(account: index, amount: salary, at: start))
        var orders = [Int64(Double(salary) * self.random.nextDouble(in: 0.30, 0.55))]
        for _ in 0..<self.random.nextInt(in: 2...5) {
            orders.append(Int64(Double(salary) * self.random.nextDouble(in: 0.02, 0.08)))
        }
        let batch = start.adding(microseconds: self.minutes(1, 20))
        let offsets = self.offsets(count: orders.count, within: self.seconds(10, 240))
        for (amount, offset) in zip(orders, offsets) {
            run.fraud(self.recordPayment(
                account: index, amount: amount, merchant: self.population.merchants[self.random.nextInt(below: AccountPopulation.merchantCount)],
                country: account.homeCountry, ip: account.ip, device: account.device, at: batch.adding(microseconds: offset)
            ))
        }
    }

    /// Returns every account the episode used.
    private mutating func familySharedDevice(_ run: inout ScenarioRun, first index: Int, start: EventTimestamp) -> [Int] {
        var members = [index]
        for _ in 0..<self.random.nextInt(in: 1...3) {
            if let other = self.pickScenarioAccount(at: start), !members.contains(other) { members.append(other) }
        }
        let device = self.population.accounts[index].device
        let ip = self.population.accounts[index].ip
        for member in members {
            let account = self.population.accounts[member]
            let amounts = (0..<self.random.nextInt(in: 1...2)).map { _ in AmountModel.cleanPayment(habit: account.habitMedian, using: &self.random) }
            let first = self.fund(&run, account: member, needed: amounts.reduce(0, +), at: start)
            for amount in amounts {
                run.fraud(self.recordPayment(
                    account: member, amount: amount, merchant: self.population.merchants[self.random.pick(account.usualMerchants)],
                    country: account.homeCountry, ip: ip, device: device, at: first.adding(microseconds: self.minutes(0, 30))
                ))
            }
        }
        return members
    }

    private mutating func legitimateReturn(_ run: inout ScenarioRun, account index: Int, start: EventTimestamp) {
        let account = self.population.accounts[index]
        let refundable = account.payments.filter { $0.remaining >= 2 }
        if !refundable.isEmpty, self.random.nextBool(probability: 0.6) {
            let payment = self.random.pick(refundable)
            let part = max(1, min(payment.remaining - 1, Int64(Double(payment.remaining) * self.random.nextDouble(in: 0.2, 0.8))))
            run.fraud(self.recordRefund(account: index, of: payment.id, amount: part, merchant: payment.merchant, at: start))
            run.fraud(self.recordRefund(
                account: index, of: payment.id, amount: payment.remaining - part, merchant: payment.merchant,
                at: start.adding(microseconds: self.minutes(30, 360))
            ))
        } else {
            let amount = AmountModel.cleanPayment(habit: account.habitMedian, using: &self.random)
            let merchant = self.population.merchants[self.random.pick(account.usualMerchants)]
            run.fraud(self.recordRefund(account: index, of: self.random.nextUUID(), amount: amount, merchant: merchant, at: start))
        }
    }

    // MARK: - Adaptive fraud

    private mutating func velocityUnderThreshold(_ run: inout ScenarioRun, account index: Int, start: EventTimestamp) {
        let account = self.population.accounts[index]
        let rounds = (0..<self.random.nextInt(in: 2...4)).map { _ in
            (0..<self.random.nextInt(in: 3...4)).map { _ in AmountModel.cleanPayment(habit: account.habitMedian, using: &self.random) }
        }
        var time = self.fund(&run, account: index, needed: rounds.joined().reduce(0, +), at: start)
        let ip = Geography.ipAddress(using: &self.random)
        let device = Geography.deviceID(using: &self.random)
        for round in rounds {
            var last = time
            for (amount, offset) in zip(round, self.offsets(count: round.count, within: self.seconds(20, 120))) {
                last = time.adding(microseconds: offset)
                run.fraud(self.recordPayment(
                    account: index, amount: amount, merchant: self.population.merchants[self.random.nextInt(below: AccountPopulation.merchantCount)],
                    country: account.homeCountry, ip: ip, device: device, at: last
                ))
            }
            time = last.adding(microseconds: self.seconds(630, 840))
        }
    }

    private mutating func slowCardTesting(_ run: inout ScenarioRun, account index: Int, start: EventTimestamp) {
        let account = self.population.accounts[index]
        let count = self.random.nextInt(in: 8...15)
        let amounts = (0..<count).map { _ in AmountModel.cardTest(using: &self.random) }
        let merchants = self.distinctMerchants(count)
        var time = self.fund(&run, account: index, needed: amounts.reduce(0, +), at: start)
        let ip = Geography.ipAddress(using: &self.random)
        let device = Geography.deviceID(using: &self.random)
        for (amount, merchant) in zip(amounts, merchants) {
            run.fraud(self.recordPayment(
                account: index, amount: amount, merchant: self.population.merchants[merchant],
                country: account.homeCountry, ip: ip, device: device, at: time
            ))
            time = time.adding(microseconds: self.seconds(156, 360))
        }
    }

    private mutating func plausibleTravel(_ run: inout ScenarioRun, account index: Int, start: EventTimestamp) {
        let account = self.population.accounts[index]
        let homeAmount = AmountModel.cleanPayment(habit: account.habitMedian, using: &self.random)
        let awayAmount = AmountModel.cleanPayment(habit: account.habitMedian, using: &self.random)
        let first = self.fund(&run, account: index, needed: homeAmount + awayAmount, at: start)
        run.fraud(self.recordPayment(
            account: index, amount: homeAmount, merchant: self.population.merchants[self.random.pick(account.usualMerchants)],
            country: account.homeCountry, ip: account.ip, device: account.device, at: first
        ))
        let nearby = self.random.nextBool(probability: 0.5)
        let away = nearby
            ? Geography.nearbyCountry(from: account.homeCountry, using: &self.random)
            : Geography.distantCountry(from: account.homeCountry, using: &self.random)
        let gap = nearby ? self.minutes(16, 60) : self.minutes(46, 180)
        run.fraud(self.recordPayment(
            account: index, amount: awayAmount, merchant: self.population.merchants[self.random.nextInt(below: AccountPopulation.merchantCount)],
            country: away, ip: Geography.ipAddress(using: &self.random), device: Geography.deviceID(using: &self.random),
            at: first.adding(microseconds: gap)
        ))
    }

    // MARK: - Helpers

    /// A random duration between two numbers of minutes, in microseconds.
    private mutating func minutes(_ lower: Int64, _ upper: Int64) -> Int64 {
        self.seconds(lower * 60, upper * 60)
    }

    /// `count` distinct merchant indices, in draw order.
    private mutating func distinctMerchants(_ count: Int) -> [Int] {
        var merchants: [Int] = []
        while merchants.count < count {
            let merchant = self.random.nextInt(below: AccountPopulation.merchantCount)
            if !merchants.contains(merchant) { merchants.append(merchant) }
        }
        return merchants
    }
}
