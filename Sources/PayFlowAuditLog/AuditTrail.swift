import Foundation
import PayFlowPostgres

/// Everything PayFlow stored about one event: its audit rows (every stream
/// entry that names it, dead letters included), its alerts, its mismatches and
/// its notifications. What an operator asks for first when a customer calls.
public struct AuditTrail: Sendable {
    /// One titled group of rows; each row is its columns in order.
    public struct Section: Sendable {
        public var title: String
        public var rows: [[(column: String, value: String?)]]
    }

    public var eventID: String
    public var sections: [Section]

    public var isEmpty: Bool { self.sections.allSatisfy { $0.rows.isEmpty } }

    /// The queries, by table; a table that does not exist (a service whose
    /// migration has not run) is skipped rather than failing the lookup.
    static let queries: [(title: String, table: String, sql: String)] = [
        ("audit_log", "audit_log", """
            SELECT stream, entry_id, type, received_at, fields::text AS fields, chain_id, chain_seq
            FROM audit_log WHERE event_id = $1 ORDER BY entry_time, stream, entry_id
            """),
        ("fraud_alerts", "fraud_alerts", """
            SELECT alert_id, rule, severity, reason, detected_at, published_at
            FROM fraud_alerts WHERE event_id::text = $1 ORDER BY alert_id
            """),
        ("reconciliation_mismatches", "reconciliation_mismatches", """
            SELECT mismatch_id, kind, expected, actual, detected_at, published_at
            FROM reconciliation_mismatches WHERE transaction_id::text = $1 ORDER BY kind
            """),
        ("notifications", "notifications", """
            SELECT * FROM notifications WHERE event_id::text = $1
            """),
    ]

    public static func load(eventID: String, from database: PostgresConnection) async throws -> AuditTrail {
        // Ids are stored lowercased everywhere; accept what a user pastes.
        let id = eventID.lowercased()
        var sections: [Section] = []
        for query in self.queries {
            let exists = try await database.query("SELECT to_regclass($1) IS NOT NULL AS present", [query.table]).rows
            guard try exists.first?.decode("present", as: Bool.self) == true else { continue }
            let result = try await database.query(query.sql, [id])
            sections.append(Section(
                title: query.title,
                rows: result.rows.map { row in Array(zip(result.columns.names, row.values)).map { (column: $0.0, value: $0.1) } }
            ))
        }
        return AuditTrail(eventID: id, sections: sections)
    }

    /// Plain text for a terminal: one block per section, `column: value` lines.
    public var rendered: String {
        var lines = ["event \(self.eventID)"]
        for section in self.sections {
            lines.append("")
            lines.append("\(section.title) (\(section.rows.count))")
            for (index, row) in section.rows.enumerated() {
                if index > 0 { lines.append("  --") }
                for (column, value) in row {
                    lines.append("  \(column): \(value ?? "NULL")")
                }
            }
        }
        return lines.joined(separator: "\n")
    }
}
