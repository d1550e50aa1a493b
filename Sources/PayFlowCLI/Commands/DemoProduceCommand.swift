import ArgumentParser
import PayFlowBench
import PayFlowDomain
import PayFlowRuntime

/// `payflow demo-produce`: see ``DemoProducer``.
struct DemoProduceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-produce",
        abstract: "Append demo entries to payflow:events (batched, pipelined XADD)."
    )

    @Option(help: "How many entries to append.")
    var count: Int = 1000

    @Option(help: "Entries per pipelined batch.")
    var batch: Int = 500

    func validate() throws {
        guard self.count > 0 else { throw ValidationError("--count must be positive") }
        guard (1...100_000).contains(self.batch) else { throw ValidationError("--batch must be between 1 and 100000") }
    }

    func run() async throws {
        let context = try ProcessContext.bootstrap(label: "payflow.demo-produce")
        let elapsed = try await DemoProducer.append(count: self.count, batch: self.batch, context: context)
        print("Appended \(self.count) entries to \(StreamNames.events) in \(elapsed)")
    }
}
