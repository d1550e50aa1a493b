import PayFlowRedis
import PayFlowTestSupport
import Testing

/// Stream replies are decoded straight from hiredis into one field buffer per
/// reply; what a service reads from an entry must be exactly what was added,
/// whichever command read it.
@Suite("Stream entries read from a real redis-server")
struct StreamReplyTests {
    /// Fields as written: a repeated name, an empty value, a long value, text
    /// beyond ASCII, and bytes that are not UTF-8 (read back replaced).
    static let written: [(name: [UInt8], value: [UInt8])] = [
        (Array("id".utf8), Array("event-1".utf8)),
        (Array("note".utf8), []),
        (Array("merchant".utf8), Array("Café Zürich — €".utf8)),
        (Array("id".utf8), Array("second id field".utf8)),
        (Array("long".utf8), Array(String(repeating: "x", count: 9_000).utf8)),
        (Array("raw".utf8), [0x66, 0xFF, 0x6F]),
    ]
    static let expected: [(name: String, value: String)] = [
        ("id", "event-1"), ("note", ""), ("merchant", "Café Zürich — €"), ("id", "second id field"),
        ("long", String(repeating: "x", count: 9_000)), ("raw", "f\u{FFFD}o"),
    ]

    @Test func everyCommandReadsEveryFieldAsItWasAdded() async throws {
        let redis = try await RedisConnection.connect(configuration: RedisConfiguration(url: TestServers.redisURL()))
        let streams = [uniqueName("test:replies:a"), uniqueName("test:replies:b")]
        let group = "readers"
        var added: [String: [StreamEntryID]] = [:]
        for stream in streams {
            try await redis.createGroupIfMissing(stream: stream, group: group, startID: "0")
            for index in 0..<3 {
                var command = RedisCommand("XADD", stream, "*")
                for field in Self.written { command.append(field.name); command.append(field.value) }
                command.append("n")
                command.append(index)
                let id = try #require(StreamEntryID(try await redis.send(command).string ?? ""))
                added[stream, default: []].append(id)
            }
        }

        let read = try await redis.readGroup(
            group: group, consumer: "c1", streams: streams.map { ($0, ">") }, count: 10, block: nil
        )
        #expect(read.deleted.isEmpty)
        #expect(read.entries.map(\.key) == streams.flatMap { stream in added[stream]!.map { StreamEntry.Key(stream: stream, id: $0) } })
        for (offset, entry) in read.entries.enumerated() {
            #expect(entry.fieldCount == Self.expected.count + 1)
            #expect(entry.fields.dropLast().elementsEqual(Self.expected) { $0.name == $1.name && $0.value == $1.value })
            #expect(entry.fields.last?.name == "n" && entry.fields.last?.value == "\(offset % 3)")
            #expect(entry[field: "id"] == "event-1", "the first field of a repeated name")
            #expect(entry[field: "note"] == "")
            #expect(entry[field: "raw"] == "f\u{FFFD}o")
            #expect(entry[field: "absent"] == nil)
            // Made from strings, the same entry compares equal to the one read.
            #expect(entry == StreamEntry(stream: entry.stream, id: entry.id, fields: entry.fields))
        }
        #expect(read.entries[0] != read.entries[1], "entries differing only in one field's value")

        // XRANGE and XAUTOCLAIM decode the same entries to equal values.
        let ranged = try await redis.range(stream: streams[0])
        #expect(ranged == Array(read.entries.prefix(3)))
        let claimed = try await redis.autoClaim(stream: streams[1], group: group, consumer: "c2", minIdle: .zero, cursor: .zero, count: 10)
        #expect(claimed.entries == Array(read.entries.suffix(3)))
        #expect(claimed.deleted.isEmpty)

        // A pending entry deleted from the stream comes back as a deleted key.
        try await redis.send(RedisCommand("XDEL", streams[0], added[streams[0]]![1]))
        let reread = try await redis.readGroup(group: group, consumer: "c1", streams: [(streams[0], "0")], count: 10, block: nil)
        #expect(reread.entries.map(\.id) == [added[streams[0]]![0], added[streams[0]]![2]])
        #expect(reread.deleted == [StreamEntry.Key(stream: streams[0], id: added[streams[0]]![1])])

        // A blocking read that times out is an empty read, not an error.
        let empty = try await redis.readGroup(group: group, consumer: "c1", streams: [(streams[0], ">")], count: 10, block: .milliseconds(10))
        #expect(empty.isEmpty)

        // An error reply is thrown, with Redis's message.
        await #expect(throws: RedisError.self) {
            try await redis.readGroup(group: "no-such-group", consumer: "c1", streams: [(streams[0], ">")], count: 1, block: nil)
        }
        for stream in streams { try await redis.send(RedisCommand("DEL", stream)) }
        await redis.close()
    }

    @Test func entryIDsAreWrittenAsRedisPrintsThem() {
        let ids = [
            StreamEntryID.zero,
            StreamEntryID(milliseconds: 1_767_225_600_123, sequence: 7),
            StreamEntryID(milliseconds: UInt64.max, sequence: UInt64.max),
        ]
        for id in ids {
            #expect(id.redisBytes == Array(id.description.utf8))
            #expect(StreamEntryID(id.description) == id)
        }
        #expect(StreamEntryID(milliseconds: 10, sequence: 0).redisBytes == Array("10-0".utf8))
    }
}
