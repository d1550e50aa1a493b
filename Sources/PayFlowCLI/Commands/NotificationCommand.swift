import ArgumentParser
import PayFlowNotification
import PayFlowRuntime

/// `payflow notification`: see ``NotificationService``.
struct NotificationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "notification",
        abstract: "Run the notification service (messages per event and alert, to the log or a signed webhook)."
    )

    func run() async throws {
        let context = try ProcessContext.bootstrap(label: "payflow.notification", metrics: true)
        try await NotificationService.make(context).run()
    }
}
