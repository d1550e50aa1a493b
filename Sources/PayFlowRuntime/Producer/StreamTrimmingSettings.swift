/// How a process trims the streams it writes (``StreamTrimmer``): read once
/// by ``PayFlowApplication`` so that every service trims alike.
public struct StreamTrimmingSettings: Sendable {
    /// `STREAM_TRIM_INTERVAL_MS`: the pause between passes; nil (0) turns
    /// trimming off and keeps every stream whole, which the fault suite uses
    /// to compare whole streams with the audit log.
    public var interval: Duration?
    /// `STREAM_MAXLEN`: the safety limit past which a stream is cut even if a
    /// group has not read it (logged and counted); nil (0): no limit.
    public var safetyLimit: Int?
    /// `DEAD_LETTER_RETENTION_SECONDS`: how long dead letters are kept at
    /// least, for `payflow dlq replay`; nil (0): until the safety limit.
    public var deadLetterRetention: Duration?

    public init(interval: Duration?, safetyLimit: Int?, deadLetterRetention: Duration?) {
        self.interval = interval
        self.safetyLimit = safetyLimit
        self.deadLetterRetention = deadLetterRetention
    }

    public init(environment: Environment) throws(ConfigurationError) {
        let interval = try environment.integer("STREAM_TRIM_INTERVAL_MS", default: 1000, in: 0...3_600_000)
        let retention = try environment.integer("DEAD_LETTER_RETENTION_SECONDS", default: 604_800, in: 0...Int(Int32.max))
        self.init(
            interval: interval == 0 ? nil : .milliseconds(interval),
            safetyLimit: try environment.streamMaxLength(),
            deadLetterRetention: retention == 0 ? nil : .seconds(retention)
        )
    }
}
