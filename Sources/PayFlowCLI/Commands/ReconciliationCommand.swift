import ArgumentParser
import PayFlowReconciliation
import PayFlowRuntime

/// `payflow reconciliation`: see ``ReconciliationService``.
struct ReconciliationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconciliation",
        abstract: "Run the reconciliation service (events against the reference ledger)."
    )

    func run() async throws {
        let context = try ProcessContext.bootstrap(label: "payflow.reconciliation", metrics: true)
        try await ReconciliationService.make(context).run()
    }
}
