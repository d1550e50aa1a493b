import Foundation
import PayFlowDomain
import PayFlowRedis
import PayFlowRuntime
import PayFlowTestSupport
import Testing

@Suite("Stream shards")
struct StreamShardsTests {
    @Test func oneShardOnOneNodeKeepsTodaysNames() {
        let layout = StreamShards(count: 1, cluster: false)
        #expect(layout == .unsharded)
        #expect(layout.shards[0].events == StreamNames.events)
        #expect(layout.shards[0].deadLetterStream(forGroup: "audit-log") == "payflow:dlq:audit-log")
        #expect(layout.shard(ofAccount: "any") == layout.shards[0])
        #expect(layout.shard(ofStream: StreamNames.alerts) == layout.shards[0])
    }

    @Test func aClusterTagsEvenOneShard() {
        let layout = StreamShards(count: 1, cluster: true)
        #expect(layout.shards[0].tag == "0")
        #expect(layout.shards[0].events == "payflow:events:{0}")
    }

    @Test func everyKeyOfAShardIsInItsSlotAndShardsSpreadOverTheSlotRange() {
        for count in [2, 3, 6, 16] {
            let layout = StreamShards(count: count)
            #expect(Set(layout.shards.compactMap(\.tag)).count == count)
            for shard in layout.shards {
                let keys = ConsumerGroupName.notification.streams.map(shard.name)
                    + [shard.deadLetterStream(forGroup: "notification")]
                #expect(keys.allSatisfy { ClusterSlot(key: $0) == shard.slot }, "\(shard)")
                // The k-th of `count` equal ranges of slots.
                #expect(shard.slot.number * count / ClusterSlot.count == shard.index, "\(shard)")
                #expect(layout.shard(ofStream: shard.alerts) == shard)
            }
        }
        #expect(StreamShards(count: 3).shard(ofStream: "payflow:events:{nope}") == nil)
    }

    /// The shard of an account is part of the data's layout: a change of the
    /// hash would send an account's later events to another stream than its
    /// earlier ones. These values pin it.
    @Test func theShardOfAnAccountIsStableAndSpreads() {
        let three = StreamShards(count: 3)
        let eight = StreamShards(count: 8)
        #expect(three.shard(ofAccount: "0190f1a2-7c3e-7b4d-9e2f-0123456789ab").index == 1)
        #expect(eight.shard(ofAccount: "0190f1a2-7c3e-7b4d-9e2f-0123456789ab").index == 0)
        #expect(three.shard(ofAccount: "acct-1").index == 0)
        #expect(eight.shard(ofAccount: "acct-1").index == 4)
        var counts = [0, 0, 0]
        for _ in 0..<3_000 {
            counts[three.shard(ofAccount: UUID().uuidString.lowercased()).index] += 1
        }
        #expect(counts.allSatisfy { $0 > 850 }, "\(counts)")
    }

    @Test func threeShardsLandOnThreeMastersOfAnEvenlySplitCluster() async throws {
        try await TestCluster.steadily {
            let cluster = try await TestCluster.shared()
            let client = try await RedisCluster.connect(configuration: cluster.configuration)
            defer { Task { await client.close() } }
            let masters = StreamShards(count: 3).shards.compactMap { client.topology.master(of: $0.slot) }
            #expect(Set(masters).count == 3)
        }
    }
}

extension StreamShardsTests {
    @Test func aShardsNameLosesItsTagAndOtherNamesStayAsTheyAre() {
        for shard in StreamShards(count: 5).shards {
            #expect(StreamNames.unsharded(shard.events) == StreamNames.events)
            #expect(StreamNames.unsharded(shard.deadLetterStream(forGroup: "audit-log")) == "payflow:dlq:audit-log")
        }
        #expect(StreamNames.unsharded("payflow:events") == "payflow:events")
        #expect(StreamNames.unsharded("test:{odd}") == "test")
        #expect(StreamNames.unsharded("no-colon{1}") == "no-colon{1}", "only a `:{tag}` suffix is a shard's")
    }

    /// What every shard has processed: unknown while one shard is, caught
    /// up when all are, else the earliest point of the shards still busy.
    @Test func theWatermarkOverShardsIsTheEarliestShards() {
        let through = { (milliseconds: UInt64) in ConsumptionWatermark.processedThrough(milliseconds: milliseconds) }
        #expect(ConsumptionWatermark.earliest(of: [.caughtUp, .caughtUp]) == .caughtUp)
        #expect(ConsumptionWatermark.earliest(of: [.caughtUp, through(50), through(20)]) == through(20))
        #expect(ConsumptionWatermark.earliest(of: [through(20), .unknown, .caughtUp]) == .unknown)
        #expect(ConsumptionWatermark.earliest(of: [through(7)]) == through(7))
    }
}
