import Foundation
import PayFlowRedis

/// Every Redis database number the tests use, in one table, so that no two
/// suites (or two tests that run in parallel) share one.
///
/// A test needs a database of its own when the names it writes are fixed (the
/// platform's real stream and group names: the generator, reconciliation,
/// the processes) and it flushes the database before and after; two such
/// tests on one number delete each other's entries in the middle of a run.
/// Everything else shares ``shared`` and names its keys with `uniqueName`.
///
/// An enum with raw values, so the compiler refuses a number listed twice;
/// `RedisTestDatabaseTests` checks every number is below the `databases`
/// setting of `redis/redis.conf`, which the test servers run with.
public enum RedisTestDatabase: Int, CaseIterable, Sendable {
    /// Never flushed: every suite whose keys have unique names.
    case shared = 0

    // MARK: - PayFlowAntiFraudTests (real stream names)
    case antiFraudTwoReplicas = 1
    case antiFraudSeededScoring = 2
    /// Three generator runs back to back on the same data, scored.
    case antiFraudThreeRuns = 37

    // MARK: - PayFlowGeneratorTests (`payflow:events` is fixed)
    case generatorConsistency = 5
    /// Both runs of the determinism test, one after the other.
    case generatorDeterminism = 6
    case generatorScenario = 7
    case generatorInjection = 8
    case generatorLagPause = 9
    case generatorRate = 10
    /// Runs continued across generator instances, and the one uninterrupted run they are compared with.
    case generatorContinuation = 34
    /// A batch committed in PostgreSQL whose XADD never happened.
    case generatorCrashWindow = 35
    /// A configuration that does not fit the stored world.
    case generatorNewWorld = 36
    /// A stop and a start in one process.
    case generatorStopStart = 39
    /// A running generator reconfigured live (issue 16).
    case generatorLiveConfiguration = 44
    /// Events injected over REST with a ground-truth label.
    case generatorLabelledInjection = 45
    /// A stop while a batch is blocked in PostgreSQL.
    case generatorStopInFlight = 41
    /// A stop that gives up waiting on a batch blocked in PostgreSQL.
    case generatorStopGivesUp = 42

    // MARK: - PayFlowReconciliationTests (`payflow:events` is fixed)
    case reconciliationKinds = 13
    case reconciliationGrace = 14
    case reconciliationRedeliveries = 15
    case reconciliationOneReplica = 28
    case reconciliationTwoReplicas = 29
    /// Its own suite, which runs beside the serialized `Reconciliation` suite.
    case reconciliationGeneratorRun = 26

    // MARK: - PayFlowAnalyticsTests (the real stream names)
    case analyticsReplicas = 32

    // MARK: - PayFlowAuditLogTests (the real stream names)
    case auditLogReplicas = 33

    // MARK: - PayFlowBalancesTests (`payflow:events` is fixed)
    case balancesReplicas = 30
    case balancesRedelivery = 31

    // MARK: - PayFlowRedisTests
    /// Selected by the test of `SELECT`; written with a unique key only.
    case redisSelect = 27
    /// The ACL users' test: writes the fixed dead-letter stream names.
    case redisServiceUsers = 46
    /// `POST /v1/dead-letters/{group}/replay`: the fixed dead-letter stream names.
    case deadLetterReplayREST = 47

    // MARK: - PayFlowBenchTests
    case benchMeasurements = 25

    // MARK: - PayFlowProcessTests (child processes get `redis://host:port/N`)
    case generatorProcess = 4
    /// `payflow generator` killed with SIGKILL and started again, several times.
    case generatorKillNine = 38
    case demoConsumerSigterm = 11
    case demoConsumerClaim = 12
    case notificationProcess = 16
    case analyticsProcess = 17
    case auditLogProcess = 18
    /// Every service in turn (the suite is serialized).
    case metricsProcess = 19
    case dashboardProcess = 20
    /// The dashboard's controls driving a real generator (writes the fixed stream names and a DLQ).
    case dashboardControls = 51

    // MARK: - PayFlowFaultTests (the whole platform as processes)
    case faultKillNine = 21
    case faultSigterm = 22
    case faultPoisonAndMalformed = 23
    /// Both APIs in turn (the suite is serialized).
    case faultAPIFuzz = 24
    /// The five services' builders in-process, with entries their stores refuse.
    case faultStoreRefusals = 3
    /// The fault-free run of the fault cases' seed, whose alerts they compare with.
    case faultReference = 52
    /// The whole platform with `EVENT_SHARDS=3` on one Redis.
    case faultThreeShards = 53
    /// Unused by its case, which runs on the test cluster (database 0 only);
    /// the fixture's PostgreSQL database comes with it.
    case faultCluster = 54

    // Stream trimming and webhooks (40-45).
    /// A group stopped while the stream grows, with the audit log on the real names.
    case trimmingLaggingGroup = 40

    /// The database number, as `SELECT` and a Redis URL's path take it.
    public var number: Int { self.rawValue }

    /// The test server's address (``TestServers/redisURL()``) with this
    /// database selected.
    public func configuration() async throws -> RedisConfiguration {
        var configuration = try RedisConfiguration(url: await TestServers.redisURL())
        configuration.database = self.number
        return configuration
    }

    /// `redis://[user:password@]host:port/N` for a child `payflow` process,
    /// which takes its database from `REDIS_URL`, and its credentials.
    public func url(on configuration: RedisConfiguration) -> String {
        var components = URLComponents()
        components.scheme = "redis"
        components.host = configuration.host
        components.port = configuration.port
        components.path = "/\(self.number)"
        if let password = configuration.password {
            components.user = configuration.username ?? ""
            components.password = password
        }
        return components.string ?? "redis://\(configuration.host):\(configuration.port)/\(self.number)"
    }
}
