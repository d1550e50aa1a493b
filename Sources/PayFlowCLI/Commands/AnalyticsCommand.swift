import ArgumentParser
import PayFlowAnalyticsAPI
import PayFlowRuntime

/// `payflow analytics`: see ``AnalyticsService``.
struct AnalyticsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analytics",
        abstract: "Run the analytics service (exact aggregates of events, alerts and mismatches, with an HTTP API)."
    )

    func run() async throws {
        let context = try ProcessContext.bootstrap(label: "payflow.analytics", metrics: true)
        try await AnalyticsService.make(context).run()
    }
}
