import Foundation
import Hummingbird
import Logging
import PayFlowAnalytics
@testable import PayFlowAnalyticsAPI
import PayFlowDomain
import PayFlowRedis
import PayFlowTestSupport
import Testing

/// The dashboard's live feed: what one sample reads from a real Redis and
/// PostgreSQL, how the samples fan out to pages, and what the 15-minute
/// history keeps.
@Suite("Dashboard feed")
struct DashboardFeedTests {
    typealias Fixture = AnalyticsFixture

    static func feed(_ fixture: Fixture) -> (DashboardFeed, DashboardSampler) {
        let platform = AnalyticsAPI.PlatformSources(redis: fixture.base.redis, database: fixture.database, streams: fixture.streams.all)
        let handler = AnalyticsAPIHandler(queries: fixture.queries, platform: platform)
        return (DashboardFeed(handler: handler, platform: platform, logger: Fixture.quietLogger), DashboardSampler(handler: handler, platform: platform))
    }

    @Test func aSampleHasEachGroupsLagRateAndOldestPendingAge() async throws {
        try await Fixture.with { fixture in
            let redis = fixture.base.redis
            let stream = fixture.streams.events
            let group = fixture.group
            var ids: [String] = []
            for index in 0..<3 {
                ids.append(try await redis.send(RedisCommand("XADD", stream, "*", "n", "\(index)")).string ?? "")
            }
            _ = try await redis.send(RedisCommand("XGROUP", "CREATE", stream, group, "0")).orThrow()
            _ = try await redis.send(RedisCommand("XREADGROUP", "GROUP", group, "c-1", "COUNT", "1", "STREAMS", stream, ">")).orThrow()
            var (_, sampler) = Self.feed(fixture)

            let addedAt = Double(try #require(StreamEntryID(ids[0])).milliseconds) / 1000
            try await Task.sleep(for: .milliseconds(300))
            var first = await sampler.sample()
            await sampler.readDetection(into: &first)
            #expect(first.errors == [])
            #expect(first.summary != nil && first.alerts != nil && first.mismatches != nil && first.detection != nil)
            let row = try #require(first.groups.first { $0.group == group })
            #expect(row.pending == 1)
            #expect(row.lag == 2)
            #expect(row.donePerSecond == nil, "no rate before a second sample")
            let age = Date().timeIntervalSince1970 - addedAt
            #expect(row.oldestPendingAgeSeconds >= 0.3 && row.oldestPendingAgeSeconds <= age + 0.01, "\(row.oldestPendingAgeSeconds) s, added \(age) s ago")
            #expect(first.point.g[row.key] == [2, nil, row.oldestPendingAgeSeconds])

            // The pending entry acked and the other two read and acked: three done.
            _ = try await redis.send(RedisCommand("XACK", stream, group, ids[0])).orThrow()
            _ = try await redis.send(RedisCommand("XREADGROUP", "GROUP", group, "c-1", "COUNT", "2", "STREAMS", stream, ">")).orThrow()
            _ = try await redis.send(RedisCommand("XACK", stream, group, ids[1], ids[2])).orThrow()
            let second = await sampler.sample()
            let after = try #require(second.groups.first { $0.group == group })
            #expect(after.pending == 0 && after.lag == 0 && after.oldestPendingAgeSeconds == 0)
            let elapsed = Double(second.takenAt - first.takenAt) / 1000
            let rate = try #require(after.donePerSecond)
            #expect(abs(rate - 3 / elapsed) < 0.001, "3 entries done in \(elapsed) s, rate \(rate)")
        }
    }

    @Test func aSlowPageKeepsOnlyTheNewestSamplesAndNeverHoldsUpAnother() async throws {
        try await Fixture.with { fixture in
            let (feed, firstSampler) = Self.feed(fixture)
            var sampler = firstSampler
            var template = await sampler.sample()
            await sampler.readDetection(into: &template)
            let slow = try #require(feed.subscribe())
            let fast = try #require(feed.subscribe())
            var fastMessages = fast.messages.makeAsyncIterator()
            #expect(Self.text(try #require(await fastMessages.next())).hasPrefix("retry: "))
            #expect(Self.text(try #require(await fastMessages.next())).hasPrefix("event: history\n"))

            // The slow page reads nothing while 100 samples are published.
            for index in 0..<100 {
                var sample = template
                sample.point.t = 1_000_000 + Int64(index)
                feed.publish(sample)
                let message = Self.text(try #require(await fastMessages.next()))
                #expect(message.hasPrefix("event: sample\ndata: ") && message.contains(#""t":\#(1_000_000 + index)"#))
            }
            feed.unsubscribe(slow.id)
            var kept: [String] = []
            for await message in slow.messages {
                kept.append(Self.text(message))
            }
            #expect(kept.count == DashboardFeed.bufferedMessages, "a slow page holds at most \(DashboardFeed.bufferedMessages) messages")
            #expect(kept.last?.contains(#""t":1000099"#) == true, "the newest are kept")
            #expect(feed.subscriberCount == 1)

            // A page that connects now gets the whole history at once.
            let late = try #require(feed.subscribe())
            var lateMessages = late.messages.makeAsyncIterator()
            _ = await lateMessages.next()
            let history = Self.text(try #require(await lateMessages.next()))
            #expect(history.components(separatedBy: #""t":"#).count - 1 == 100, "one point per sample")
            feed.unsubscribe(fast.id)
            feed.unsubscribe(late.id)
            #expect(feed.subscriberCount == 0)
        }
    }

    /// The scores read whole tables, so the feed reads them only while a
    /// page is open: the samples taken with nobody watching carry none, and
    /// a page that connects gets them in the next sample. Waits for the
    /// feed's published samples, not for a number of intervals: a loaded
    /// machine stretches those, in either direction of the race.
    @Test func theScoresAreReadOnlyWhileAPageIsOpen() async throws {
        try await Fixture.with { fixture in
            let (feed, _) = Self.feed(fixture)
            let running = Task { await feed.run() }
            defer { running.cancel() }
            try await eventually("two samples published with nobody watching", timeout: .seconds(60), every: .milliseconds(5)) {
                feed.publishedSamples >= 2
            }

            let page = try #require(feed.subscribe())
            defer { feed.unsubscribe(page.id) }
            var messages = page.messages.makeAsyncIterator()
            #expect(Self.text(try #require(await messages.next())).hasPrefix("retry: "))
            #expect(Self.text(try #require(await messages.next())).hasPrefix("event: history\n"))
            let latest = Self.text(try #require(await messages.next()))
            #expect(latest.hasPrefix("event: sample\n") && !latest.contains(#""detection""#), "read with no page open: \(latest.prefix(300))")
            let next = Self.text(try #require(await messages.next()))
            #expect(next.contains(#""detection""#), "the first sample with a page open has the scores")
        }
    }

    /// A page that connects after the feed decided a sample needs no scores
    /// (nobody was watching) and before it is published: the check under
    /// the publishing lock holds the sample back, reads the scores into it,
    /// and the page's first sample has them, as a page that connected a
    /// moment earlier or later would.
    @Test func aPageThatConnectsJustBeforeASampleIsPublishedGetsTheScoresInIt() async throws {
        try await Fixture.with { fixture in
            let platform = AnalyticsAPI.PlatformSources(redis: fixture.base.redis, database: fixture.database, streams: fixture.streams.all)
            let handler = AnalyticsAPIHandler(queries: fixture.queries, platform: platform)
            let feedBox = Shared<DashboardFeed?>(nil)
            let pageBox = Shared<(id: Int, messages: AsyncStream<ByteBuffer>)?>(nil)
            let feed = DashboardFeed(handler: handler, platform: platform, logger: Fixture.quietLogger) {
                // The first sample's scores are decided (no page): connect one now.
                guard pageBox.value == nil, let feed = feedBox.value else { return }
                pageBox.value = feed.subscribe()
            }
            feedBox.value = feed
            let running = Task { await feed.run() }
            defer { running.cancel() }
            try await eventually("the feed to publish its first sample", timeout: .seconds(60), every: .milliseconds(5)) {
                feed.publishedSamples >= 1
            }

            let page = try #require(pageBox.value)
            defer { feed.unsubscribe(page.id) }
            var messages = page.messages.makeAsyncIterator()
            #expect(Self.text(try #require(await messages.next())).hasPrefix("retry: "))
            #expect(Self.text(try #require(await messages.next())).hasPrefix("event: history\n"))
            let first = Self.text(try #require(await messages.next()))
            #expect(first.hasPrefix("event: sample\n") && first.contains(#""detection""#), "the page's first sample: \(first.prefix(300))")
        }
    }

    static func text(_ buffer: ByteBuffer) -> String {
        String(decoding: buffer.readableBytesView, as: UTF8.self)
    }

    @Test func theHistoryForgetsWhatIsOlderThanFifteenMinutes() {
        var history = DashboardHistory()
        let minute: Int64 = 60_000
        for t in [0, 5 * minute, 14 * minute, 16 * minute, 20 * minute] {
            history.append(t: t, json: #"{"t":\#(t)}"#)
        }
        #expect(history.points.map(\.t) == [5 * minute, 14 * minute, 16 * minute, 20 * minute])
        #expect(history.json == #"{"window_ms":900000,"points":[{"t":300000},{"t":840000},{"t":960000},{"t":1200000}]}"#)
    }
}
