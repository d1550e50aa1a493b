import ArgumentParser
import Foundation
import Logging
import PayFlowBench
import PayFlowRedis

/// `payflow bench runtime`: the measurements of `make bench` that run inside
/// one process. The script `scripts/bench` runs the rest around the services.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks (see make bench).",
        subcommands: [Runtime.self]
    )

    struct Runtime: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Drain pre-loaded entries with a do-nothing handler: entries/s and Redis CPU, per consumer count. Prints JSON."
        )

        @Option(help: "Entries to pre-load and drain.")
        var entries: Int = 500_000

        @Option(help: "Consumer counts to measure, comma-separated.")
        var consumers: String = "1,4"

        @Option(help: "COUNT of each read.")
        var batchSize: Int = 256

        @Option(help: "The stream to use (deleted first).")
        var stream: String = "payflow:bench:runtime"

        func run() async throws {
            let context = try ProcessContext.bootstrap(label: "payflow.bench", defaultLogLevel: .warning)
            let counts = try self.consumers.split(separator: ",").map { text in
                guard let count = Int(text), count > 0 else { throw ValidationError("--consumers: '\(text)' is not a positive count") }
                return count
            }
            let benchmark = RuntimeBenchmark(
                redis: try context.environment.redisConfiguration(), entries: self.entries, batchSize: self.batchSize, logger: context.logger
            )
            var results: [RuntimeBenchmark.Result] = []
            for count in counts {
                try await benchmark.preload(stream: self.stream)
                let result = try await benchmark.drain(stream: self.stream, consumers: count)
                FileHandle.standardError.write(Data(String(
                    format: "bench runtime: %d consumer(s): %.0f entries/s (%.2f s), Redis CPU %.2f s (%.3f ms per 1,000)\n",
                    count, result.entriesPerSecond, result.seconds, result.redisCPUSeconds, result.redisCPUMillisecondsPerThousand
                ).utf8))
                results.append(result)
            }
            let connection = try await RedisConnection.connect(configuration: try context.environment.redisConfiguration(), logger: context.logger)
            try await connection.send(RedisCommand("DEL", self.stream))
            await connection.close()
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(results), as: UTF8.self))
        }
    }
}
