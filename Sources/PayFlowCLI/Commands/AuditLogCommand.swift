import ArgumentParser
import PayFlowAuditLog
import PayFlowRuntime

/// `payflow audit-log`: see ``AuditLogService``.
struct AuditLogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit-log",
        abstract: "Run the audit-log service (a hash-chained copy of every stream entry)."
    )

    func run() async throws {
        let context = try ProcessContext.bootstrap(label: "payflow.audit-log", metrics: true)
        try await AuditLogService.make(context).run()
    }
}
