import Logging
import PayFlowDomain
import PayFlowPostgres
import PayFlowRuntime

/// The audit-log process as one object graph: the consumer group
/// `audit-log` on every PayFlow stream, the dead-letter streams included,
/// storing each entry once in a hash chain of its own.
///
/// `payflow audit-log` runs what ``make(_:)`` returns, and so do the tests.
public enum AuditLogService {
    public static let group = ConsumerGroupName.auditLog
    public static let defaultPort = 8095

    /// Every stream the audit log copies: the three business streams and the
    /// dead-letter stream of every service's group. What "audit exact" is
    /// checked against by the bench and the fault suite.
    public static var streams: [String] {
        Self.group.streams + ConsumerGroupName.platform.map { ConsumerGroupConfiguration.deadLetterStream(forGroup: $0.name) }
    }

    /// Reads the settings, opens the connection and returns the process,
    /// ready to run.
    public static func make(_ context: ProcessContext) async throws -> PayFlowApplication {
        let environment = context.environment
        let group = try ConsumerGroupConfiguration(group: Self.group.name, streams: Self.streams, environment: environment)
        let redis = try environment.redisConfiguration()
        let databaseURL = try environment.databaseURL()
        var application = try PayFlowApplication(context, defaultPort: Self.defaultPort, redis: redis, databaseURL: databaseURL)

        let database = try await PostgresConnection.connect(url: databaseURL, logger: context.logger)
        application.onClose { await database.close() }
        let writer = AuditChainWriter(database: database, consumer: group.consumerName, logger: context.logger)
        context.logger.info("audit chain started", metadata: ["chain": "\(writer.chainID.uuidString.lowercased())"])
        application.workers = [
            ConsumerGroupService(configuration: group, redis: redis, handler: AuditLogHandler(writer: writer), logger: context.logger),
        ]
        return application
    }
}
