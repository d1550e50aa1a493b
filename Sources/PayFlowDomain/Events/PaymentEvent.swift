import Foundation

/// One event of the payment domain, as every service reads it from
/// `payflow:events` and as `POST /v1/events` accepts it.
///
/// On the stream an event is flat fields (see ``fields``), readable with
/// `redis-cli XRANGE payflow:events - + COUNT 5`. Amounts are integers of the
/// currency's minor unit: money is never a floating-point number here.
public struct PaymentEvent: Sendable, Hashable {
    /// The version of this field layout; decoding refuses any other.
    public static let schemaVersion = "1"

    /// The idempotency key of every effect downstream.
    public var id: UUID
    public var type: EventType
    public var occurredAt: EventTimestamp
    public var account: String
    /// Minor units (cents for EUR, yen for JPY); zero for account events.
    public var amount: Int64
    public var currency: Currency
    /// Type-specific details; which are required depends on ``type``.
    public var details: Details

    public struct Details: Sendable, Hashable {
        /// Payments and refunds: where the money went or came back from.
        public var merchant: String?
        /// Payments: ISO 3166-1 alpha-2 country the payment was made from.
        public var country: String?
        /// Payments: the client's address and device, for fraud rules.
        public var ip: String?
        public var device: String?
        /// Refunds: the payment refunded.
        public var originalPaymentID: UUID?
        /// Top-ups: `card` or `bank_transfer`.
        public var source: String?
        /// Account blocks and unblocks: why.
        public var reason: String?

        public init(
            merchant: String? = nil,
            country: String? = nil,
            ip: String? = nil,
            device: String? = nil,
            originalPaymentID: UUID? = nil,
            source: String? = nil,
            reason: String? = nil
        ) {
            self.merchant = merchant
            self.country = country
            self.ip = ip
            self.device = device
            self.originalPaymentID = originalPaymentID
            self.source = source
            self.reason = reason
        }
    }

    public init(
        id: UUID,
        type: EventType,
        occurredAt: EventTimestamp,
        account: String,
        amount: Int64,
        currency: Currency,
        details: Details = Details()
    ) {
        self.id = id
        self.type = type
        self.occurredAt = occurredAt
        self.account = account
        self.amount = amount
        self.currency = currency
        self.details = details
    }
}

// MARK: - Field layout

extension PaymentEvent {
    /// Field names, shared by the stream layout and the JSON of the REST API.
    public enum Field {
        public static let id = "id"
        public static let type = "type"
        public static let schemaVersion = "schema_version"
        public static let occurredAt = "occurred_at"
        public static let account = "account"
        public static let amount = "amount"
        public static let currency = "currency"
        public static let merchant = "merchant"
        public static let country = "country"
        public static let ip = "ip"
        public static let device = "device"
        public static let originalPaymentID = "original_payment_id"
        public static let source = "source"
        public static let reason = "reason"

        static let common: [String] = [id, type, schemaVersion, occurredAt, account, amount, currency]

        /// The common fields and the type's details: the only names an event
        /// of this type may carry. Made once per type, since every decode asks.
        static func allowed(for type: EventType) -> [String] {
            switch type {
            case .payment: Self.allowedForPayment
            case .refund: Self.allowedForRefund
            case .topup: Self.allowedForTopup
            case .accountBlocked, .accountUnblocked: Self.allowedForAccountEvents
            }
        }

        private static let allowedForPayment = common + PaymentEvent.detailFields(of: .payment)
        private static let allowedForRefund = common + PaymentEvent.detailFields(of: .refund)
        private static let allowedForTopup = common + PaymentEvent.detailFields(of: .topup)
        private static let allowedForAccountEvents = common + PaymentEvent.detailFields(of: .accountBlocked)
    }

    /// The detail fields each type must carry; no others are allowed.
    public static func detailFields(of type: EventType) -> [String] {
        switch type {
        case .payment: [Field.merchant, Field.country, Field.ip, Field.device]
        case .refund: [Field.originalPaymentID, Field.merchant]
        case .topup: [Field.source]
        case .accountBlocked, .accountUnblocked: [Field.reason]
        }
    }

    /// The event as flat stream fields, common fields first, in a fixed order.
    public var fields: [(name: String, value: String)] {
        var fields: [(name: String, value: String)] = [
            (Field.id, self.id.lowercasedText),
            (Field.type, self.type.rawValue),
            (Field.schemaVersion, Self.schemaVersion),
            (Field.occurredAt, self.occurredAt.description),
            (Field.account, self.account),
            (Field.amount, String(self.amount)),
            (Field.currency, self.currency.code),
        ]
        for name in Self.detailFields(of: self.type) {
            if let value = self.details[name] { fields.append((name, value)) }
        }
        return fields
    }
}

extension PaymentEvent.Details {
    /// A detail by its field name, as text; nil when the event has none.
    public subscript(name: String) -> String? {
        switch name {
        case PaymentEvent.Field.merchant: self.merchant
        case PaymentEvent.Field.country: self.country
        case PaymentEvent.Field.ip: self.ip
        case PaymentEvent.Field.device: self.device
        case PaymentEvent.Field.originalPaymentID: self.originalPaymentID?.lowercasedText
        case PaymentEvent.Field.source: self.source
        case PaymentEvent.Field.reason: self.reason
        default: nil
        }
    }
}
