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

    /// How a query's table keys the event: `audit_log.event_id` is the text
    /// an entry carried; the others are `uuid` columns.
    enum Key: Sendable {
        case text
        case uuid
    }

    /// The queries, by table; a table that does not exist (a service whose
    /// migration has not run) is skipped rather than failing the lookup.
    ///
    /// Each compares its key column with the id as that column's own type, so
    /// the index on it serves the lookup (`fraud_alerts_event_id`,
    /// `notifications_event_id`, the mismatches' primary key). Cast to text
    /// (`event_id::text = $1`, as they were) they read the whole table, while
    /// every insert still paid for the index.
    static let queries: [(title: String, table: String, key: Key, column: String, sql: String)] = [
        ("audit_log", "audit_log", .text, "event_id", """
            SELECT stream, entry_id, type, received_at, fields::text AS fields, chain_id, chain_seq
            FROM audit_log WHERE event_id = $1 ORDER BY entry_time, stream, entry_id
            """),
        ("fraud_alerts", "fraud_alerts", .uuid, "event_id", """
            SELECT alert_id, rule, severity, reason, detected_at, published_at
            FROM fraud_alerts WHERE event_id = $1::uuid ORDER BY alert_id
            """),
        ("reconciliation_mismatches", "reconciliation_mismatches", .uuid, "transaction_id", """
            SELECT mismatch_id, kind, expected, actual, detected_at, published_at
            FROM reconciliation_mismatches WHERE transaction_id = $1::uuid ORDER BY kind
            """),
        ("notifications", "notifications", .uuid, "event_id", """
            SELECT * FROM notifications WHERE event_id = $1::uuid ORDER BY created_at, notification_id
            """),
    ]

    public static func load(eventID: String, from database: PostgresConnection) async throws -> AuditTrail {
        // Ids are stored lowercased everywhere; accept what a user pastes.
        let id = eventID.lowercased()
        // An id that is not a UUID names no row of a uuid column: those sections are empty.
        let isUUID = UUID(uuidString: id) != nil
        var sections: [Section] = []
        for query in self.queries {
            let exists = try await database.query("SELECT to_regclass($1) IS NOT NULL AS present", [query.table]).rows
            guard try exists.first?.decode("present", as: Bool.self) == true else { continue }
            guard query.key == .text || isUUID else {
                sections.append(Section(title: query.title, rows: []))
                continue
            }
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
