import Foundation
import PayFlowDomain
import PayFlowPostgres
import PayFlowRedis

/// Walks every chain of the audit log and recomputes it, row by row.
///
/// What it detects: a row whose content was changed (its hash no longer
/// matches), a row deleted from the middle of a chain (a gap in `chain_seq`,
/// and the next row's `prev_hash` no longer matches), rows deleted from the
/// end (the chain head in `audit_chains` is further on), rows inserted or
/// moved (wrong sequence or `prev_hash`), and rows of a chain with no head.
/// What it cannot detect on its own: a whole chain and its head deleted, or
/// a chain rewritten from the changed row to the head by someone who knows
/// the scheme; anchoring the heads outside the database closes that (README).
public struct AuditVerifier: Sendable {
    let database: PostgresConnection
    let pageSize: Int

    public init(database: PostgresConnection, pageSize: Int = 10_000) {
        self.database = database
        self.pageSize = pageSize
    }

    public func verify() async throws -> AuditVerification {
        let chains = try await self.database.query(
            "SELECT chain_id, last_seq, encode(last_hash, 'hex') AS last_hash FROM audit_chains ORDER BY started_at, chain_id"
        ).rows
        var rowCount = 0
        for chain in chains {
            let chainID = try chain.decode("chain_id", as: UUID.self)
            let lastSequence = try chain.decode("last_seq", as: Int64.self)
            let lastHash = try chain.decode("last_hash", as: String.self)
            switch try await self.walk(chainID: chainID, headSequence: lastSequence, headHash: lastHash) {
            case .intact(let rows):
                rowCount += rows
            case .broken(let failure):
                return .broken(failure)
            }
        }
        let orphans = try await self.database.query(
            """
            SELECT stream, entry_id, chain_id, chain_seq FROM audit_log a
            WHERE NOT EXISTS (SELECT 1 FROM audit_chains c WHERE c.chain_id = a.chain_id)
            ORDER BY chain_id, chain_seq LIMIT 1
            """
        ).rows
        if let orphan = orphans.first {
            return .broken(AuditChainBreak(
                chainID: try orphan.decode("chain_id", as: UUID.self),
                sequence: try orphan.decode("chain_seq", as: Int64.self),
                stream: try orphan.decode("stream", as: String.self),
                entryID: try orphan.decode("entry_id", as: String.self),
                problem: "the row belongs to a chain with no head in audit_chains (head deleted, or row forged)"
            ))
        }
        return .intact(rows: rowCount, chains: chains.count)
    }

    private enum ChainResult {
        case intact(Int)
        case broken(AuditChainBreak)
    }

    private func walk(chainID: UUID, headSequence: Int64, headHash: String) async throws -> ChainResult {
        var expectedSequence: Int64 = 1
        var previous = AuditRowHash.genesis
        var rows = 0
        while true {
            let page = try await self.database.query(Self.selectPage, [chainID, expectedSequence - 1, self.pageSize]).rows
            for row in page {
                let sequence = try row.decode("chain_seq", as: Int64.self)
                let stream = try row.decode("stream", as: String.self)
                let entryText = try row.decode("entry_id", as: String.self)
                func broken(_ problem: String) -> ChainResult {
                    .broken(AuditChainBreak(chainID: chainID, sequence: sequence, stream: stream, entryID: entryText, problem: problem))
                }
                if sequence != expectedSequence {
                    return broken(
                        sequence > expectedSequence
                            ? "rows \(expectedSequence)...\(sequence - 1) of the chain are missing (deleted)"
                            : "a second row at position \(sequence) of the chain (inserted)"
                    )
                }
                guard let storedPrevious = AuditRowHash.bytes(hex: try row.decode("prev_hash", as: String.self)),
                    storedPrevious == previous
                else {
                    return broken("prev_hash does not match the hash of the row before it")
                }
                guard let entryID = StreamEntryID(entryText),
                    Int64(clamping: entryID.milliseconds) == (try row.decode("entry_ms", as: Int64.self)),
                    let fields = AuditRecord.fields(fromJSON: try row.decode("fields", as: String.self))
                else {
                    return broken("entry_id, entry_time or fields are not in the form the writer stores")
                }
                var record = AuditRecord(
                    stream: stream, entryID: entryID, fields: fields,
                    receivedAtMicroseconds: try row.decode("received_us", as: Int64.self)
                )
                // The stored columns, not the ones derived from the fields: a changed
                // event_id or type must break the hash too.
                record.eventID = try row.decode("event_id", as: String?.self)
                record.type = try row.decode("type", as: String?.self)
                let hash = AuditRowHash.hash(previous: previous, chainID: chainID, sequence: sequence, record: record)
                guard AuditRowHash.hex(hash) == (try row.decode("row_hash", as: String.self)) else {
                    return broken("the row's content does not match its hash (changed)")
                }
                previous = hash
                expectedSequence += 1
                rows += 1
            }
            if page.count < self.pageSize { break }
        }
        guard expectedSequence - 1 == headSequence, AuditRowHash.hex(previous) == headHash else {
            return .broken(AuditChainBreak(
                chainID: chainID, sequence: expectedSequence, stream: nil, entryID: nil,
                problem: "the chain ends at row \(expectedSequence - 1) but its head in audit_chains is row \(headSequence) (rows deleted at the end, or head changed)"
            ))
        }
        return .intact(rows)
    }

    /// One page of a chain, in order (index audit_log_chain).
    static let selectPage = """
        SELECT chain_seq, stream, entry_id, (extract(epoch FROM entry_time) * 1000)::bigint AS entry_ms,
               event_id, type, fields::text AS fields,
               (extract(epoch FROM received_at) * 1000000)::bigint AS received_us,
               encode(prev_hash, 'hex') AS prev_hash, encode(row_hash, 'hex') AS row_hash
        FROM audit_log
        WHERE chain_id = $1::uuid AND chain_seq > $2
        ORDER BY chain_seq
        LIMIT $3
        """
}

/// The result of ``AuditVerifier/verify()``.
public enum AuditVerification: Sendable, Equatable {
    case intact(rows: Int, chains: Int)
    case broken(AuditChainBreak)
}

/// The first row at which a chain stops being what its writer wrote.
public struct AuditChainBreak: Sendable, Equatable, CustomStringConvertible {
    public var chainID: UUID
    /// Position in the chain of the row that breaks it.
    public var sequence: Int64
    /// The row, when there is one (nil when the chain's end is missing).
    public var stream: String?
    public var entryID: String?
    public var problem: String

    public var description: String {
        let row = self.stream.map { "row \($0) \(self.entryID ?? "?") " } ?? ""
        return "\(row)(chain \(self.chainID.lowercasedText), position \(self.sequence)): \(self.problem)"
    }
}
