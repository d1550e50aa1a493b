import Testing

@Suite struct AuditLogPlaceholderTests {
    @Test func placeholder() {}
}
