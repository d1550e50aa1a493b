import PayFlowRuntime
import ServiceLifecycle
import ServiceLifecycleTestKit

/// Runs `services` while `body` runs, then shuts them down the way SIGTERM
/// would (graceful shutdown) and waits for every one to return, so a test's
/// assertions after this call see everything the services finished.
/// A service failing, or `body` throwing, is rethrown after the shutdown.
public func withServicesRunning<T: Sendable>(
    _ services: [any Service],
    _ body: @Sendable () async throws -> T
) async throws -> T {
    try await testGracefulShutdown { trigger in
        try await withThrowingTaskGroup(of: Void.self) { group in
            for service in services {
                group.addTask { try await service.run() }
            }
            let result: Result<T, any Error>
            do {
                result = .success(try await body())
            } catch {
                result = .failure(error)
            }
            trigger.triggerGracefulShutdown()
            try await group.waitForAll()
            return try result.get()
        }
    }
}

/// Runs the workers of `applications` (as their services' builders made
/// them) while `body` runs, shuts them down gracefully, then closes what each
/// builder opened, whatever the outcome. The HTTP side is not started: tests
/// that need it serve ``PayFlowApplication/router`` themselves.
public func withApplicationsRunning<T: Sendable>(
    _ applications: [PayFlowApplication],
    alongside others: [any Service] = [],
    _ body: @Sendable () async throws -> T
) async throws -> T {
    let result: Result<T, any Error>
    do {
        result = .success(try await withServicesRunning(applications.flatMap(\.workers) + others, body))
    } catch {
        result = .failure(error)
    }
    for application in applications {
        await application.close()
    }
    return try result.get()
}
