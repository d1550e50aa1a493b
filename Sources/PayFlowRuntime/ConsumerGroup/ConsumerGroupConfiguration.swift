import Foundation

/// What a service declares about itself (group, streams) plus the tuning every
/// consumer shares, with the defaults `.env.example` documents.
public struct ConsumerGroupConfiguration: Sendable {
    /// The consumer group; also names the dead-letter stream.
    public var group: String
    /// The streams this group reads, all in one `XREADGROUP`.
    public var streams: [String]
    /// Unique per replica, so two replicas never share a pending list.
    public var consumerName: String
    /// `COUNT` of each read and claim: entries handled per batch.
    public var batchSize: Int = 256
    /// `BLOCK` of each read; also the longest a shutdown waits for a read.
    public var block: Duration = .milliseconds(2000)
    /// Entries pending longer than this are taken over by `XAUTOCLAIM`, from
    /// crashed consumers and from this consumer's own failed attempts alike.
    public var claimMinIdle: Duration = .seconds(30)
    /// How often the claim loop looks for idle entries.
    public var claimInterval: Duration = .seconds(5)
    /// Deliveries after which a failing entry is dead-lettered.
    public var maxDeliveries: Int = 5
    /// Where a group created now starts: `0` (the whole stream) or `$`.
    public var startID: String = "0"
    /// Consumers idle this long with nothing pending are deleted from the group.
    public var idleConsumerDeletion: Duration = .seconds(600)
    /// Ceiling of the exponential backoff when Redis or the handler's store fails.
    public var maxRetryBackoff: Duration = .seconds(5)

    /// Where entries that cannot succeed are kept, with why:
    /// `payflow:dlq:<group>`, or its name on the shard of ``streams``
    /// (``StreamShard/deadLetterStream(forGroup:)``), since a dead letter is
    /// added and its entry acked in one transaction, which on a cluster must
    /// stay in one slot.
    public var deadLetterStream: String

    public init(group: String, streams: [String], consumerName: String = Self.uniqueConsumerName()) {
        self.group = group
        self.streams = streams
        self.consumerName = consumerName
        self.deadLetterStream = Self.deadLetterStream(forGroup: group)
    }

    /// The one definition of a dead-letter stream's name, for readers that
    /// know only the group (`payflow streams`, `payflow dlq`, the audit log).
    public static func deadLetterStream(forGroup group: String) -> String { "payflow:dlq:\(group)" }

    /// Host name and process id: unique per replica on one host and across
    /// containers, and readable in `XINFO CONSUMERS`.
    public static func uniqueConsumerName() -> String {
        "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
    }
}

extension ConsumerGroupConfiguration {
    /// Reads the shared tuning from the environment; the service supplies the
    /// group and streams, which are part of its code, not of its deployment.
    public init(group: String, streams: [String], environment: Environment) throws(ConfigurationError) {
        let name = try environment.string("CONSUMER_NAME", default: Self.uniqueConsumerName())
        self.init(group: group, streams: streams, consumerName: name)
        self.batchSize = try environment.integer("STREAM_BATCH_SIZE", default: 256, in: 1...100_000)
        self.block = try environment.milliseconds("STREAM_BLOCK_MS", default: 2000, in: 1...60_000)
        self.claimMinIdle = try environment.milliseconds("CLAIM_MIN_IDLE_MS", default: 30_000, in: 1...86_400_000)
        self.claimInterval = try environment.milliseconds("CLAIM_INTERVAL_MS", default: 5000, in: 10...3_600_000)
        self.maxDeliveries = try environment.integer("MAX_DELIVERIES", default: 5, in: 1...1000)
        self.idleConsumerDeletion = try environment.milliseconds("CONSUMER_IDLE_DELETE_MS", default: 600_000, in: 1000...604_800_000)
        self.maxRetryBackoff = try environment.milliseconds("RETRY_BACKOFF_MAX_MS", default: 5000, in: 10...600_000)
        let start = try environment.string("GROUP_START_ID", default: "0")
        guard start == "$" || start == "0" || start.contains("-") else {
            throw ConfigurationError(variable: "GROUP_START_ID", problem: "must be 0, $ or a stream id, got '\(start)'")
        }
        self.startID = start
    }
}
