import ArgumentParser
import Logging
import PayFlowPostgres
import PayFlowRuntime
import PayFlowScoring

/// `payflow fraud-report`: precision and recall of the anti-fraud alerts
/// against the generator's ground truth, per rule, per scenario and overall,
/// for the current generator run and for all runs: a bad run cannot hide in
/// the total, nor the total in a run.
struct FraudReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fraud-report",
        abstract: "Score fraud_alerts against generator_ground_truth (precision and recall), for the current run and all runs."
    )

    @Option(help: "Score this generator run (generator_runs.run_id) instead of the latest one.")
    var run: Int?

    func run() async throws {
        let context = try ProcessContext.bootstrap(label: "payflow.fraud-report")
        let reports = try await PostgresConnection.withConnection(url: try context.environment.databaseURL(), logger: context.logger) { database in
            var reports: [FraudReport] = []
            var run = self.run
            if run == nil {
                run = try await FraudReport.latestRun(in: database)
            }
            if let run {
                reports.append(try await FraudReport.load(from: database, run: run))
            }
            reports.append(try await FraudReport.load(from: database))
            return reports
        }
        print(reports.map(\.rendered).joined(separator: "\n\n"))
    }
}
