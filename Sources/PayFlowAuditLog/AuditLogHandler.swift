import Foundation
import PayFlowRedis
import PayFlowRuntime

/// The `audit-log` group's handler: every entry of every stream it reads is
/// appended to this process's hash chain in one statement per batch, and acked
/// by the runtime only after that commit.
///
/// It decodes nothing (``AuditRecord`` takes any fields), so no entry is ever
/// dead-lettered for its content: the audit log is where malformed entries
/// are kept too (NUL characters replaced, see ``AuditRecord``). A database
/// that is down throws, and the runtime retries; a row PostgreSQL refuses
/// throws too, and the runtime splits the batch until that entry is alone.
public struct AuditLogHandler: ConsumerGroupHandler {
    public typealias Message = AuditRecord

    let writer: AuditChainWriter

    public init(writer: AuditChainWriter) {
        self.writer = writer
    }

    public func decode(_ entry: StreamEntry) throws -> AuditRecord {
        AuditRecord(entry: entry, receivedAt: Date())
    }

    public func handle(_ batch: [Delivery<AuditRecord>]) async throws -> [StreamEntry.Key: EntryOutcome] {
        try await self.writer.append(batch.map(\.message))
        return batch.outcomes(.done)
    }
}
