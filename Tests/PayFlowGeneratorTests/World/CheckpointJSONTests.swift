import Foundation
import PayFlowDomain
import PayFlowRuntime
import Testing
@testable import PayFlowGenerator

/// The checkpoint's JSON is written by hand (``CheckpointJSON``) and read by
/// `JSONDecoder`: what is written must read back as the value it was, rows
/// written by the older `JSONEncoder` must still read, and a stored property
/// the writer leaves out must fail here rather than be lost at a restart.
@Suite("Checkpoint JSON: written by hand, read by JSONDecoder")
struct CheckpointJSONTests {
    /// A realistic run with much fraud and many inconsistencies, stopped with
    /// episodes in flight: accounts blocked, cooling down, with top-ups,
    /// payments and refunds, and events scheduled ahead.
    static let simulator: TrafficSimulator = {
        let start = EventTimestamp(rfc3339: "2026-11-02T08:00:00Z")!
        let configuration = GeneratorConfiguration(
            eventsPerSecond: nil, totalEvents: nil, accounts: 300, fraudRate: 0.05, inconsistencyRate: 0.05,
            seed: 11, startTime: start, profile: .realistic
        )
        var simulator = TrafficSimulator(configuration: configuration, seed: 11, startTime: start)
        var steps = 0
        while steps < 20_000 || simulator.pending.isEmpty {
            _ = simulator.next()
            steps += 1
        }
        return simulator
    }()

