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

    /// Each kind's parsed subject and body, by kind: no template name to
    /// build and look up per message.
    private let templates: [NotificationKind: (subject: MustacheTemplate, body: MustacheTemplate)]

    public init() throws {
        var templates: [NotificationKind: (subject: MustacheTemplate, body: MustacheTemplate)] = [:]
        for (kind, text) in Self.sources {
            let subject = try MustacheTemplate(string: Self.pragma + text.subject)
            let body = try MustacheTemplate(string: Self.pragma + text.body)
            templates[kind] = (subject: subject, body: body)
        }
        self.templates = templates
    }

    /// Renders the subject and body of `source`'s kind.
    public func render(_ source: NotificationSource) -> Rendered {
        guard let template = self.templates[source.kind] else { return Rendered(subject: "", body: "") }
        let values = Values(source)
        return Rendered(subject: template.subject.render(values), body: template.body.render(values))
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
    /// `amount` formatted in major units with its currency. A name the source
    /// does not have renders as nothing, as a missing dictionary key would.
    ///
    /// Mustache asks for each `{{name}}` by name; a `[String: String]` made
    /// per message cost a dictionary and a string per field, and its values,
    /// plain `String`s, went through the renderer's slowest path (casts to
    /// four protocols, then `String(describing:)`). This answers from the
    /// source itself and hands each value back as ``Text``, which the
    /// renderer takes at its first successful cast.
    struct Values: MustacheParent {
        private let source: NotificationSource
        /// Formatted once: the subject and the body both show it.
        private let amount: String

        init(_ source: NotificationSource) {
            self.source = source
            if case .event(let event) = source {
                self.amount = NotificationTemplates.formatted(amount: event.amount, currency: event.currency)
            } else {
                self.amount = ""
            }
        }

        func child(named name: String) -> Any? {
            self.text(named: name).map(Text.init(renderText:))
        }

        /// The value of `name`, or nil when the source has no field of that name.
        func text(named name: String) -> String? {
            switch self.source {
            case .event(let event):
                switch name {
                case "event_id": return event.id.lowercasedText
                case "type": return event.type.rawValue
                case "account": return event.account
                case "amount": return self.amount
                case "currency": return event.currency.code
                case "occurred_at": return event.occurredAt.description
                default:
                    // The type's detail fields, empty when the event lacks one.
                    guard PaymentEvent.detailFields(of: event.type).contains(name) else { return nil }
                    return event.details[name] ?? ""
                }
            case .alert(let alert):
                switch name {
                case "alert_id": return alert.alertID
                case "event_id": return alert.eventID
                case "account": return alert.account
                case "rule": return alert.rule
                case "severity": return alert.severity
                case "reason": return alert.reason
                case "detected_at": return alert.detectedAt.description
                default: return nil
                }
            case .mismatch(let mismatch):
                switch name {
                case "mismatch_id": return mismatch.mismatchID
                case "kind": return mismatch.kind
                case "transaction_id": return mismatch.transactionID
                case "event_id": return mismatch.transactionID.lowercased()
                case "expected": return mismatch.expected
                case "actual": return mismatch.actual
                case "detected_at": return mismatch.detectedAt.description
                default: return nil
                }
            }
        }
    }

    /// A value as the renderer takes it cheapest: its text, as is (the
    /// templates' `CONTENT_TYPE: TEXT` pragma escapes nothing).
    struct Text: MustacheCustomRenderable {
        var renderText: String
        var isNull: Bool { false }
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
