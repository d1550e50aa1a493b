import Histogram
import Synchronization

/// XADD-to-ack latency of every entry this process acked, per group and
/// stream, kept as HDR histograms and served as JSON by `GET /latency`.
///
/// The Prometheus histogram `payflow_entry_latency_seconds` has fixed, coarse
/// buckets: good for a dashboard, too coarse for a p99 or a max. These
/// histograms keep three significant digits over any range and merge exactly,
/// so `make bench` can add up the replicas of a group and report p50, p99 and
/// max. One instance per process, like the metrics backend, so every consumer
/// group of the process records into what its operations server serves.
public final class EntryLatencyHistograms: Sendable {
    /// The histograms of this process.
    public static let process = EntryLatencyHistograms()

    struct Key: Hashable {
        var group: String
        var stream: String
    }

    private let histograms = Mutex<[Key: Histogram<UInt64>]>([:])

    public init() {}

    /// Records latencies, in milliseconds (the resolution of an entry id).
    public func record(group: String, stream: String, milliseconds: some Sequence<UInt64>) {
        // Recorded in place, with one lookup: the default subscript yields the
        // stored histogram (made first if missing) to be mutated where it is;
        // taking it out of the dictionary and putting it back copied its whole
        // counts array on every batch.
        self.histograms.withLock { histograms in
            Self.record(milliseconds, into: &histograms[Key(group: group, stream: stream), default: Self.makeHistogram()])
        }
    }

    private static func record(_ milliseconds: some Sequence<UInt64>, into histogram: inout Histogram<UInt64>) {
        for value in milliseconds {
            _ = histogram.record(value)
        }
    }

    /// What `GET /latency` serves: one report per group and stream.
    public func reports() -> [EntryLatencyReport] {
        self.histograms.withLock { histograms in
            histograms.map { key, histogram in
                EntryLatencyReport(group: key.group, stream: key.stream, histogram: histogram)
            }
        }
        .sorted { ($0.group, $0.stream) < ($1.group, $1.stream) }
    }

    /// An empty histogram of milliseconds, as these keep them: three
    /// significant digits, growing past a minute when it must.
    public static func makeHistogram() -> Histogram<UInt64> {
        var histogram = Histogram<UInt64>(highestTrackableValue: 60_000, numberOfSignificantValueDigits: .three)
        histogram.autoResize = true
        return histogram
    }
}

/// The XADD-to-ack latency of one group on one stream, in milliseconds (to
/// three significant digits: exact below 2,048 ms): a summary to read, and every recorded value with its count so that reports
/// of several replicas can be merged exactly (``merged(_:)``).
public struct EntryLatencyReport: Codable, Sendable, Equatable {
    public var group: String
    public var stream: String
    public var count: UInt64
    public var p50: UInt64
    public var p99: UInt64
    public var max: UInt64
    /// `[value, count]` pairs, ascending by value.
    public var values: [[UInt64]]

    init(group: String, stream: String, histogram: Histogram<UInt64>) {
        self.group = group
        self.stream = stream
        self.count = histogram.totalCount
        self.p50 = histogram.valueAtPercentile(50)
        self.p99 = histogram.valueAtPercentile(99)
        self.max = histogram.max
        self.values = histogram.recordedValues().map { [$0.value, $0.count] }
    }

    /// One report for `group` and `stream` from several (replicas, or the
    /// streams a group reads), as if one histogram had recorded them all.
    public static func merged(_ reports: [EntryLatencyReport], group: String, stream: String) -> EntryLatencyReport {
        var histogram = EntryLatencyHistograms.makeHistogram()
        for report in reports {
            for pair in report.values where pair.count == 2 {
                _ = histogram.record(pair[0], count: pair[1])
            }
        }
        return EntryLatencyReport(group: group, stream: stream, histogram: histogram)
    }
}
