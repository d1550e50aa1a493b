import Foundation
import Mustache
import PayFlowDomain

/// The text of every notification, as Mustache templates embedded here so the
/// binary needs no files beside it. Each kind has a subject and a body; the
/// `CONTENT_TYPE: TEXT` pragma turns off Mustache's HTML escaping (the webhook
/// payload is JSON-encoded, the log line is text).
///
/// Parsed once, at start-up: a template that does not parse stops the process
/// there rather than failing every entry later.
public struct NotificationTemplates: Sendable {
    public struct Rendered: Sendable, Hashable {
        public var subject: String
        public var body: String
    }

    private let library: MustacheLibrary

    public init() throws {
        var library = MustacheLibrary()
        for (kind, text) in Self.sources {
            try library.register(Self.pragma + text.subject, named: "\(kind.rawValue).subject")
            try library.register(Self.pragma + text.body, named: "\(kind.rawValue).body")
        }
        self.library = library
    }

    /// Renders the subject and body of `source`'s kind.
    public func render(_ source: NotificationSource) -> Rendered {
        let context = Self.context(source)
        let kind = source.kind.rawValue
        return Rendered(
            subject: self.library.render(context, withTemplate: "\(kind).subject") ?? "",
            body: self.library.render(context, withTemplate: "\(kind).body") ?? ""
        )
    }

    // MARK: - Templates

    private static let pragma = "{{% CONTENT_TYPE: TEXT}}"

    /// Every kind, so a kind without text is a missing dictionary entry a test catches.
    static let sources: [NotificationKind: (subject: String, body: String)] = [
        .paymentReceipt: (
            "Payment receipt: {{amount}} at {{merchant}}",
            "Hello, your account {{account}} paid {{amount}} to {{merchant}} on {{occurred_at}} (country {{country}}). Reference {{event_id}}."
        ),
        .refund: (
            "Refund: {{amount}} from {{merchant}}",
            "Hello, {{merchant}} refunded {{amount}} to your account {{account}} on {{occurred_at}} for payment {{original_payment_id}}. Reference {{event_id}}."
        ),
        .topup: (
            "Top-up: {{amount}} added",
            "Hello, {{amount}} was added to your account {{account}} by {{source}} on {{occurred_at}}. Reference {{event_id}}."
        ),
        .accountBlocked: (
            "Your account {{account}} is blocked",
            "Hello, your account {{account}} was blocked on {{occurred_at}}. Reason: {{reason}}. Contact support to unblock it. Reference {{event_id}}."
        ),
        .accountUnblocked: (
            "Your account {{account}} is unblocked",
            "Hello, your account {{account}} was unblocked on {{occurred_at}} and can be used again. Reason: {{reason}}. Reference {{event_id}}."
        ),
        .fraudAlert: (
            "[{{severity}}] Fraud alert {{rule}} on {{account}}",
            "Rule {{rule}} ({{severity}}) fired on account {{account}} at {{detected_at}}: {{reason}}. Event {{event_id}}, alert {{alert_id}}."
        ),
        // `expected` / `actual` are empty when a side is missing: the kind says
        // which, and the quotes keep an empty value visible.
        .reconciliationMismatch: (
            "[reconciliation] {{kind}} on transaction {{transaction_id}}",
            "Reconciliation found {{kind}} for transaction {{event_id}} at {{detected_at}}: the ledger says '{{expected}}', the stream '{{actual}}'. Mismatch {{mismatch_id}}."
        ),
    ]

    // MARK: - Values

    /// The values a template can use: every field of the source as text, plus
    /// `amount` formatted in major units with its currency.
    static func context(_ source: NotificationSource) -> [String: String] {
        switch source {
        case .event(let event):
            var values: [String: String] = [
                "event_id": event.id.uuidString.lowercased(),
                "type": event.type.rawValue,
                "account": event.account,
                "amount": Self.formatted(amount: event.amount, currency: event.currency),
                "currency": event.currency.code,
                "occurred_at": event.occurredAt.description,
            ]
            for name in PaymentEvent.detailFields(of: event.type) {
                values[name] = event.details[name] ?? ""
            }
            return values
        case .alert(let alert):
            return [
                "alert_id": alert.alertID,
                "event_id": alert.eventID,
                "account": alert.account,
                "rule": alert.rule,
                "severity": alert.severity,
                "reason": alert.reason,
                "detected_at": alert.detectedAt.description,
            ]
        case .mismatch(let mismatch):
            return [
                "mismatch_id": mismatch.mismatchID,
                "kind": mismatch.kind,
                "transaction_id": mismatch.transactionID,
                "event_id": mismatch.transactionID.lowercased(),
                "expected": mismatch.expected,
                "actual": mismatch.actual,
                "detected_at": mismatch.detectedAt.description,
            ]
        }
    }

    /// `1250` EUR → `12.50 EUR`, `500` JPY → `500 JPY`: integers only, never a Double.
    static func formatted(amount: Int64, currency: Currency) -> String {
        guard currency.minorDigits > 0 else { return "\(amount) \(currency.code)" }
        var divisor: Int64 = 1
        for _ in 0..<currency.minorDigits { divisor *= 10 }
        let sign = amount < 0 ? "-" : ""
        let magnitude = amount.magnitude
        let minor = String(magnitude % UInt64(divisor))
        let padded = String(repeating: "0", count: currency.minorDigits - minor.count) + minor
        return "\(sign)\(magnitude / UInt64(divisor)).\(padded) \(currency.code)"
    }
}
