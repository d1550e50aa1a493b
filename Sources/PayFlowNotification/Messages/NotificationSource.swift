import Foundation
import PayFlowDomain

/// An entry the notification group reads, decoded: an event from
/// `payflow:events`, an alert from `payflow:alerts` or a mismatch from
/// `payflow:mismatches`. One group reads the three streams in one
/// `XREADGROUP`, so one message type covers them all.
public enum NotificationSource: Sendable, Hashable {
    case event(PaymentEvent)
    case alert(AlertNotice)
    case mismatch(MismatchNotice)

    /// Which kind of stream the source comes from, independent of the stream's
    /// actual name (tests use names of their own): part of the notification id.
    public var streamKind: String {
        switch self {
        case .event: "event"
        case .alert: "alert"
        case .mismatch: "mismatch"
        }
    }

    /// The id the notification is keyed by: the event id, the alert id or
    /// the mismatch id (stable per transaction and kind, so a mismatch
    /// published twice is one notification).
    public var sourceID: String {
        switch self {
        case .event(let event): event.id.lowercasedText
        case .alert(let alert): alert.alertID
        case .mismatch(let mismatch): mismatch.mismatchID.lowercased()
        }
    }

    /// The event the message is about (for an alert, the event that raised
    /// it; for a mismatch, its transaction, whose id is the event's).
    public var eventID: String {
        switch self {
        case .event(let event): event.id.lowercasedText
        case .alert(let alert): alert.eventID.lowercased()
        case .mismatch(let mismatch): mismatch.transactionID.lowercased()
        }
    }

    public var kind: NotificationKind {
        switch self {
        case .event(let event): NotificationKind(eventType: event.type)
        case .alert: .fraudAlert
        case .mismatch: .reconciliationMismatch
        }
    }

    /// Who the message is for: the account holder (by account id) for events,
    /// the operations team for alerts and mismatches.
    public var recipient: String {
        switch self {
        case .event(let event): event.account
        case .alert, .mismatch: Self.operationsRecipient
        }
    }

    public static let operationsRecipient = "operations"
}
