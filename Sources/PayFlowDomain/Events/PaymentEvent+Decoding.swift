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
    /// the fields are read by ``FlatFields`` (names compared, not hashed), the
    /// allowed names of each type are made once, and the signature is concrete
    /// so that other modules call a specialised decoder, not a generic one.
    public init(fields: [(name: String, value: String)]) throws(EventDecodingError) {
        let values = try FlatFields(fields)
        func identifier(_ name: String) throws(EventDecodingError) -> String {
            let value = try values.required(name)
            try EventTextLimits.checkText(value, field: name, maxLength: EventTextLimits.maxIdentifierLength)
            return value
        }

        let typeText = try values.required(Field.type)
        guard let type = EventType(rawValue: typeText) else {
            throw EventDecodingError(field: Field.type, problem: .invalidValue("unknown type '\(typeText)'"))
        }
        let version = try values.required(Field.schemaVersion)
        guard version == Self.schemaVersion else {
            throw EventDecodingError(field: Field.schemaVersion, problem: .invalidValue("unsupported version '\(version)', expected '\(Self.schemaVersion)'"))
        }
        if let unknown = values.firstUnknown(allowed: Field.allowed(for: type)) {
            throw EventDecodingError(field: unknown, problem: .unknownField)
        }

        let idText = try values.required(Field.id)
        guard let id = UUID(text: idText) else {
            throw EventDecodingError(field: Field.id, problem: .invalidValue("'\(idText)' is not a UUID"))
        }
        let occurredAt = try values.time(Field.occurredAt)
        let account = try identifier(Field.account)
        let amountText = try values.required(Field.amount)
        guard amountText.utf8.allSatisfy({ (48...57).contains($0) }), let amount = Int64(amountText) else {
            throw EventDecodingError(field: Field.amount, problem: .invalidValue("'\(amountText)' is not a non-negative integer of minor units"))
        }
        if type.isTransaction, amount == 0 {
            throw EventDecodingError(field: Field.amount, problem: .invalidValue("a \(type.rawValue) must move a positive amount"))
        }
        if !type.isTransaction, amount != 0 {
            throw EventDecodingError(field: Field.amount, problem: .invalidValue("an \(type.rawValue) event carries amount 0, got \(amount)"))
        }
        let currencyText = try values.required(Field.currency)
        guard let currency = Currency(code: currencyText) else {
            throw EventDecodingError(field: Field.currency, problem: .invalidValue("unknown currency '\(currencyText)'"))
        }

        var details = Details()
        switch type {
        case .payment:
            details.merchant = try identifier(Field.merchant)
            let country = try values.required(Field.country)
            guard country.count == 2, country.utf8.allSatisfy({ (65...90).contains($0) }) else {
                throw EventDecodingError(field: Field.country, problem: .invalidValue("'\(country)' is not an ISO 3166-1 alpha-2 code"))
            }
            details.country = country
            let ip = try values.required(Field.ip)
            try EventTextLimits.checkIPAddress(ip, field: Field.ip)
            details.ip = ip
            details.device = try identifier(Field.device)
        case .refund:
            let original = try values.required(Field.originalPaymentID)
            guard let originalID = UUID(text: original) else {
                throw EventDecodingError(field: Field.originalPaymentID, problem: .invalidValue("'\(original)' is not a UUID"))
            }
            details.originalPaymentID = originalID
            details.merchant = try identifier(Field.merchant)
        case .topup:
            let source = try values.required(Field.source)
            guard ["card", "bank_transfer"].contains(source) else {
                throw EventDecodingError(field: Field.source, problem: .invalidValue("'\(source)' is not card or bank_transfer"))
            }
            details.source = source
        case .accountBlocked, .accountUnblocked:
            let reason = try values.required(Field.reason)
            try EventTextLimits.checkText(reason, field: Field.reason, maxLength: EventTextLimits.maxReasonLength)
            details.reason = reason
        }
        self.init(id: id, type: type, occurredAt: occurredAt, account: account, amount: amount, currency: currency, details: details)
    }
}
