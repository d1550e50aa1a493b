import ArgumentParser

/// `payflow analytics`: placeholder until the service lands.
struct AnalyticsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analytics",
        abstract: "Run the analytics service."
    )

    func run() async throws {
        throw ValidationError("not implemented yet")
    }
}
