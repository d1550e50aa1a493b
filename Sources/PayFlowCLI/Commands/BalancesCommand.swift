import ArgumentParser
import PayFlowBalances
import PayFlowRuntime

/// `payflow balances`: see ``BalancesService``.
struct BalancesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "balances",
        abstract: "Run the balances consumer group (each account's running balance in account_balances)."
    )

    func run() async throws {
        let context = try ProcessContext.bootstrap(label: "payflow.balances", metrics: true)
        try await BalancesService.make(context).run()
    }
}
