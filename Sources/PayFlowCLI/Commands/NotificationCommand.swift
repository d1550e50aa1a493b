import ArgumentParser

/// `payflow notification`: placeholder until the service lands.
struct NotificationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notification",
        abstract: "Run the notification service."
    )

    func run() async throws {
        throw ValidationError("not implemented yet")
    }
}