    /// `JSONEncoder` with sorted keys: one spelling per value, to compare values.
    static func canonical(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    @Test func everyAccountReadsBackAsTheAccountItWas() throws {
        let accounts = Self.simulator.population.accounts
        for account in accounts {
            let decoded = try JSONDecoder().decode(Account.self, from: Data(try account.checkpointJSON().utf8))
            #expect(try Self.canonical(decoded) == Self.canonical(account), "account \(account.id)")
        }
        // The run covers every kind of state the writer spells.
        #expect(accounts.contains { $0.isBlocked })
        #expect(accounts.contains { $0.quietUntil != nil })
        #expect(accounts.contains { $0.quietUntil == nil })
        #expect(accounts.contains { !$0.recentTopups.isEmpty })
        #expect(accounts.contains { $0.payments.contains { $0.remaining < $0.amount } })
    }

    @Test func everyStoredPropertyOfAnAccountIsWritten() throws {
        var account = try #require(Self.simulator.population.accounts.first { !$0.payments.isEmpty })
        account.quietUntil = EventTimestamp(rfc3339: "2026-11-03T09:10:11.123456Z")
        account.isBlocked = true
        account.latestPayments = [EventTimestamp(rfc3339: "2026-11-03T09:00:00Z")!]
        account.recentTopups = [Account.RecentTopup(time: EventTimestamp(rfc3339: "2026-11-03T08:55:00Z")!, amount: 5_000, spentSince: 120)]
        let object = try #require(try JSONSerialization.jsonObject(with: Data(try account.checkpointJSON().utf8)) as? [String: Any])
        Self.expectEveryStoredProperty(of: account, in: object)
        let topup = try #require((object["recentTopups"] as? [[String: Any]])?.first)
        Self.expectEveryStoredProperty(of: account.recentTopups[0], in: topup)
        let payment = try #require((object["payments"] as? [[String: Any]])?.first)
        Self.expectEveryStoredProperty(of: account.payments[0], in: payment)
    }

    @Test func aSnapshotReadsBackAsTheSnapshotItWas() throws {
        var snapshot = Self.simulator.snapshot()
        #expect(snapshot.pending.contains { $0.ledger != nil && !$0.labels.isEmpty })
        // Episodes schedule no event without a ledger row nor a label
        // without an incident; the writer spells both, so add one of each.
        var unusual = try #require(snapshot.pending.first)
        unusual.ledger = nil
        unusual.labels = [GroundTruthLabel(kind: .inconsistency(.missingInReference), transactionID: unusual.event.id)]
        snapshot.pending.append(unusual)
        let text = try snapshot.encoded()
        #expect(try Self.canonical(SimulationSnapshot.decoded(text)) == Self.canonical(snapshot))

        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        Self.expectEveryStoredProperty(of: snapshot, in: object)
        Self.expectEveryStoredProperty(of: snapshot.random, in: try #require(object["random"] as? [String: Any]))
        Self.expectEveryStoredProperty(of: snapshot.clock, in: try #require(object["clock"] as? [String: Any]))
    }

    @Test func aSnapshotReusingTheLastOnesEventsIsTheSameJSON() throws {
        var simulator = Self.simulator
        var pendingJSON = PendingEventJSON()
        var reused = 0
        for _ in 0..<40 {
            let before = Set(simulator.pending.map(\.event.id))
            _ = SimulationFixtures.run(&simulator, events: 50)
            reused += simulator.pending.filter { before.contains($0.event.id) }.count
            let snapshot = simulator.snapshot()
            #expect(try snapshot.encoded(reusing: &pendingJSON) == snapshot.encoded())
        }
        #expect(reused > 0)
        // A scheduled event changed since it was written is written anew.
        var snapshot = Self.simulator.snapshot()
        pendingJSON = PendingEventJSON()
        let fresh = try snapshot.encoded(reusing: &pendingJSON)
        var changed = try #require(snapshot.pending.first)
        changed.emissions += 1
        snapshot.pending[0] = changed
        let again = try snapshot.encoded(reusing: &pendingJSON)
        #expect(again != fresh)
        #expect(again == (try snapshot.encoded()))
    }

    @Test func rowsWrittenByJSONEncoderStillRestore() throws {
        let snapshot = Self.simulator.snapshot()
        let older = String(decoding: try JSONEncoder().encode(snapshot), as: UTF8.self)
        #expect(try Self.canonical(SimulationSnapshot.decoded(older)) == Self.canonical(SimulationSnapshot.decoded(snapshot.encoded())))
        for account in Self.simulator.population.accounts.prefix(50) {
            let olderAccount = try JSONDecoder().decode(Account.self, from: try JSONEncoder().encode(account))
            let newerAccount = try JSONDecoder().decode(Account.self, from: Data(try account.checkpointJSON().utf8))
            #expect(try Self.canonical(olderAccount) == Self.canonical(newerAccount))
        }
    }

    @Test func theOutboxReadsBackAsItsMessages() throws {
        let awkward = ["", "a \"quoted\" word", "back\\slash", "a/b", "line\nbreak\ttab\r", "\u{01}\u{1f}", "Zürich 🚀", "\u{7f}"]
        var messages: [RetrySafeAppender.Fields] = Self.simulator.pending.map(\.event.fields)
        messages.append(awkward.map { (name: "detail", value: $0) })
        messages.append([])
        let read = try BatchCheckpoint.decodePending(BatchCheckpoint.encodePending(messages))
        #expect(read.map { $0.map(\.name) } == messages.map { $0.map(\.name) })
        #expect(read.map { $0.map(\.value) } == messages.map { $0.map(\.value) })
        #expect(try BatchCheckpoint.decodePending(BatchCheckpoint.encodePending([])).isEmpty)
    }

    @Test func timestampsAreSpelledAsTheirDescription() {
        var random = SeededRandom(seed: 3)
        var samples: [Int64] = [0, -1, 1, 999_999, 1_000_000, -1_000_000, 951_782_400_000_000, 4_107_542_399_999_999]
        for _ in 0..<20_000 {
            // Years 1 to 9999.
            samples.append(random.nextInt64(in: -62_135_596_800_000_000...253_402_300_799_999_999))
        }
        for micros in samples {
            let timestamp = EventTimestamp(microsecondsSinceEpoch: micros)
            var json = CheckpointJSON()
            json.timestamp(timestamp)
            #expect(json.text == "\"\(timestamp.description)\"", "\(micros)")
        }
    }

    @Test func uuidsAreSpelledAsTheirUUIDString() {
        var random = SeededRandom(seed: 5)
        for _ in 0..<1_000 {
            let uuid = random.nextUUID()
            var json = CheckpointJSON()
            json.uuid(uuid)
            #expect(json.text == "\"\(uuid.uuidString)\"")
        }
    }

    /// Every stored property of `value` (by `Mirror`) is a key of `object`.
    /// An optional property must be set in the sample: a nil one is not
    /// written, so the check could not see it left out.
    static func expectEveryStoredProperty(of value: Any, in object: [String: Any], sourceLocation: SourceLocation = #_sourceLocation) {
        for child in Mirror(reflecting: value).children {
            guard let label = child.label else { continue }
            let inner = Mirror(reflecting: child.value)
            #expect(!(inner.displayStyle == .optional && inner.children.isEmpty),
                    "\(type(of: value)).\(label) is nil in the sample; set it so the check sees it written", sourceLocation: sourceLocation)
            #expect(object[label] != nil, "\(type(of: value)).\(label) is not written by its CheckpointJSON writer", sourceLocation: sourceLocation)
        }
    }
}
