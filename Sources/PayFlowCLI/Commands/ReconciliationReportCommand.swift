import ArgumentParser
import PayFlowPostgres
import PayFlowRuntime
import PayFlowScoring

/// `payflow reconciliation-report`: scores the mismatches found so far
/// against the injected inconsistencies of the generator's ground truth.
/// Exits non-zero with `--strict` unless everything was found and nothing else.
struct ReconciliationReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconciliation-report",
        abstract: "Compare found mismatches with the injected inconsistencies, per kind."
    )

    @Flag(help: "Exit with status 1 unless 100% were found with no false positives.")
    var strict = false

    func run() async throws {
        let context = try ProcessContext.bootstrap(label: "payflow.reconciliation-report")
        let report = try await PostgresConnection.withConnection(url: try context.environment.databaseURL(), logger: context.logger) { database in
            try await ReconciliationReport.load(from: database)
        }
        print(report.rendered)
        if self.strict && !report.isPerfect {
            throw ExitCode(1)
        }
    }
}
