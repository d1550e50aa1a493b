import ArgumentParser
import PayFlowAntiFraud
import PayFlowRuntime

/// `payflow anti-fraud`: see ``AntiFraudService``.
struct AntiFraudCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "anti-fraud",
        abstract: "Run the anti-fraud consumer group (rules over payflow:events, alerts to fraud_alerts and payflow:alerts)."
    )

    func run() async throws {
        let context = try ProcessContext.bootstrap(label: "payflow.anti-fraud", metrics: true)
        try await AntiFraudService.make(context).run()
    }
}
