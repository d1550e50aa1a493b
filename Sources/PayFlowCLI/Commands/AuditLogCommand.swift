import ArgumentParser

/// `payflow audit-log`: placeholder until the service lands.
struct AuditLogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit-log",
        abstract: "Run the audit-log service."
    )

    func run() async throws {
        throw ValidationError("not implemented yet")
    }
}
