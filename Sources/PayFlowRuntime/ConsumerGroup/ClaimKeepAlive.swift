import Logging
import PayFlowRedis

/// Keeps a batch claimed by this consumer while its handler runs, so no
/// other consumer's `XAUTOCLAIM` takes it over mid-flight.
///
/// Why: to Redis an entry is idle from its delivery until its ack, however
/// busy its consumer is. A batch that takes longer than `claimMinIdle` (the
/// notification service's webhooks: 256 entries, 16 at a time, up to three
/// 2 s attempts each, is about 100 s against a 30 s claim) was claimed by
/// another replica and handled a second time while the first was still
/// sending: webhooks sent twice. Every `claimMinIdle / 3` while the handler
/// runs, the owner re-claims the batch's entries for itself with `XCLAIM
/// ... 0 ... JUSTID`, which resets their idle time and spends no delivery
/// attempt; a batch that ends sooner costs nothing.
///
/// What it gives up: a handler stuck for good keeps its batch from the other
/// replicas while its process lives. The runtime's handlers end (timeouts,
/// retries with backoff until shutdown), and a dead process stops renewing,
/// so its entries are claimed `claimMinIdle` later as before. If this
/// consumer was stalled for longer than `claimMinIdle` and another one took
/// the entries meanwhile, `XCLAIM` takes them back; both then handle them,
/// the at-least-once redelivery idempotent handlers absorb.
struct ClaimKeepAlive: Sendable {
    let group: String
    let consumer: String
    let interval: Duration
    let logger: Logger

    init(configuration: ConsumerGroupConfiguration, logger: Logger) {
        self.group = configuration.group
        self.consumer = configuration.consumerName
        self.interval = max(.milliseconds(10), configuration.claimMinIdle / 3)
        self.logger = logger
    }

    /// Runs `body` while renewing the claim on `entries` on `connection`.
    func whileHandling<Result: Sendable>(
        _ entries: [StreamEntry],
        connection: RedisConnection,
        _ body: () async -> Result
    ) async -> Result {
        guard !entries.isEmpty else { return await body() }
        return await withTaskGroup(of: Void.self, returning: Result.self) { renewals in
            renewals.addTask {
                // Made at the first renewal: most batches end long before it.
                var commands: [RedisCommand] = []
                while true {
                    try? await Task.sleep(for: self.interval)
                    guard !Task.isCancelled else { return }
                    if commands.isEmpty { commands = self.commands(renewing: entries) }
                    do {
                        for reply in try await connection.pipeline(commands) { try reply.orThrow() }
                    } catch {
                        // The claim loop of another replica may then take the batch: a
                        // possible duplicate, not a loss. Keep trying.
                        self.logger.warning("Could not renew the claim on a batch in flight", metadata: ["error": "\(error)"])
                    }
                }
            }
            let result = await body()
            renewals.cancelAll()
            return result
        }
    }

    /// `XCLAIM stream group consumer 0 id... JUSTID`, one per stream.
    private func commands(renewing entries: [StreamEntry]) -> [RedisCommand] {
        entries.map(\.key).streamRuns().map { run in
            var command = RedisCommand("XCLAIM", run.stream, self.group, self.consumer, 0)
            command.append(contentsOf: run.ids)
            command.append("JUSTID")
            return command
        }
    }
}
