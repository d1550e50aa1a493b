import Foundation
import PayFlowDomain
import PayFlowPostgres
import PayFlowRedis
import PayFlowTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `payflow generator` as an operator runs it: a real process on a real
/// socket, with the admin token, against real Redis and PostgreSQL.
@Suite("payflow generator over HTTP")
struct GeneratorProcessTests {
    private func request(_ method: String, _ url: URL, token: String? = nil, body: String? = nil) async throws -> (status: Int, body: Data) {
        var request = URLRequest(url: url)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }

    private func status(_ base: URL) async throws -> [String: Any]? {
        let (_, body) = try await self.request("GET", base.appendingPathComponent("v1/generator"))
        return try JSONSerialization.jsonObject(with: body) as? [String: Any]
    }

    private func emitted(_ base: URL) async throws -> Int {
        try await self.status(base)?["emitted_total"] as? Int ?? 0
    }

    @Test func servesItsAPIGuardsMutationsAndStopsCleanly() async throws {
        try await IntegrationFixture.with(redisDatabase: .generatorProcess, migration: .withTheBinary) { fixture in
            let (redis, redisURL, databaseURL) = (fixture.redis, fixture.redisURL, fixture.databaseURL)

            let port = Int.random(in: 20_000...29_999)
            let base = URL(string: "http://127.0.0.1:\(port)")!
            let generator = try PayFlowProcess(
                ["generator", "--rate", "500", "--seed", "11"],
                environment: ["REDIS_URL": redisURL, "DATABASE_URL": databaseURL, "HTTP_PORT": String(port), "ADMIN_TOKEN": "s3cret"]
            )
            try await eventually("the generator to answer /health", timeout: .seconds(180)) {
                (try? await self.request("GET", base.appendingPathComponent("health")).status) == 200
            }

            let document = try await self.request("GET", base.appendingPathComponent("openapi.json"))
            #expect(document.status == 200)
            let openAPI = try JSONSerialization.jsonObject(with: document.body) as? [String: Any]
            #expect((openAPI?["openapi"] as? String)?.hasPrefix("3.") == true)

            let start = base.appendingPathComponent("v1/generator/start")
            #expect(try await self.request("POST", start).status == 401)
            #expect(try await self.request("POST", start, token: "wrong").status == 401)
            #expect(try await self.request("POST", start, token: "s3cret").status == 200)
            #expect(try await self.request("POST", start, token: "s3cret").status == 409)

            let badConfig = try await self.request("PUT", base.appendingPathComponent("v1/generator/config"), token: "s3cret", body: #"{"events_per_second": -1}"#)
            #expect((400..<500).contains(badConfig.status))
            let error = try JSONSerialization.jsonObject(with: badConfig.body) as? [String: [String: String]]
            #expect(error?["error"]?["message"]?.isEmpty == false)

            try await eventually("events to flow") { try await self.emitted(base) >= 200 }
            // The stop answers once the batch in flight has landed, its status
            // holding the run's last count; a batch still landing after the
            // stop's 5 s wait (a starved machine writes a catch-up batch of
            // up to 1,000 events slowly) makes it answer `stopping`, and the
            // count is the run's last once the status says `stopped`.
            let stop = try await self.request("POST", base.appendingPathComponent("v1/generator/stop"), token: "s3cret")
            #expect(stop.status == 200)
            var stopped = try JSONSerialization.jsonObject(with: stop.body) as? [String: Any]
            let answeredState = stopped?["state"] as? String
            #expect(answeredState == "stopped" || answeredState == "stopping", "\(stopped ?? [:])")
            let answeredTotal = try #require(stopped?["emitted_total"] as? Int)
            if answeredState == "stopping" {
                try await eventually("the batch in flight at the stop to land", timeout: .seconds(120)) {
                    stopped = try await self.status(base)
                    return stopped?["state"] as? String == "stopped"
                }
            }
            let total = try #require(stopped?["emitted_total"] as? Int)
            #expect(total >= answeredTotal)

            generator.signal(SIGTERM)
            #expect(try await generator.waitForExit(timeout: .seconds(30)) == 0, "\(generator.output)")

            let length = try #require(try await redis.send(RedisCommand("XLEN", StreamNames.events)).integer)
            #expect(Int(length) == total)
            let sample = try await redis.send(RedisCommand("XRANGE", StreamNames.events, "-", "+", "COUNT", 50))
            for item in sample.array ?? [] {
                let flat = item.array?[1].array ?? []
                let fields = stride(from: 0, to: flat.count, by: 2).map { (name: flat[$0].string ?? "", value: flat[$0 + 1].string ?? "") }
                #expect(throws: Never.self) { try PaymentEvent(fields: fields) }
            }
        }
    }
}
