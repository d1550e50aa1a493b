import PayFlowDomain

/// Normal traffic: one event by the mix weights, clean by construction.
///
/// Each builder returns nil when its pick cannot produce a clean event right
/// now (blocked, cooling down after a scenario, too many recent payments, not
/// enough money); the step then draws again, type and account, so the
/// constraints never bend, and a type with weight 0 is never produced.
extension TrafficSimulator {
    mutating func normalEvent(at time: EventTimestamp) -> SimulatedEvent? {
        guard let type = self.drawType() else { return nil }
        switch type {
        case .payment:
            let index = self.population.weightedPick(using: &self.random)
            return self.cleanPayment(account: index, at: time)
        case .topup:
            return self.cleanTopup(at: time)
        case .refund:
            return self.cleanRefund(at: time)
        case .accountBlocked:
            return self.cleanBlock(at: time)
        case .accountUnblocked:
            return self.cleanUnblock(at: time)
        }
    }

    // MARK: - Payments

    /// A habitual payment from home. When the account cannot afford it, it
    /// tops up instead (if top-ups are in the mix) or pays what it can.
    mutating func cleanPayment(account index: Int, at time: EventTimestamp) -> SimulatedEvent? {
        let account = self.population.accounts[index]
        guard account.isAvailableForCleanTraffic(at: time), account.hasRoomForPayment(at: time) else { return nil }
        var amount = AmountModel.cleanPayment(habit: account.habitMedian, using: &self.random)
        if amount > account.balance, self.allows(.topup) {
            return self.cleanTopup(account: index, at: time)
        }
        let allowance = min(account.balance, account.topupAllowance(at: time))
        if amount > allowance {
            guard allowance >= CleanTrafficLimits.minimumPayment else { return nil }
            amount = allowance
        }
        let merchant = self.random.nextBool(probability: 0.85)
            ? self.population.merchants[self.random.pick(account.usualMerchants)]
            : self.population.merchants[AccountPopulation.popularMerchant(using: &self.random)]
        let event = self.recordPayment(
            account: index, amount: amount, merchant: merchant, country: account.homeCountry,
            ip: account.ip, device: account.device, at: time
        )
        return self.finishNormal(event, account: index)
    }

    // MARK: - Top-ups

    /// Of two active accounts, the one with fewer habitual payments left in
    /// its balance tops up: balances regulate themselves.
    mutating func cleanTopup(at time: EventTimestamp) -> SimulatedEvent? {
        let first = self.population.weightedPick(using: &self.random)
        let second = self.population.weightedPick(using: &self.random)
        let candidates = [first, second].filter { self.population.accounts[$0].isAvailableForCleanTraffic(at: time) }
        guard let index = candidates.min(by: { self.balanceInHabits($0) < self.balanceInHabits($1) }) else { return nil }
        return self.cleanTopup(account: index, at: time)
    }

    mutating func cleanTopup(account index: Int, at time: EventTimestamp) -> SimulatedEvent? {
        let account = self.population.accounts[index]
        guard account.isAvailableForCleanTraffic(at: time) else { return nil }
        let amount = AmountModel.cleanTopup(habit: account.habitMedian, using: &self.random)
        let event = self.recordTopup(account: index, amount: amount, at: time)
        return self.finishNormal(event, account: index)
    }

    private func balanceInHabits(_ index: Int) -> Double {
        let account = self.population.accounts[index]
        return Double(account.balance) / Double(account.habitMedian)
    }

    // MARK: - Refunds

    /// A refund of what is left of one of the account's recent payments. Tries
    /// a few accounts; when none has a refundable payment, the last one makes
    /// a payment instead (if payments are in the mix).
    mutating func cleanRefund(at time: EventTimestamp) -> SimulatedEvent? {
        var lastAvailable: Int?
        for _ in 0..<8 {
            let index = self.population.weightedPick(using: &self.random)
            let account = self.population.accounts[index]
            guard account.isAvailableForCleanTraffic(at: time) else { continue }
            lastAvailable = index
            let refundable = account.payments.filter { $0.remaining > 0 }
            guard !refundable.isEmpty else { continue }
            let payment = self.random.pick(refundable)
            let amount = AmountModel.refund(remaining: payment.remaining, using: &self.random)
            let event = self.recordRefund(account: index, of: payment.id, amount: amount, merchant: payment.merchant, at: time)
            return self.finishNormal(event, account: index)
        }
        guard let index = lastAvailable, self.allows(.payment) else { return nil }
        return self.cleanPayment(account: index, at: time)
    }

    // MARK: - Blocks

    mutating func cleanBlock(at time: EventTimestamp) -> SimulatedEvent? {
        let index = self.population.weightedPick(using: &self.random)
        guard self.population.accounts[index].isAvailableForCleanTraffic(at: time) else { return nil }
        let reason = self.random.pick(Self.blockReasons)
        let event = self.recordBlock(account: index, at: time, reason: reason)
        return self.finishNormal(event, account: index)
    }

    /// Releases a blocked account; an account still cooling down after a
    /// blocked_account_activity scenario stays blocked a while longer.
    mutating func cleanUnblock(at time: EventTimestamp) -> SimulatedEvent? {
        guard !self.population.blocked.isEmpty else { return nil }
        let index = self.random.pick(self.population.blocked)
        if let quietUntil = self.population.accounts[index].quietUntil, time < quietUntil { return nil }
        let reason = self.random.pick(Self.unblockReasons)
        let event = self.recordUnblock(account: index, at: time, reason: reason)
        return self.finishNormal(event, account: index)
    }
}
