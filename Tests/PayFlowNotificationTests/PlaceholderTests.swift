import Testing

@Suite struct NotificationPlaceholderTests {
    @Test func placeholder() {}
}
