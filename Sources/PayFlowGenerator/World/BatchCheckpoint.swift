import Foundation
import PayFlowDomain
import PayFlowRuntime

/// What a batch writes besides its ledger rows and labels, in the same
/// transaction: the world after the batch, the accounts it touched, the run
/// it belongs to, and its stream messages as the outbox.
///
/// Because all of it commits with the ledger rows, the world in PostgreSQL is
/// always the world after the last *committed* batch: a restart, a `kill -9`
/// or a stop and start resume exactly there, and the only batch that can be
/// committed but not (wholly) on the stream is the one in `pending`.
struct BatchCheckpoint: Sendable {
    var world: Int
    var run: Int
    /// ``SimulationSnapshot`` as JSON.
    var simulation: String
    /// Touched accounts' states as JSON, by index.
    var accounts: [(index: Int, state: String)]
    /// Business time of the batch's first and last event.
    var firstEventAt: EventTimestamp
    var lastEventAt: EventTimestamp

    /// The outbox column: stream messages as JSON arrays of [name, value],
    /// written by ``CheckpointJSON`` (one buffer for the batch) and read by
    /// `JSONDecoder` in ``decodePending(_:)``.
    static func encodePending(_ messages: [RetrySafeAppender.Fields]) -> String {
        var json = CheckpointJSON(capacity: 320 * messages.count + 2)
        json.beginArray()
        for fields in messages {
            json.beginArray()
            for field in fields {
                json.beginArray()
                json.string(field.name)
                json.string(field.value)
                json.endArray()
            }
            json.endArray()
        }
        json.endArray()
        return json.text
    }

    static func decodePending(_ text: String) throws -> [RetrySafeAppender.Fields] {
        let pairs = try JSONDecoder().decode([[[String]]].self, from: Data(text.utf8))
        return pairs.map { fields in fields.compactMap { $0.count == 2 ? (name: $0[0], value: $0[1]) : nil } }
    }
}
