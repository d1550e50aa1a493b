import PayFlowDomain
import PayFlowRedis

/// One entry of any of the three streams, decoded by the stream it came from.
///
/// One consumer group reads all three streams in one `XREADGROUP`, so a batch
/// mixes them; the handler records the whole mix in one statement.
public enum AnalyticsMessage: Sendable, Hashable {
    case event(PaymentEvent)
    case alert(AlertNotice)
    case mismatch(MismatchNotice)

    /// What kind of fact an entry becomes; also the `kind` of the facts counter.
    public enum Kind: String, Sendable, CaseIterable {
        case event
        case alert
        case mismatch
    }

    public var kind: Kind {
        switch self {
        case .event: .event
        case .alert: .alert
        case .mismatch: .mismatch
        }
    }
}

/// An entry of a stream the handler was not configured for: a wiring bug,
/// dead-lettered rather than guessed at.
public struct UnexpectedStreamError: Error, CustomStringConvertible {
    public var stream: String
    public var description: String { "entry of unexpected stream '\(self.stream)'" }
}

extension AnalyticsStreams {
    /// Strict decoding shared with the other services: an entry that does not
    /// parse throws, and the runtime dead-letters it at once.
    public func decode(_ entry: StreamEntry) throws -> AnalyticsMessage {
        switch StreamNames.unsharded(entry.stream) {
        case self.events: .event(try PaymentEvent(fields: entry.fields))
        case self.alerts: .alert(try AlertNotice(fields: entry.fields))
        case self.mismatches: .mismatch(try MismatchNotice(fields: entry.fields))
        default: throw UnexpectedStreamError(stream: entry.stream)
        }
    }
}
