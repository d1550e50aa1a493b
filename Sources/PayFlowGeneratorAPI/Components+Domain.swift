import Foundation
import PayFlowDomain
import PayFlowGenerator

// The generated types are the wire format; the domain types are what the
// generator understands. Translating here, field by field, keeps the HTTP
// shape out of PayFlowGenerator and makes a field added on one side and not
// the other a compile error or a failing test, not silent data loss.

// MARK: - Configuration in

extension GeneratorConfiguration {
    /// The configuration a `PUT /v1/generator/config` body describes.
    ///
    /// Throws for what the schema cannot say (an RFC 3339 time); ranges are
    /// left to ``GeneratorConfiguration/validate()``, called by the generator,
    /// so the rules live in one place.
    init(_ body: Components.Schemas.GeneratorConfiguration) throws(GeneratorConfigurationError) {
        var mix: [EventType: Double] = [:]
        mix[.payment] = body.mix.payment
        mix[.refund] = body.mix.refund
        mix[.topup] = body.mix.topup
        mix[.accountBlocked] = body.mix.accountBlocked
        mix[.accountUnblocked] = body.mix.accountUnblocked

        var currencies: [Currency] = []
        for (index, code) in body.currencies.enumerated() {
            guard let currency = Currency(code: code.rawValue) else {
                throw GeneratorConfigurationError(field: "currencies[\(index)]", problem: "unknown currency '\(code.rawValue)'")
            }
            currencies.append(currency)
        }

        var startTime: EventTimestamp?
        if let text = body.startTime {
            guard let timestamp = EventTimestamp(rfc3339: text) else {
                throw GeneratorConfigurationError(
                    field: "start_time",
                    problem: "'\(text)' is not an RFC 3339 UTC time such as 2026-11-25T14:03:07.123456Z"
                )
            }
            startTime = timestamp
        }

        var fraudWeights: [FraudPattern: Double]?
        if let weights = body.fraudWeights {
            let given: [(FraudPattern, Double?)] = [
                (.velocityBurst, weights.velocityBurst), (.cardTesting, weights.cardTesting), (.amountSpike, weights.amountSpike),
                (.impossibleTravel, weights.impossibleTravel), (.blockedAccountActivity, weights.blockedAccountActivity),
                (.refundAbuse, weights.refundAbuse), (.topupDrain, weights.topupDrain),
            ]
            fraudWeights = Dictionary(uniqueKeysWithValues: given.compactMap { pattern, weight in weight.map { (pattern, $0) } })
        }
        var inconsistencyWeights: [MismatchKind: Double]?
        if let weights = body.inconsistencyWeights {
            let given: [(MismatchKind, Double?)] = [
                (.amountMismatch, weights.amountMismatch), (.currencyMismatch, weights.currencyMismatch),
                (.missingInReference, weights.missingInReference), (.missingInStream, weights.missingInStream),
                (.duplicateEvent, weights.duplicateEvent),
            ]
            inconsistencyWeights = Dictionary(uniqueKeysWithValues: given.compactMap { kind, weight in weight.map { (kind, $0) } })
        }

        self.init(
            eventsPerSecond: body.eventsPerSecond,
            totalEvents: body.totalEvents,
            durationSeconds: body.durationSeconds,
            mix: mix,
            accounts: body.accounts,
            fraudRate: body.fraudRate,
            inconsistencyRate: body.inconsistencyRate,
            seed: body.seed,
            currencies: currencies,
            startTime: startTime,
            profile: body.profile.map { $0 == .clean ? TrafficProfile.clean : .realistic } ?? .realistic,
            loadProfile: body.loadProfile.map(LoadProfile.init),
            fraudWeights: fraudWeights,
            inconsistencyWeights: inconsistencyWeights
        )
    }
}

extension LoadProfile {
    init(_ body: Components.Schemas.LoadProfile) {
        switch body {
        case .constant: self = .constant
        case .ramp(let ramp):
            self = .ramp(from: ramp.fromEventsPerSecond, to: ramp.toEventsPerSecond, durationSeconds: ramp.durationSeconds)
        case .burst(let burst):
            self = .burst(factor: burst.factor, burstSeconds: burst.burstSeconds, periodSeconds: burst.periodSeconds)
        case .daily(let daily):
            self = .daily(periodSeconds: daily.periodSeconds, startHour: daily.startHour ?? 0)
        }
    }
}

extension Components.Schemas.LoadProfile {
    init(_ profile: LoadProfile) {
        switch profile {
        case .constant:
            self = .constant(.init(kind: .constant))
        case .ramp(let from, let to, let duration):
            self = .ramp(.init(kind: .ramp, fromEventsPerSecond: from, toEventsPerSecond: to, durationSeconds: duration))
        case .burst(let factor, let burstSeconds, let periodSeconds):
            self = .burst(.init(kind: .burst, factor: factor, burstSeconds: burstSeconds, periodSeconds: periodSeconds))
        case .daily(let periodSeconds, let startHour):
            self = .daily(.init(kind: .daily, periodSeconds: periodSeconds, startHour: startHour))
        }
    }
}

// MARK: - Status out

