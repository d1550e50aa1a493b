import PayFlowRedis

extension Collection where Element == StreamEntry.Key {
    /// The keys split into runs of one stream each, in order: what one `XACK`
    /// or one counter update per stream needs.
    ///
    /// Why not `Dictionary(grouping:by:)`: a batch comes from one read of a few
    /// streams, each stream's entries together, so comparing each key's stream
    /// with its neighbour's (a pointer comparison when they share storage)
    /// finds the runs without hashing a `String` per entry. A stream that shows
    /// up in two runs is merged into its first.
    func streamRuns() -> [(stream: String, ids: [StreamEntryID])] {
        var runs: [(stream: String, ids: [StreamEntryID])] = []
        var current: Int?
        for key in self {
            if let index = current, runs[index].stream == key.stream {
                runs[index].ids.append(key.id)
                continue
            }
            if let index = runs.firstIndex(where: { $0.stream == key.stream }) {
                current = index
            } else {
                runs.append((key.stream, []))
                runs[runs.count - 1].ids.reserveCapacity(self.count)
                current = runs.count - 1
            }
            runs[current!].ids.append(key.id)
        }
        return runs
    }
}
