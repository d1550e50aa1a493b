import ArgumentParser
import Logging
import PayFlowPostgres
import PayFlowRuntime
import PayFlowScoring

/// `payflow fraud-report`: precision and recall of the anti-fraud alerts
/// against the generator's ground truth, per rule, per scenario and overall.
struct FraudReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fraud-report",
        abstract: "Score fraud_alerts against generator_ground_truth (precision and recall)."
    )

    func run() async throws {
        let context = try ProcessContext.bootstrap(label: "payflow.fraud-report")
        let report = try await PostgresConnection.withConnection(url: try context.environment.databaseURL(), logger: context.logger) { database in
            try await FraudReport.load(from: database)
        }
        print(report.rendered)
    }
}
