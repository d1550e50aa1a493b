/// The Redis keys of PayFlow's streams: the contract between the generator,
/// the services and anyone inspecting them with `redis-cli`.
///
/// Dead-letter streams are not listed here: the runtime names them after
/// their group (`ConsumerGroupConfiguration.deadLetterStream(forGroup:)`,
/// `payflow:dlq:<group>`), since it is the runtime that writes them.
public enum StreamNames {
    /// Every payment-domain event the generator emits.
    public static let events = "payflow:events"
    /// Fraud alerts raised by the anti-fraud service.
    public static let alerts = "payflow:alerts"
    /// Differences the reconciliation service found against the ledger.
    public static let mismatches = "payflow:mismatches"

    /// The three streams the platform's work flows through (dead letters aside).
    public static let business = [events, alerts, mismatches]

    /// `stream` without its shard's hash tag: `payflow:events:{1}` is
    /// `payflow:events`; a name without a tag is returned as it is.
    ///
    /// With `EVENT_SHARDS` above 1 every stream exists once per shard, named
    /// `<name>:{<tag>}` (`StreamShard` in the runtime places the tags); a
    /// handler that tells an entry's kind by its stream asks this first.
    public static func unsharded(_ stream: String) -> String {
        guard stream.hasSuffix("}"), let open = stream.lastIndex(of: "{"),
              stream[..<open].hasSuffix(":")
        else { return stream }
        return String(stream[..<stream.index(before: open)])
    }
}
