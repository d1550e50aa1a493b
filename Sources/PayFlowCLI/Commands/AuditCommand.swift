import ArgumentParser

/// `payflow audit verify|show`: placeholder until the audit log lands.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Inspect the audit log."
    )
}
