import Foundation
import Mustache
import PayFlowDomain
@testable import PayFlowNotification
import PayFlowTestSupport
import Testing

/// The templates render from ``NotificationTemplates/Values``, which answers
/// Mustache's lookups from the source itself. It must render exactly what the
/// `[String: String]` context it replaced rendered (kept here, as it was, as
/// the reference), for every kind and for values of every shape.
@Suite("Notification template values")
struct NotificationTemplateValuesTests {
    @Test func everyKindRendersAsWithTheDictionaryContextItReplaced() throws {
        let templates = try NotificationTemplates()
        let reference = try Reference()
        var random = SeededGenerator(seed: 13)
        var kinds: [NotificationKind: Int] = [:]
        for _ in 0..<10_000 {
            let source = Self.randomSource(using: &random)
            kinds[source.kind, default: 0] += 1
            let rendered = templates.render(source)
            let expected = reference.render(source)
            #expect(rendered == expected, "\(source)")
            if rendered != expected { return }
        }
        #expect(Set(kinds.keys) == Set(NotificationKind.allCases))
    }

    /// Beyond today's templates: a template naming every field of every kind
    /// (and one no source has) renders the same from both, so a template
    /// edited later to use another field still renders as it did.
    @Test func everyNameResolvesAsInTheDictionaryContext() throws {
        let names = [
            "event_id", "type", "account", "amount", "currency", "occurred_at",
            "merchant", "country", "ip", "device", "original_payment_id", "source", "reason",
            "alert_id", "rule", "severity", "detected_at",
            "mismatch_id", "kind", "transaction_id", "expected", "actual",
            "no_such_field",
        ]
        let template = try MustacheTemplate(string: "{{% CONTENT_TYPE: TEXT}}" + names.map { "\($0)=[{{\($0)}}]" }.joined(separator: " "))
        var random = SeededGenerator(seed: 42)
        for _ in 0..<2_000 {
            let source = Self.randomSource(using: &random)
            let rendered = template.render(NotificationTemplates.Values(source))
            let expected = template.render(Reference.context(source))
            #expect(rendered == expected, "\(source)")
            if rendered != expected { return }
        }
    }

    // MARK: - The reference: the dictionary context as it was

    struct Reference {
        private let library: MustacheLibrary

        init() throws {
            var library = MustacheLibrary()
            for (kind, text) in NotificationTemplates.sources {
                try library.register("{{% CONTENT_TYPE: TEXT}}" + text.subject, named: "\(kind.rawValue).subject")
                try library.register("{{% CONTENT_TYPE: TEXT}}" + text.body, named: "\(kind.rawValue).body")
            }
            self.library = library
        }

        func render(_ source: NotificationSource) -> NotificationTemplates.Rendered {
            let context = Self.context(source)
            let kind = source.kind.rawValue
            return NotificationTemplates.Rendered(
                subject: self.library.render(context, withTemplate: "\(kind).subject") ?? "",
                body: self.library.render(context, withTemplate: "\(kind).body") ?? ""
            )
        }

        static func context(_ source: NotificationSource) -> [String: String] {
            switch source {
            case .event(let event):
                var values: [String: String] = [
                    "event_id": event.id.uuidString.lowercased(),
                    "type": event.type.rawValue,
                    "account": event.account,
                    "amount": NotificationTemplates.formatted(amount: event.amount, currency: event.currency),
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
    }

    // MARK: - Random sources

    /// Events of every type with any detail present or absent (those of other
    /// types too), alerts and mismatches; text with markup, quotes, braces,
    /// newlines and non-ASCII; amounts of any sign in every currency.
    static func randomSource(using random: inout SeededGenerator) -> NotificationSource {
        func text() -> String {
            let pieces = ["a", "Z", "7", " ", "-", "_", ".", ":", "<", ">", "&", "'", "\"", "{{", "}}", "{", "\n", "\t", "ä", "€", "😀", "%", "\\", "/"]
            let count = Int.random(in: 0...14, using: &random)
            return (0..<count).map { _ in pieces.randomElement(using: &random)! }.joined()
        }
        func maybe(_ value: @autoclosure () -> String) -> String? {
            Bool.random(using: &random) ? value() : nil
        }
        func uuid() -> UUID {
            let high = random.next()
            let low = random.next()
            return withUnsafeBytes(of: (high, low)) { bytes in
                UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                            bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
            }
        }
        func time() -> EventTimestamp {
            EventTimestamp(microsecondsSinceEpoch: Int64.random(in: 0...4_102_444_800_000_000, using: &random))
        }
        func mixedCase(_ text: String) -> String {
            Bool.random(using: &random) ? text.uppercased() : text
        }
        switch Int.random(in: 0..<7, using: &random) {
        case 0..<5:
            let details = PaymentEvent.Details(
                merchant: maybe(text()), country: maybe(text()), ip: maybe(text()), device: maybe(text()),
                originalPaymentID: Bool.random(using: &random) ? uuid() : nil,
                source: maybe(text()), reason: maybe(text())
            )
            let amount: Int64 = switch Int.random(in: 0..<4, using: &random) {
            case 0: 0
            case 1: Int64.random(in: -999...999, using: &random)
            case 2: Int64.random(in: Int64.min + 1...Int64.max, using: &random)
            default: Int64.random(in: -10_000_000...10_000_000, using: &random)
            }
            return .event(PaymentEvent(
                id: uuid(), type: EventType.allCases.randomElement(using: &random)!, occurredAt: time(),
                account: text(), amount: amount, currency: Currency.all.randomElement(using: &random)!, details: details
            ))
        case 5:
            let eventID = mixedCase(uuid().uuidString)
            return .alert(AlertNotice(
                alertID: "\(eventID):\(text())", eventID: eventID, account: text(), rule: text(), severity: text(),
                reason: text(), detectedAt: time()
            ))
        default:
            return .mismatch(MismatchNotice(
                mismatchID: mixedCase(uuid().uuidString), kind: text(), transactionID: mixedCase(uuid().uuidString),
                expected: text(), actual: text(), detectedAt: time()
            ))
        }
    }
}
