import ArgumentParser
import PayFlowBench
import PayFlowRuntime

/// `payflow demo-consumer`: see ``DemoConsumer``.
struct DemoConsumerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-consumer",
        abstract: "Run the demo consumer group (records event ids in PostgreSQL)."
    )

    func run() async throws {
        let context = try ProcessContext.bootstrap(label: "payflow.demo-consumer", metrics: true)
        try await DemoConsumer.make(context).run()
    }
}
