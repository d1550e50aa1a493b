import Foundation
import PayFlowRedis
import PayFlowTestSupport
import Testing

/// The REST APIs fuzzed from their own OpenAPI documents by schemathesis
/// (PyPI, installed by scripts/install-deps into var/tools/venv): whatever
/// the requests, no 5xx, and the process is still alive afterwards.
/// Redis database ``RedisTestDatabase/faultAPIFuzz``, a PostgreSQL database of its own.
@Suite("Faults: the REST APIs fuzzed from their OpenAPI documents", .serialized)
struct APIFuzzTests {
    static var schemathesis: URL {
        TestServers.repositoryRoot.appendingPathComponent("var/tools/venv/bin/schemathesis")
    }

    @Test(arguments: ["generator", "analytics"])
    func noServerErrorWhateverTheRequest(service: String) async throws {
        try #require(
            FileManager.default.isExecutableFile(atPath: Self.schemathesis.path),
            "schemathesis not found at \(Self.schemathesis.path): run scripts/install-deps"
        )
        try await Platform.with(redisDatabase: .faultAPIFuzz) { platform in
            var environment = platform.environment
            // The generator's lag guard would answer the fuzzer's starts with a pause, not an error.
            environment["GENERATOR_MAX_LAG"] = "0"
            // With the token, the fuzzer reaches the mutating endpoints' handlers, not only the refusal.
            environment["ADMIN_TOKEN"] = Self.adminToken
            let process = try PayFlowProcess([service], environment: environment)
            var port: Int?
            try await eventually("\(service) to listen", timeout: .seconds(180)) {
                port = Platform.listeningPort(in: process.output)
                return port != nil || !process.process.isRunning
            }
            let base = try #require(port.map { "http://127.0.0.1:\($0)" }, "no port in:\n\(process.output)")

            let run = try await Self.fuzz(schema: base + "/openapi.json", base: base)
            if run.status != 0 {
                // Kept for whoever reads the CI log: the failing cases and how to replay them.
                print("schemathesis against \(service) failed:\n\(run.output)")
            }
            #expect(run.status == 0, "schemathesis against \(service):\n\(run.output.suffix(6000))")
            #expect(process.process.isRunning, "\(service) died under fuzzing:\n\(process.output.suffix(4000))")
            process.signal(SIGTERM)
            #expect(try await process.waitForExit(timeout: .seconds(30)) == 0)
        }
    }

    static let adminToken = "fuzz-admin-token"

    /// `schemathesis run` with the server-error and schema-conformance checks.
    static func fuzz(schema: String, base: String) async throws -> (status: Int32, output: String) {
        let arguments = [
            "run", schema, "--url", base, "--header", "Authorization: Bearer \(Self.adminToken)",
            "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
            "--max-examples", "25", "--no-color",
            // Reproducible (a failure names its case and replays with the same seed), and patient:
            // the suite runs this beside everything else on two cores.
            "--seed", "20261125", "--request-timeout", "60",
        ]
        let result = try await ChildProcess.run(
            Self.schemathesis, arguments,
            environment: ProcessInfo.processInfo.environment.merging(["SCHEMATHESIS_HOOKS": ""]) { $1 },
            errorOutput: .merged
        )
        return (result.status, result.outputText)
    }
}
