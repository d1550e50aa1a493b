import Foundation
import PayFlowDomain
import PayFlowPostgres

/// The score of reconciliation against the generator's answer key: per kind,
/// how many injected inconsistencies were found, which findings were never
/// injected (false positives) and which injections were missed.
///
/// Matching is by (transaction id, kind): finding a transaction under the
/// wrong kind counts as one miss and one false positive, as it should.
/// `account_mismatch` is never injected by the generator, so on generated
/// traffic any finding of it is a false positive.
public struct ReconciliationReport: Sendable, Equatable {
    public struct Line: Sendable, Equatable {
        public var kind: String
        public var injected: Int
        public var found: Int
        public var falsePositives: Int
        public var missed: Int { self.injected - self.found }
    }

    public var lines: [Line]

    public var injected: Int { self.lines.reduce(0) { $0 + $1.injected } }
    public var found: Int { self.lines.reduce(0) { $0 + $1.found } }
    public var falsePositives: Int { self.lines.reduce(0) { $0 + $1.falsePositives } }
    public var missed: Int { self.lines.reduce(0) { $0 + $1.missed } }
    /// Everything injected was found, and nothing else.
    public var isPerfect: Bool { self.missed == 0 && self.falsePositives == 0 }

    public subscript(kind: MismatchKind) -> Line? {
        self.lines.first { $0.kind == kind.rawValue }
    }

    /// Reads `reconciliation_mismatches` and `generator_ground_truth`.
    public static func load(from database: PostgresConnection) async throws -> ReconciliationReport {
        let result = try await database.query(Self.scoring, [PostgresArrayLiteral.text(MismatchKind.allCases.map(\.rawValue))])
        return ReconciliationReport(lines: try result.rows.map { row in
            Line(
                kind: try row.decode("kind", as: String.self),
                injected: try row.decode("injected", as: Int.self),
                found: try row.decode("found", as: Int.self),
                falsePositives: try row.decode("false_positives", as: Int.self)
            )
        })
    }

    static let scoring = """
        WITH injected AS (
            SELECT name AS kind, transaction_id FROM generator_ground_truth WHERE category = 'inconsistency'
        ),
        kinds AS (
            SELECT kind FROM unnest($1::text[]) AS k (kind)
            UNION SELECT kind FROM injected
            UNION SELECT kind FROM reconciliation_mismatches
        )
        SELECT k.kind,
               (SELECT count(*) FROM injected i WHERE i.kind = k.kind) AS injected,
               (SELECT count(*) FROM reconciliation_mismatches m
                    JOIN injected i ON i.kind = m.kind AND i.transaction_id = m.transaction_id
                    WHERE m.kind = k.kind) AS found,
               (SELECT count(*) FROM reconciliation_mismatches m
                    WHERE m.kind = k.kind AND NOT EXISTS (
                        SELECT 1 FROM injected i WHERE i.kind = m.kind AND i.transaction_id = m.transaction_id)) AS false_positives
        FROM kinds k
        ORDER BY k.kind
        """

    /// A fixed-width table for the terminal.
    public var rendered: String {
        func percent(_ found: Int, _ injected: Int) -> String {
            injected == 0 ? "-" : String(format: "%.1f%%", Double(found) * 100 / Double(injected))
        }
        func row(_ cells: [String]) -> String {
            cells.enumerated().map { index, cell in
                index == 0 ? cell.padding(toLength: 22, withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: max(0, 10 - cell.count)) + cell
            }.joined()
        }
        var text = [row(["kind", "injected", "found", "found %", "false +", "missed"])]
        for line in self.lines {
            text.append(row([line.kind, "\(line.injected)", "\(line.found)", percent(line.found, line.injected), "\(line.falsePositives)", "\(line.missed)"]))
        }
        text.append(row(["total", "\(self.injected)", "\(self.found)", percent(self.found, self.injected), "\(self.falsePositives)", "\(self.missed)"]))
        return text.joined(separator: "\n")
    }
}
