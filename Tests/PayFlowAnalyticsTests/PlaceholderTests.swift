import Testing

@Suite struct AnalyticsPlaceholderTests {
    @Test func placeholder() {}
}
