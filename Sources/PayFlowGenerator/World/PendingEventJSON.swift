import Foundation

/// The JSON of the scheduled events (``SimulationSnapshot/pending``) as the
/// last snapshot wrote them, by event id, so the next snapshot copies the
/// bytes of the events still scheduled instead of encoding them again.
///
/// Why: a realistic world holds a few hundred events scheduled hours of
/// business time ahead, and every batch's snapshot wrote all of them again,
/// the largest part of the checkpoint once its JSON was written by hand
/// (issue 13). A cached spelling is used only for an event equal to the one
/// it was written from, so an event changed while scheduled is written anew.
struct PendingEventJSON: Sendable {
    private var written: [UUID: (event: SimulatedEvent, json: [UInt8])] = [:]

    /// Writes `events` as array elements into `json` and keeps exactly their
    /// spellings for the next call.
    mutating func write(_ events: [SimulatedEvent], to json: inout CheckpointJSON) {
        var kept: [UUID: (event: SimulatedEvent, json: [UInt8])] = [:]
        kept.reserveCapacity(events.count)
        for event in events {
            let bytes: [UInt8]
            if let cached = self.written[event.event.id], cached.event == event {
                bytes = cached.json
            } else {
                var one = CheckpointJSON(capacity: 640)
                event.write(to: &one)
                bytes = one.bytes
            }
            json.written(bytes)
            kept[event.event.id] = (event, bytes)
        }
        self.written = kept
    }
}
