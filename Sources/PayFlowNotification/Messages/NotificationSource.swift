import Foundation
import PayFlowDomain

/// An entry the notification group reads, decoded: an event from
/// `payflow:events` or an alert from `payflow:alerts`. One group reads both
/// streams in one `XREADGROUP`, so one message type covers both.
public enum NotificationSource: Sendable, Hashable {
    case event(PaymentEvent)
    case alert(AlertNotice)

    /// Which kind of stream the source comes from, independent of the stream's
    /// actual name (tests use names of their own): part of the notification id.
    public var streamKind: String {
        switch self {
        case .event: "event"
        case .alert: "alert"
        }
    }

    /// The id the notification is keyed by: the event id or the alert id.
    public var sourceID: String {
        switch self {
        case .event(let event): event.id.uuidString.lowercased()
        case .alert(let alert): alert.alertID
        }
    }

    /// The event the message is about (for an alert, the event that raised it).
    public var eventID: String {
        switch self {
        case .event(let event): event.id.uuidString.lowercased()
        case .alert(let alert): alert.eventID.lowercased()
        }
    }

    public var kind: NotificationKind {
        switch self {
        case .event(let event): NotificationKind(eventType: event.type)
        case .alert: .fraudAlert
        }
    }

    /// Who the message is for: the account holder (by account id) for events,
    /// the operations team for alerts.
    public var recipient: String {
        switch self {
        case .event(let event): event.account
        case .alert: Self.operationsRecipient
        }
    }

    public static let operationsRecipient = "operations"
}
