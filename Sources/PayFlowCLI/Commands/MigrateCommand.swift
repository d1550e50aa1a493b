import ArgumentParser
import Foundation
import PayFlowPostgres
import PayFlowRuntime

/// Applies `db/*.sql` in order, each once. Safe to run from every replica at
/// start-up: the runner serialises concurrent runs with an advisory lock.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Apply the SQL migrations in db/ that have not been applied yet."
    )

    @Option(help: "The folder holding NNNN_name.sql migrations.")
    var directory: String = "db"

    func run() async throws {
        let context = try ProcessContext.bootstrap(label: "payflow.migrate")
        let url = try context.environment.databaseURL()
        let folder = URL(fileURLWithPath: self.directory)
        guard FileManager.default.fileExists(atPath: folder.path) else {
            throw ValidationError("no migrations folder at \(folder.path); run from the repository root or pass --directory")
        }
        let applied = try await PostgresConnection.withConnection(url: url, logger: context.logger) { connection in
            try await MigrationRunner(directory: folder, logger: context.logger).run(on: connection)
        }
        if applied.isEmpty {
            print("Database is up to date.")
        }
        for migration in applied {
            print("Applied \(migration.version) \(migration.name) in \(migration.duration)")
        }
    }
}
