import Foundation

extension PaymentEvent {
    /// Decodes flat fields strictly: every rule here is shared by all services
    /// (through the runtime, a failure sends the entry to the dead-letter
    /// stream) and by `POST /v1/events`.
    ///
    /// Refused: a missing, empty, duplicate or unknown field; an unknown type,
    /// schema version or currency; an id that is not a UUID; an amount that is
    /// not a non-negative integer (or not zero for account events, or zero for
    /// money movements); a time that is not RFC 3339 UTC; a text field
    /// (account, merchant, device, reason) with a control character or longer
    /// than ``EventTextLimits``, an `ip` that is not an IP address.
    ///
    /// Every group decodes every event, so this is on each service's hot path:
    /// the dozen fields are found by comparing names (short strings, compared
    /// in place) rather than hashed into a dictionary, the allowed names of
    /// each type are made once, and the signature is concrete so that other
    /// modules call a specialised decoder, not a generic one.
    public init(fields values: [(name: String, value: String)]) throws(EventDecodingError) {
        for index in values.indices where values[..<index].contains(where: { $0.name == values[index].name }) {
            throw EventDecodingError(field: values[index].name, problem: .duplicateField)
        }
        func required(_ name: String) throws(EventDecodingError) -> String {
            guard let value = values.first(where: { $0.name == name })?.value else {
                throw EventDecodingError(field: name, problem: .missingField)
            }
            guard !value.isEmpty else { throw EventDecodingError(field: name, problem: .emptyField) }
            return value
        }
        func identifier(_ name: String) throws(EventDecodingError) -> String {
            let value = try required(name)
            try EventTextLimits.checkText(value, field: name, maxLength: EventTextLimits.maxIdentifierLength)
            return value
        }

        let typeText = try required(Field.type)
        guard let type = EventType(rawValue: typeText) else {
            throw EventDecodingError(field: Field.type, problem: .invalidValue("unknown type '\(typeText)'"))
        }
        let version = try required(Field.schemaVersion)
        guard version == Self.schemaVersion else {
            throw EventDecodingError(field: Field.schemaVersion, problem: .invalidValue("unsupported version '\(version)', expected '\(Self.schemaVersion)'"))
        }
        let allowed = Field.allowed(for: type)
        if values.contains(where: { !allowed.contains($0.name) }) {
            // The first unknown name in sorted order, so the reason does not depend on field order.
            let unknown = values.map(\.name).filter { !allowed.contains($0) }.min()!
            throw EventDecodingError(field: unknown, problem: .unknownField)
        }

        let idText = try required(Field.id)
        guard let id = UUID(uuidString: idText) else {
            throw EventDecodingError(field: Field.id, problem: .invalidValue("'\(idText)' is not a UUID"))
        }
        let timeText = try required(Field.occurredAt)
        guard let occurredAt = EventTimestamp(rfc3339: timeText) else {
            throw EventDecodingError(field: Field.occurredAt, problem: .invalidValue("'\(timeText)' is not an RFC 3339 UTC time"))
        }
        let account = try identifier(Field.account)
        let amountText = try required(Field.amount)
        guard amountText.utf8.allSatisfy({ (48...57).contains($0) }), let amount = Int64(amountText) else {
            throw EventDecodingError(field: Field.amount, problem: .invalidValue("'\(amountText)' is not a non-negative integer of minor units"))
        }
        if type.isTransaction, amount == 0 {
            throw EventDecodingError(field: Field.amount, problem: .invalidValue("a \(type.rawValue) must move a positive amount"))
        }
        if !type.isTransaction, amount != 0 {
            throw EventDecodingError(field: Field.amount, problem: .invalidValue("an \(type.rawValue) event carries amount 0, got \(amount)"))
        }
        let currencyText = try required(Field.currency)
        guard let currency = Currency(code: currencyText) else {
            throw EventDecodingError(field: Field.currency, problem: .invalidValue("unknown currency '\(currencyText)'"))
        }

        var details = Details()
        switch type {
        case .payment:
            details.merchant = try identifier(Field.merchant)
            let country = try required(Field.country)
            guard country.count == 2, country.utf8.allSatisfy({ (65...90).contains($0) }) else {
                throw EventDecodingError(field: Field.country, problem: .invalidValue("'\(country)' is not an ISO 3166-1 alpha-2 code"))
            }
            details.country = country
            let ip = try required(Field.ip)
            try EventTextLimits.checkIPAddress(ip, field: Field.ip)
            details.ip = ip
            details.device = try identifier(Field.device)
        case .refund:
            let original = try required(Field.originalPaymentID)
            guard let originalID = UUID(uuidString: original) else {
                throw EventDecodingError(field: Field.originalPaymentID, problem: .invalidValue("'\(original)' is not a UUID"))
            }
            details.originalPaymentID = originalID
            details.merchant = try identifier(Field.merchant)
        case .topup:
            let source = try required(Field.source)
            guard ["card", "bank_transfer"].contains(source) else {
                throw EventDecodingError(field: Field.source, problem: .invalidValue("'\(source)' is not card or bank_transfer"))
            }
            details.source = source
        case .accountBlocked, .accountUnblocked:
            let reason = try required(Field.reason)
            try EventTextLimits.checkText(reason, field: Field.reason, maxLength: EventTextLimits.maxReasonLength)
            details.reason = reason
        }
        self.init(id: id, type: type, occurredAt: occurredAt, account: account, amount: amount, currency: currency, details: details)
    }
}
