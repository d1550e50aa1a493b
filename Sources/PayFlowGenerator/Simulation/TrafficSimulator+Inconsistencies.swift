import PayFlowDomain

/// Differences between stream and ledger, injected on purpose into normal
/// transactions so reconciliation can be scored against the ground truth.
/// Account events have no ledger row and fraud events stay clean in the
/// ledger, so neither ever gets one.
extension TrafficSimulator {
    /// Wraps a normal event with its ledger row, emissions and labels, maybe
    /// injecting an inconsistency, and remembers emitted payments for refunds.
    ///
    /// A payment missing from the stream is not remembered: a later refund of
    /// it would refer to a payment the consumers never saw, which is exactly
    /// what refund_abuse looks like.
    mutating func finishNormal(_ event: PaymentEvent, account index: Int) -> SimulatedEvent {
        guard event.type.isTransaction else { return SimulatedEvent(event: event, ledger: nil) }
        var simulated = SimulatedEvent(event: event, ledger: LedgerRecord(matching: event))
        if self.random.nextBool(probability: self.configuration.inconsistencyRate) {
            let kind = self.inconsistencyChoice.map { $0.draw(using: &self.random) } ?? self.random.pick(MismatchKind.injected)
            self.inject(kind, into: &simulated)
        }
        if event.type == .payment, simulated.emissions > 0, let merchant = event.details.merchant {
            self.population.accounts[index].remember(payment: Account.PastPayment(
                id: event.id, merchant: merchant, amount: event.amount, remaining: event.amount
            ))
        }
        return simulated
    }

    /// `kind` is one of ``MismatchKind/injected``.
    mutating func inject(_ kind: MismatchKind, into simulated: inout SimulatedEvent) {
        let event = simulated.event
        switch kind {
        case .amountMismatch:
            let delta = self.random.nextInt64(in: 1...max(1, event.amount / 10))
            let lower = event.amount - delta
            simulated.ledger?.amount = (lower >= 1 && self.random.nextBool(probability: 0.5)) ? lower : event.amount + delta
        case .currencyMismatch:
            var others: [Currency] = []
            for currency in self.configuration.currencies where currency != event.currency && !others.contains(currency) {
                others.append(currency)
            }
            if others.isEmpty { others = Currency.all.filter { $0 != event.currency } }
            simulated.ledger?.currency = self.random.pick(others)
        case .missingInReference:
            simulated.ledger = nil
        case .missingInStream:
            simulated.emissions = 0
        case .duplicateEvent:
            simulated.emissions = 2
        case .accountMismatch:
            preconditionFailure("account_mismatch is not in MismatchKind.injected")
        }
        simulated.labels.append(GroundTruthLabel(kind: .inconsistency(kind), transactionID: event.id))
    }
}
