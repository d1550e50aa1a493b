import PayFlowRedis
import Testing

@testable import PayFlowRuntime

/// ``InFlightEntries`` on its own, without a consumer around it: the claim
/// keep-alive and the claim interval hide a wrong in-flight set in the
/// service's tests (an entry left out of it is only handled twice when a
/// claim lands mid-batch), so its bookkeeping is checked here directly, over
/// batches that mix streams and come back to a stream after another one.
@Suite("InFlightEntries")
struct InFlightEntriesTests {
    /// `stream-ms`: entry `ms-0` of `stream`.
    private static func entry(_ stream: String, _ milliseconds: UInt64) -> StreamEntry {
        StreamEntry(stream: stream, id: StreamEntryID(milliseconds: milliseconds, sequence: 0), fields: [("n", "\(milliseconds)")])
    }

    private static func keys(_ entries: [StreamEntry]) -> [String] {
        entries.map(\.key.description)
    }

    /// Runs of a, b, a again and c, several entries long: every entry of every
    /// run is in flight after `begin`, none after `end`.
    static let batch = [
        entry("a", 1), entry("a", 2), entry("a", 3),
        entry("b", 1), entry("b", 2),
        entry("a", 4), entry("a", 5),
        entry("c", 1), entry("c", 2), entry("c", 3),
    ]

    @Test func beginMarksEveryEntryOfEveryRunAndEndUnmarksThem() {
        let inFlight = InFlightEntries()
        let taken = inFlight.begin(Self.batch)
        #expect(Self.keys(taken) == Self.keys(Self.batch), "nothing was in flight, so all are taken")
        for entry in Self.batch {
            #expect(inFlight.contains(entry.key), "\(entry.key) in flight after begin")
        }
        #expect(!inFlight.contains(Self.entry("a", 6).key))
        #expect(!inFlight.contains(Self.entry("d", 1).key))

        inFlight.end(taken)
        for entry in Self.batch {
            #expect(!inFlight.contains(entry.key), "\(entry.key) not in flight after end")
        }
    }

    /// A second batch overlapping the first (what the claim loop gets while
    /// the read loop handles a batch) takes only the entries not in flight,
    /// and counts a skipped delivery for each of the others.
    @Test func anOverlappingBatchTakesOnlyWhatIsNotInFlight() {
        let inFlight = InFlightEntries()
        let first = inFlight.begin(Self.batch)

        let overlapping = [
            Self.entry("a", 3), Self.entry("a", 6),
            Self.entry("b", 2), Self.entry("b", 3),
            Self.entry("a", 5),
            Self.entry("c", 2), Self.entry("c", 4),
        ]
        let second = inFlight.begin(overlapping)
        #expect(Self.keys(second) == ["a/6-0", "b/3-0", "c/4-0"])
        for skipped in ["a/3-0", "b/2-0", "a/5-0", "c/2-0"] {
            let key = overlapping.first { $0.key.description == skipped }!.key
            #expect(inFlight.skippedDeliveries(of: key) == 1, "\(skipped) skipped once")
        }
        for taken in second {
            #expect(inFlight.skippedDeliveries(of: taken.key) == 0)
            #expect(inFlight.contains(taken.key))
        }

        // The first batch ends: its entries are free again, the second's are not.
        inFlight.end(first)
        for entry in Self.batch {
            #expect(!inFlight.contains(entry.key), "\(entry.key) not in flight once its batch ended")
        }
        for entry in second {
            #expect(inFlight.contains(entry.key), "\(entry.key) still in flight in the second batch")
        }
        #expect(Self.keys(inFlight.begin(Self.batch)) == Self.keys(Self.batch))
        #expect(inFlight.begin(second).isEmpty)
        #expect(inFlight.skippedDeliveries(of: Self.entry("a", 6).key) == 1)

        // Settling forgets the skipped counts; ending both leaves nothing in flight.
        inFlight.settled(overlapping.map(\.key))
        #expect(inFlight.skippedDeliveries(of: Self.entry("a", 3).key) == 0)
        inFlight.end(Self.batch)
        inFlight.end(second)
        for entry in Self.batch + overlapping {
            #expect(!inFlight.contains(entry.key))
        }
    }

    /// A batch whose every entry is in flight already takes nothing; one
    /// that repeats an entry of its own takes it once.
    @Test func aBatchRepeatingItsOwnEntryTakesItOnce() {
        let inFlight = InFlightEntries()
        let batch = [Self.entry("a", 1), Self.entry("b", 1), Self.entry("a", 1)]
        #expect(Self.keys(inFlight.begin(batch)) == ["a/1-0", "b/1-0"])
        #expect(inFlight.skippedDeliveries(of: Self.entry("a", 1).key) == 1)
        #expect(inFlight.begin([Self.entry("b", 1)]).isEmpty)
    }
}
