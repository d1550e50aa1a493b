/// What a channel made of one notification, after its own retries. The
/// handler turns it into a row status and an entry outcome.
public struct DeliveryResult: Sendable, Equatable {
    public enum Status: Sendable, Equatable {
        /// Accepted by the channel: record `delivered`, then ack.
        case delivered
        /// Failed now, may succeed later (timeout, connection refused, 5xx,
        /// 408, 429): record `failed` and leave the entry pending, so the
        /// runtime delivers it again and dead-letters it after `MAX_DELIVERIES`.
        case retryable(reason: String)
        /// Will fail the same way every time (a 4xx other than 408/429):
        /// record `failed` and dead-letter the entry now.
        case permanent(reason: String)
    }

    public var status: Status
    /// Attempts made in this delivery (the row's `attempts` adds them up).
    public var attempts: Int

    public init(status: Status, attempts: Int) {
        self.status = status
        self.attempts = attempts
    }

    public static func delivered(attempts: Int = 1) -> DeliveryResult {
        DeliveryResult(status: .delivered, attempts: attempts)
    }

    /// The error text for `last_error`; nil when delivered.
    public var error: String? {
        switch self.status {
        case .delivered: nil
        case .retryable(let reason), .permanent(let reason): reason
        }
    }
}
