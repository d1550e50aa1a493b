import Foundation
import PayFlowDomain
import PayFlowNotification
import PayFlowRedis
import PayFlowRuntime
import PayFlowTestSupport
import Testing

/// The log channel's path: each row written once, as `delivered`, in the
/// transaction that writes the lines (`NotificationStore.deliverOnce`). What
/// that must not cost: a line before a refusal (the runtime handles the
/// batch's halves again, so a line written first would be written twice) or
/// a line twice when two replicas handle the same entries at once.
@Suite("Notification to the log: one row write, one line")
struct InProcessDeliveryTests {
    typealias Fixture = NotificationFixture

    @Test func aRefusedRowWritesNoLineAndItsNeighboursOneEach() async throws {
        try await Fixture.with { fixture in
            // What no migration would do: the store refuses one account.
            try await fixture.database.query("ALTER TABLE notifications ADD CONSTRAINT refuses_one CHECK (recipient <> 'acc-refused')")
            try await fixture.xadd(Fixture.event(.payment, account: "acc-000001"))
            try await fixture.xadd(Fixture.event(.payment, account: "acc-refused"))
            try await fixture.xadd(Fixture.event(.topup, account: "acc-000002"))

            let lines = Shared<[CapturingLogHandler.Line]>([])
            let channel = LogChannel(logger: CapturingLogHandler.logger(into: lines))
            let (handler, connection) = try await fixture.handler(channel: channel)
            let deliveries = try await fixture.streamEntries().map { Delivery(entry: $0, message: try handler.decode($0)) }
            await #expect(throws: (any Error).self) { try await handler.handle(deliveries) }
            #expect(lines.value.isEmpty, "a line written before the refusal")
            #expect(try await fixture.rows().isEmpty)

            // The runtime's halving: the neighbours alone, then the whole batch again.
            let neighbours = deliveries.filter { $0.entry[field: "account"] != "acc-refused" }
            #expect(neighbours.count == 2)
            let outcomes = try await handler.handle(neighbours)
            #expect(outcomes.count == 2 && outcomes.values.allSatisfy { $0 == .done })
            await #expect(throws: (any Error).self) { try await handler.handle(deliveries) }
            await connection.close()

            #expect(lines.value.count == 2)
            let rows = try await fixture.rows()
            #expect(rows.count == 2)
            #expect(rows.allSatisfy { $0.status == "delivered" && $0.attempts == 1 })
            #expect(Set(lines.value.compactMap { $0.metadata["notification_id"] }) == Set(rows.map(\.notificationID)))
        }
    }

    @Test func twoReplicasHandlingTheSameEntriesAtOnceWriteEachLineOnce() async throws {
        try await Fixture.with { fixture in
            for index in 0..<40 {
                try await fixture.xadd(Fixture.event(index % 3 == 0 ? .topup : .payment, account: String(format: "acc-%06d", index)))
            }
            let lines = Shared<[CapturingLogHandler.Line]>([])
            let channel = LogChannel(logger: CapturingLogHandler.logger(into: lines))
            let (first, firstConnection) = try await fixture.handler(channel: channel)
            let (second, secondConnection) = try await fixture.handler(channel: channel)
            let entries = try await fixture.streamEntries()
            let deliveries = try entries.map { Delivery(entry: $0, message: try first.decode($0)) }
            for _ in 0..<5 {
                // Overlapping batches in opposite orders, as a claim and a read can hand them out.
                async let one = first.handle(deliveries)
                async let two = second.handle(deliveries.reversed())
                let (a, b) = try await (one, two)
                #expect(a.values.allSatisfy { $0 == .done } && b.values.allSatisfy { $0 == .done })
            }
            await firstConnection.close()
            await secondConnection.close()

            let ids = lines.value.compactMap { $0.metadata["notification_id"] }
            #expect(ids.count == entries.count, "lines: \(ids.count) for \(entries.count) notifications")
            #expect(Set(ids).count == entries.count)
            let rows = try await fixture.rows()
            #expect(rows.count == entries.count)
            #expect(rows.allSatisfy { $0.status == "delivered" && $0.attempts == 1 })
        }
    }
}
