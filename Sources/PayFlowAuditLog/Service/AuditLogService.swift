import Logging
import PayFlowDomain
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
        let group = try ConsumerGroupConfiguration(group: Self.group.name, streams: Self.streams, environment: context.environment)
        var application = try PayFlowApplication(context, defaultPort: Self.defaultPort)

        let writer = AuditChainWriter(database: try await application.connectDatabase(), consumer: group.consumerName, logger: context.logger)
        context.logger.info("audit chain started", metadata: ["chain": "\(writer.chainID.lowercasedText)"])
        application.addConsumerGroup(group, handler: AuditLogHandler(writer: writer))
        return application
    }
}
