import Foundation
import Logging
import PayFlowDomain
import PayFlowGenerator
import PayFlowRedis
import PayFlowRuntime

/// The generated `APIProtocol`: each method turns a decoded request into a
/// `GeneratorControl` call and its outcome into a documented response.
///
/// Every expected failure is a documented response with the JSON error body;
/// the only throws left are bugs, answered 500 by `APIErrorMiddleware`.
struct GeneratorAPIHandler: APIProtocol {
    let control: any GeneratorControl
    /// nil in a process without Redis (the in-memory API tests): 503.
    let deadLetters: DeadLetterStreams?
    let logger: Logger

    // MARK: - Generator

    func getGeneratorStatus(_ input: Operations.GetGeneratorStatus.Input) async throws -> Operations.GetGeneratorStatus.Output {
        .ok(.init(body: .json(try await self.currentStatus())))
    }

    func configureGenerator(_ input: Operations.ConfigureGenerator.Input) async throws -> Operations.ConfigureGenerator.Output {
        let body: Components.Schemas.GeneratorConfiguration
        switch input.body {
        case .json(let json): body = json
        }
        do {
            try await self.control.configure(try GeneratorConfiguration(body))
        } catch {
            let body = Components.Schemas._Error(message: error.description)
            switch error.reason {
            case .outOfRange: return .unprocessableContent(.init(body: .json(body)))
            case .doesNotFit: return .badRequest(.init(body: .json(body)))
            case .changesRunningWorld: return .conflict(.init(body: .json(body)))
            }
        }
        return .ok(.init(body: .json(try await self.currentStatus())))
    }

    func startGenerator(_ input: Operations.StartGenerator.Input) async throws -> Operations.StartGenerator.Output {
        do {
            try await self.control.start()
        } catch {
            let body = Components.Schemas._Error(message: error.description)
            switch error {
            case .alreadyRunning: return .conflict(.init(body: .json(body)))
            case .unavailable: return .serviceUnavailable(.init(body: .json(body)))
            case .unknownAccount, .invalidParameter: return .unprocessableContent(.init(body: .json(body)))
            }
        }
        return .ok(.init(body: .json(try await self.currentStatus())))
    }

    func stopGenerator(_ input: Operations.StopGenerator.Input) async throws -> Operations.StopGenerator.Output {
        await self.control.stop()
        return .ok(.init(body: .json(try await self.currentStatus())))
    }

    private func currentStatus() async throws -> Components.Schemas.GeneratorStatus {
        try Components.Schemas.GeneratorStatus(await self.control.status())
    }

    // MARK: - Scenarios

    func listScenarios(_ input: Operations.ListScenarios.Input) async throws -> Operations.ListScenarios.Output {
        let scenarios = FraudPattern.allCases.map { Components.Schemas.Scenario(name: $0.scenarioName, description: $0.summary) }
        return .ok(.init(body: .json(.init(scenarios: scenarios))))
    }

    func runScenario(_ input: Operations.RunScenario.Input) async throws -> Operations.RunScenario.Output {
        guard let scenario = FraudPattern(scenarioName: input.path.name) else {
            let known = FraudPattern.allCases.map(\.scenarioName).joined(separator: ", ")
            return .notFound(.init(body: .json(.init(message: "unknown scenario '\(input.path.name)'; known: \(known)"))))
        }
        var parameters = ScenarioParameters()
        if case .json(let body) = input.body {
            parameters = ScenarioParameters(account: body.account, count: body.count)
        }
        let events: [PaymentEvent]
        do {
            events = try await self.control.runScenario(scenario, parameters: parameters)
        } catch {
            let body = Components.Schemas._Error(message: error.description)
            switch error {
            case .unavailable: return .serviceUnavailable(.init(body: .json(body)))
            case .unknownAccount, .invalidParameter, .alreadyRunning: return .unprocessableContent(.init(body: .json(body)))
            }
        }
        let run = Components.Schemas.ScenarioRun(
            scenario: scenario.scenarioName,
            events: try events.map { event throws(UnmappedValue) in try Components.Schemas.PaymentEvent(event) }
        )
        return .ok(.init(body: .json(run)))
    }

    // MARK: - Events

    func injectEvent(_ input: Operations.InjectEvent.Input) async throws -> Operations.InjectEvent.Output {
        let body: Components.Schemas.EventFields
        switch input.body {
        case .json(let json): body = json
        }
        let event: PaymentEvent
        do {
            // The stream decoder itself: the API accepts exactly what a
            // consumer would, and refuses with the dead-letter reason.
            event = try PaymentEvent(fields: body.streamFields)
        } catch {
            return .unprocessableContent(.init(body: .json(.init(message: error.description))))
        }
        var label: EventLabel?
        if let given = body.label {
            do {
                var incident: UUID?
                if let text = given.incidentId {
                    guard let parsed = UUID(text: text) else {
                        throw GeneratorControlError.invalidParameter("label.incident_id: '\(text)' is not a UUID")
                    }
                    incident = parsed
                }
                label = try EventLabel(category: given.category.rawValue, name: given.name, incidentID: incident)
            } catch {
                return .unprocessableContent(.init(body: .json(.init(message: "\(error)"))))
            }
        }
        let entryID: String
        do {
            entryID = try await self.control.inject(event, label: label)
        } catch {
            let body = Components.Schemas._Error(message: error.description)
            switch error {
            case .unavailable: return .serviceUnavailable(.init(body: .json(body)))
            case .unknownAccount, .invalidParameter, .alreadyRunning: return .unprocessableContent(.init(body: .json(body)))
            }
        }
        return .created(.init(body: .json(.init(entryId: entryID, event: try Components.Schemas.PaymentEvent(event)))))
    }

    // MARK: - Dead letters

    func listDeadLetters(_ input: Operations.ListDeadLetters.Input) async throws -> Operations.ListDeadLetters.Output {
        guard let deadLetters = self.deadLetters else {
            return .serviceUnavailable(.init(body: .json(.init(message: "this process has no Redis to read dead letters from"))))
        }
        do {
            let summaries = try await deadLetters.summaries()
            return .ok(.init(body: .json(.init(deadLetters: summaries.map {
                Components.Schemas.DeadLetterStream(group: $0.group, stream: $0.stream, length: $0.length)
            }))))
        } catch {
            return .serviceUnavailable(.init(body: .json(.init(message: error.description))))
        }
    }

    func replayDeadLetters(_ input: Operations.ReplayDeadLetters.Input) async throws -> Operations.ReplayDeadLetters.Output {
        guard let deadLetters = self.deadLetters else {
            return .serviceUnavailable(.init(body: .json(.init(message: "this process has no Redis to replay dead letters with"))))
        }
        var ids: [StreamEntryID]?
        if case .json(let body) = input.body, let given = body.ids {
            var parsed: [StreamEntryID] = []
            for text in given {
                guard let id = StreamEntryID(text) else {
                    return .unprocessableContent(.init(body: .json(.init(message: "ids: '\(text)' is not a stream entry id (<ms>-<seq>)"))))
                }
                parsed.append(id)
            }
            ids = parsed
        }
        do {
            let replayed = try await deadLetters.replay(group: input.path.group, ids: ids)
            return .ok(.init(body: .json(.init(replayed: replayed))))
        } catch {
            let body = Components.Schemas._Error(message: error.description)
            switch error {
            case .unknownGroup: return .notFound(.init(body: .json(body)))
            case .unavailable: return .serviceUnavailable(.init(body: .json(body)))
            }
        }
    }
}
