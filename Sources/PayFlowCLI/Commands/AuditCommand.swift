import ArgumentParser
import Logging
import PayFlowAuditLog
import PayFlowPostgres
import PayFlowRuntime

/// `payflow audit verify|show`: the audit log's two questions, "has anything
/// stored been changed?" and "what do we know about this event?".
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Verify the audit log's hash chains, or show everything stored about one event.",
        subcommands: [Verify.self, Show.self]
    )

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Walk every hash chain; print OK with the row count, or the first row that breaks it (exit 1)."
        )

        func run() async throws {
            let context = try ProcessContext.bootstrap(label: "payflow.audit")
            let result = try await PostgresConnection.withConnection(url: try context.environment.databaseURL(), logger: context.logger) { database in
                try await AuditVerifier(database: database).verify()
            }
            switch result {
            case .intact(let rows, let chains):
                print("OK: \(rows) rows in \(chains) chains verified")
            case .broken(let failure):
                print("BROKEN: \(failure)")
                throw ExitCode(1)
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the audit rows, alerts, mismatches and notifications of one event."
        )

        @Argument(help: "The event id (a transaction id for mismatches).")
        var eventID: String

        func run() async throws {
            let context = try ProcessContext.bootstrap(label: "payflow.audit")
            let trail = try await PostgresConnection.withConnection(url: try context.environment.databaseURL(), logger: context.logger) { database in
                try await AuditTrail.load(eventID: self.eventID, from: database)
            }
            print(trail.rendered)
            if trail.isEmpty {
                print("\nnothing stored about this event")
                throw ExitCode(1)
            }
        }
    }
}
