import Foundation
import Logging
import PayFlowAntiFraud
import PayFlowDomain
import PayFlowGenerator
import PayFlowRedis
import PayFlowRuntime
import PayFlowScoring
import PayFlowTestSupport
import Testing

/// Issue 18 as a new user meets it: the generator run three times on the
/// same data, a new process each time (as `make run`, Ctrl-C, `make run`),
/// with anti-fraud reading all along. Each run must score as a fresh single
/// run does; before runs continued the world, the second run replayed the
/// same accounts at the same business time over the first run's history,
/// and precision fell to about 0.2.
@Suite("Three generator runs on the same data")
struct ThreeRunsTests {
    private static let start = EventTimestamp(rfc3339: "2026-03-02T08:00:00Z")!

    @Test func everyRunScoresAsAFreshRunDoes() async throws {
        try await AntiFraudFixture.with(redisDatabase: .antiFraudThreeRuns) { fixture in
            let process = try await DeliveryTests.antiFraudProcess(fixture, consumer: "scorer")
            let consumer = try #require(process.workers.compactMap { $0 as? ConsumerGroupService<AntiFraudHandler> }.first)
            let settings = Generator.Settings(
                redis: fixture.base.redisConfiguration, databaseURL: fixture.databaseURL, maxLag: nil
            )
            try await withApplicationsRunning([process]) {
                for run in 1...3 {
                    // The first run names a seed so the test replays; the
                    // next ones name none, as `make run` does. The clean
                    // profile, whose fresh runs score precision and recall
                    // near 1: the bounds below are that fresh run's. (That a
                    // restart leaves the realistic profile's events exactly
                    // as an uninterrupted run's is GeneratorContinuationTests'
                    // and SnapshotTests'.)
                    let configuration = GeneratorConfiguration(
                        eventsPerSecond: nil, totalEvents: 3_000, accounts: 400, fraudRate: 0.02, inconsistencyRate: 0,
                        seed: run == 1 ? 33 : nil, startTime: Self.start, profile: .clean
                    )
                    let generator = Generator(configuration: configuration, settings: settings, logger: .quiet("test.generator"))
                    try await withServicesRunning([generator]) {
                        try await generator.start()
                        try await eventually("generator run \(run) to complete", timeout: .seconds(120)) {
                            await generator.status().state == .stopped
                        }
                    }
                }
                let length = Int(try await fixture.redis.send(RedisCommand("XLEN", StreamNames.events)).integer ?? 0)
                #expect(length >= 9_000)
                try await eventually("every entry processed", timeout: .seconds(180)) {
                    consumer.counters.snapshot.acked >= length
                }
            }
            try await fixture.settle()
            for run in [1, 2, 3] as [Int?] + [nil] {
                let report = try await FraudReport.load(from: fixture.database, run: run)
                let scope = run.map { "run \($0)" } ?? "all runs"
                print(report.rendered)
                #expect(report.incidents > 10, "\(scope)")
                #expect(try #require(report.precision) >= 0.9, "\(scope): precision \(report.precision ?? 0)")
                #expect(try #require(report.incidentRecall) >= 0.95, "\(scope): incident recall \(report.incidentRecall ?? 0)")
            }
        }
    }
}
