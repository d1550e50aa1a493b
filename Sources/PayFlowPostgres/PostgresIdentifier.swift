import Foundation

/// Quoting of SQL identifiers (table and column names) for the few statements this module
/// builds itself (COPY, multi-row INSERT).
///
/// Values are never quoted into SQL (they are bound parameters); identifiers cannot be
/// parameters, so they are double-quoted with embedded quotes doubled, which makes any name
/// (mixed case, spaces, keywords, quotes) safe and exact.
public enum PostgresIdentifier {
    /// `audit_log` → `"audit_log"`, `we"ird` → `"we""ird"`. A dotted name is treated as a single
    /// identifier; pass schema-qualified names as separate parts to ``quoted(_:_:)``.
    public static func quoted(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// `("payflow", "audit_log")` → `"payflow"."audit_log"`.
    public static func quoted(_ schema: String, _ name: String) -> String {
        self.quoted(schema) + "." + self.quoted(name)
    }
}
