import Foundation
import PayFlowRedis

/// An entry given up on, with everything an operator needs to understand and
/// replay it: where it came from, who failed it, how often, and why.
///
/// The original fields are kept flat with an `original.` prefix so the entry
/// stays readable with `redis-cli XRANGE payflow:dlq:<group> - +` and can be
/// sent back to its stream field for field.
struct DeadLetter: Sendable {
    var entry: StreamEntry
    var reason: String
    var deliveryCount: Int

    static let originalFieldPrefix = "original."

    func fields(group: String, consumer: String, at date: Date = Date()) -> [String] {
        var fields = [
            "stream", self.entry.stream,
            "entry_id", self.entry.id.description,
            "group", group,
            "consumer", consumer,
            "delivery_count", String(self.deliveryCount),
            "reason", self.reason,
            "dead_lettered_at", date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true)),
        ]
        for field in self.entry.fields {
            fields.append(Self.originalFieldPrefix + field.name)
            fields.append(field.value)
        }
        return fields
    }
}
