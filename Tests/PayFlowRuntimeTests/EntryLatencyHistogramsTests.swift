import PayFlowRuntime
import Testing

/// The XADD-to-ack histograms behind `GET /latency`: what `make bench` merges
/// across replicas must equal what one process recording everything reports.
@Suite("EntryLatencyHistograms")
struct EntryLatencyHistogramsTests {
    @Test func mergedReplicasEqualOneRecorder() throws {
        let one = EntryLatencyHistograms()
        let first = EntryLatencyHistograms()
        let second = EntryLatencyHistograms()
        let values = (1...2_000).map { UInt64($0 % 1_000 + 1) } + [12_345]
        one.record(group: "g", stream: "s", milliseconds: values)
        first.record(group: "g", stream: "s", milliseconds: values.enumerated().filter { $0.offset % 3 == 0 }.map(\.element))
        second.record(group: "g", stream: "s", milliseconds: values.enumerated().filter { $0.offset % 3 != 0 }.map(\.element))

        let whole = try #require(one.reports().first)
        let merged = EntryLatencyReport.merged(first.reports() + second.reports(), group: "g", stream: "s")
        #expect(merged == whole)
        #expect(whole.count == 2_001)
        // Three significant digits: exact below 2,048 ms, within 0.1 % above.
        #expect((12_345...12_358).contains(whole.max))
        // 1...1000 twice, then one outlier: the 1,001st value of 2,001 is 501, the 1,981st is 991.
        #expect(whole.p50 == 501)
        #expect(whole.p99 == 991)
    }

    @Test func reportsArePerGroupAndStream() {
        let histograms = EntryLatencyHistograms()
        histograms.record(group: "b", stream: "s1", milliseconds: [1, 2])
        histograms.record(group: "a", stream: "s2", milliseconds: [3])
        histograms.record(group: "a", stream: "s1", milliseconds: [4])
        #expect(histograms.reports().map { "\($0.group)/\($0.stream)/\($0.count)" } == ["a/s1/1", "a/s2/1", "b/s1/2"])
    }
}
