import Logging
import PayFlowRedis
import PayFlowRuntime
import ServiceLifecycle

/// Runs ``ProvisionalVerdictSettler`` every `interval`, behind the group's
/// ``ConsumptionWatermark`` on the events stream, until graceful shutdown.
public struct ProvisionalVerdictSettleService: Service {
    let settler: ProvisionalVerdictSettler
    let redis: RedisConnection
    let stream: String
    let group: String
    let interval: Duration
    let logger: Logger

    public init(settler: ProvisionalVerdictSettler, redis: RedisConnection, stream: String, group: String, interval: Duration, logger: Logger) {
        self.settler = settler
        self.redis = redis
        self.stream = stream
        self.group = group
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        var backoff = Backoff(maximum: .seconds(30))
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let watermark = try await ConsumptionWatermark.read(redis: self.redis, stream: self.stream, group: self.group)
                let result = try await self.settler.settle(through: watermark)
                if result.settled > 0 {
                    self.logger.debug("settled provisional verdicts", metadata: ["settled": "\(result.settled)", "alerted": "\(result.alerted)"])
                }
                backoff.reset()
                await sleepUnlessShuttingDown(for: self.interval)
            } catch {
                // A store is down: the next pass redoes the same work, which is idempotent.
                self.logger.warning("Settling provisional verdicts failed; retrying", metadata: ["error": "\(error)"])
                await backoff.wait()
            }
        }
    }
}

