import Metrics
import PayFlowRedis
import Synchronization

/// Counts what a consumer did with entries, both as numbers a test or a status
/// screen can read and as swift-metrics counters (`payflow_stream_entries_total`
/// with `group`, `stream` and `outcome` dimensions) for `/metrics`.
public final class ConsumerGroupCounters: Sendable {
    public enum Kind: String, Sendable, CaseIterable {
        /// Handled with outcome `.done`.
        case processed
        /// Removed from the pending list by `XACK` (processed, dead-lettered or trimmed).
        case acked
        /// Handled with outcome `.retry`, or its batch threw.
        case failed
        /// Left pending after a failure, to be delivered again.
        case retried
        /// Taken over with `XAUTOCLAIM` after sitting idle.
        case claimed
        /// Copied to the dead-letter stream.
        case deadLettered = "dead_lettered"
        /// Pending, but its entry had been trimmed or deleted from the stream.
        case trimmed
    }

    public struct Snapshot: Sendable, Equatable {
        public var processed = 0
        public var acked = 0
        public var failed = 0
        public var retried = 0
        public var claimed = 0
        public var deadLettered = 0
        public var trimmed = 0

        public subscript(kind: Kind) -> Int {
            get {
                switch kind {
                case .processed: self.processed
                case .acked: self.acked
                case .failed: self.failed
                case .retried: self.retried
                case .claimed: self.claimed
                case .deadLettered: self.deadLettered
                case .trimmed: self.trimmed
                }
            }
            set {
                switch kind {
                case .processed: self.processed = newValue
                case .acked: self.acked = newValue
                case .failed: self.failed = newValue
                case .retried: self.retried = newValue
                case .claimed: self.claimed = newValue
                case .deadLettered: self.deadLettered = newValue
                case .trimmed: self.trimmed = newValue
                }
            }
        }
    }

    public let group: String
    private let totals = Mutex(Snapshot())

    public init(group: String) {
        self.group = group
    }

    public var snapshot: Snapshot {
        self.totals.withLock { $0 }
    }

    func record(_ kind: Kind, stream: String, count: Int = 1) {
        guard count > 0 else { return }
        self.totals.withLock { $0[kind] += count }
        Counter(
            label: "payflow_stream_entries_total",
            dimensions: [("group", self.group), ("stream", stream), ("outcome", kind.rawValue)]
        ).increment(by: count)
    }

    func record(_ kind: Kind, keys: [StreamEntry.Key]) {
        guard !keys.isEmpty else { return }
        for run in keys.streamRuns() {
            self.record(kind, stream: run.stream, count: run.ids.count)
        }
    }
}