extension Components.Schemas.GeneratorConfiguration {
    init(_ configuration: GeneratorConfiguration) throws(UnmappedValue) {
        self.init(
            eventsPerSecond: configuration.eventsPerSecond,
            totalEvents: configuration.totalEvents,
            durationSeconds: configuration.durationSeconds,
            loadProfile: configuration.loadProfile.map(Components.Schemas.LoadProfile.init),
            mix: Components.Schemas.EventMix(
                payment: configuration.mix[.payment],
                refund: configuration.mix[.refund],
                topup: configuration.mix[.topup],
                accountBlocked: configuration.mix[.accountBlocked],
                accountUnblocked: configuration.mix[.accountUnblocked]
            ),
            accounts: configuration.accounts,
            fraudRate: configuration.fraudRate,
            inconsistencyRate: configuration.inconsistencyRate,
            fraudWeights: configuration.fraudWeights.map { weights in
                Components.Schemas.FraudWeights(
                    velocityBurst: weights[.velocityBurst], cardTesting: weights[.cardTesting], amountSpike: weights[.amountSpike],
                    impossibleTravel: weights[.impossibleTravel], blockedAccountActivity: weights[.blockedAccountActivity],
                    refundAbuse: weights[.refundAbuse], topupDrain: weights[.topupDrain]
                )
            },
            inconsistencyWeights: configuration.inconsistencyWeights.map { weights in
                Components.Schemas.InconsistencyWeights(
                    amountMismatch: weights[.amountMismatch], currencyMismatch: weights[.currencyMismatch],
                    missingInReference: weights[.missingInReference], missingInStream: weights[.missingInStream],
                    duplicateEvent: weights[.duplicateEvent]
                )
            },
            seed: configuration.seed,
            currencies: try configuration.currencies.map { currency throws(UnmappedValue) in try .init(currency) },
            startTime: configuration.startTime?.description,
            profile: configuration.profile == .clean ? .clean : .realistic
        )
    }
}

extension Components.Schemas.GeneratorStatus {
    init(_ status: GeneratorStatus) throws(UnmappedValue) {
        let state: StatePayload =
            switch status.state {
            case .stopped: .stopped
            case .stopping: .stopping
            case .running: .running
            case .pausedForLag: .pausedForLag
            }
        self.init(
            state: state,
            configuration: try Components.Schemas.GeneratorConfiguration(status.configuration),
            emittedByType: Components.Schemas.EventCounts(
                payment: status.emittedByType[.payment],
                refund: status.emittedByType[.refund],
                topup: status.emittedByType[.topup],
                accountBlocked: status.emittedByType[.accountBlocked],
                accountUnblocked: status.emittedByType[.accountUnblocked]
            ),
            emittedTotal: status.emittedTotal,
            achievedRate: status.achievedRate,
            largestGroupLag: status.largestGroupLag,
            maxLag: status.maxLag,
            world: status.world,
            accountPrefix: status.accountPrefix,
            run: status.run,
            currentRate: status.currentRate,
            loadProfileElapsedSeconds: status.loadProfileElapsedSeconds,
            configurationChanges: status.configurationChanges
        )
    }
}

// MARK: - Events

extension Components.Schemas.EventFields {
    /// The body as stream fields, for ``PaymentEvent/init(fields:)``: strings
    /// as they are, numbers as their decimal text, so `12.5` or `-5` reach the
    /// decoder and are refused with the same reason as on the stream.
    var streamFields: [(name: String, value: String)] {
        self.additionalProperties
            .sorted { $0.key < $1.key }
            .map { name, value in
                switch value {
                case .case1(let text): (name, text)
                case .case2(let integer): (name, String(integer))
                case .case3(let number): (name, String(number))
                }
            }
    }
}

extension Components.Schemas.PaymentEvent {
    /// The event as the API answers it: the stream's fields, `amount` as a
    /// JSON integer.
    init(_ event: PaymentEvent) throws(UnmappedValue) {
        let type: Components.Schemas.EventType =
            switch event.type {
            case .payment: .payment
            case .refund: .refund
            case .topup: .topup
            case .accountBlocked: .accountBlocked
            case .accountUnblocked: .accountUnblocked
            }
        let details = event.details
        self.init(
            id: event.id.lowercasedText,
            _type: type,
            schemaVersion: PaymentEvent.schemaVersion,
            occurredAt: event.occurredAt.description,
            account: event.account,
            amount: event.amount,
            currency: try .init(event.currency),
            merchant: details.merchant,
            country: details.country,
            ip: details.ip,
            device: details.device,
            originalPaymentId: details.originalPaymentID?.lowercasedText,
            source: details.source.flatMap { SourcePayload(rawValue: $0) },
            reason: details.reason
        )
    }
}

extension Components.Schemas.CurrencyCode {
    /// Fails only when `Currency.all` gained a code the document does not
    /// list, which `OpenAPIDocumentTests` catches first.
    init(_ currency: Currency) throws(UnmappedValue) {
        guard let code = Self(rawValue: currency.code) else {
            throw UnmappedValue(description: "currency \(currency.code) is missing from CurrencyCode in openapi.json")
        }
        self = code
    }
}

/// A domain value the OpenAPI document has no name for: a bug to fix in
/// `openapi.json`, answered 500 (and logged) rather than misreported.
struct UnmappedValue: Error, CustomStringConvertible {
    var description: String
}

// MARK: - Errors

extension Components.Schemas._Error {
    /// `{"error": {"message": ...}}`
    init(message: String) {
        self.init(error: _ErrorPayload(message: message))
    }
}
