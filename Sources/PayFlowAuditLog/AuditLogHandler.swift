/// Placeholder until the audit-log service lands.
enum AuditLogPlaceholder {}
