import CHiredis

/// Typed answers of the commands an operator reads streams with (`XINFO`,
/// `XPENDING`, `XRANGE`), so services, tools and tests stop parsing RESP
/// arrays by hand.
extension RedisConnection {
    /// `XINFO STREAM`; nil when the key does not exist.
    public func streamInfo(_ stream: String) async throws(RedisError) -> StreamInfo? {
        let reply = try await self.send(RedisCommand("EXISTS", stream))
        guard reply.integer == 1 else { return nil }
        let map = try await self.send(RedisCommand("XINFO", "STREAM", stream)).fieldMap
        func entryID(_ key: String) -> StreamEntryID? {
            map[key]?.array?.first?.string.flatMap { StreamEntryID($0) }
        }
        return StreamInfo(
            length: Int(map["length"]?.integer ?? 0),
            firstEntryID: entryID("first-entry"),
            lastEntryID: entryID("last-entry"),
            lastGeneratedID: map["last-generated-id"]?.string.flatMap { StreamEntryID($0) },
            groupCount: Int(map["groups"]?.integer ?? 0)
        )
    }

    /// `XINFO GROUPS`; empty when the stream does not exist.
    public func groups(of stream: String) async throws(RedisError) -> [GroupInfo] {
        let reply = try await self.send(RedisCommand("XINFO", "GROUPS", stream))
        if case .error = reply { return [] }
        return (reply.array ?? []).compactMap { group in
            let map = group.fieldMap
            guard let name = map["name"]?.string else { return nil }
            return GroupInfo(
                name: name,
                consumers: Int(map["consumers"]?.integer ?? 0),
                pending: Int(map["pending"]?.integer ?? 0),
                lastDeliveredID: map["last-delivered-id"]?.string.flatMap { StreamEntryID($0) } ?? .zero,
                entriesRead: map["entries-read"]?.integer.map(Int.init),
                lag: map["lag"]?.integer.map(Int.init)
            )
        }
    }

    /// `XPENDING stream group` (the summary form).
    public func pendingSummary(stream: String, group: String) async throws(RedisError) -> PendingSummary {
        let parts = try await self.send(RedisCommand("XPENDING", stream, group)).orThrow().array ?? []
        guard parts.count == 4 else { return PendingSummary(count: 0, oldestID: nil, newestID: nil, perConsumer: [:]) }
        var perConsumer: [String: Int] = [:]
        for row in parts[3].array ?? [] {
            guard let pair = row.array, pair.count == 2, let name = pair[0].string else { continue }
            perConsumer[name] = Int(pair[1].string.flatMap { Int64($0) } ?? pair[1].integer ?? 0)
        }
        return PendingSummary(
            count: Int(parts[0].integer ?? 0),
            oldestID: parts[1].string.flatMap { StreamEntryID($0) },
            newestID: parts[2].string.flatMap { StreamEntryID($0) },
            perConsumer: perConsumer
        )
    }

    /// Every entry of `stream` after the id `after` (exclusive; `0-0` for
    /// all), in order, read in pages of `pageSize` so that a long stream is
    /// never one huge reply.
    public func forEachEntry(
        of stream: String,
        after: String,
        pageSize: Int,
        _ body: (StreamEntry) -> Void
    ) async throws(RedisError) {
        var start = "(\(after)"
        while true {
            let page = try await self.range(stream: stream, from: start, count: pageSize)
            page.forEach(body)
            guard page.count == pageSize, let last = page.last else { return }
            start = "(\(last.id)"
        }
    }

    /// `XRANGE` (or `XREVRANGE` when `reverse`) from `start` to `end`
    /// (`-`/`+` for the ends), at most `count` entries when given.
    public func range(
        stream: String,
        from start: String = "-",
        to end: String = "+",
        count: Int? = nil,
        reverse: Bool = false
    ) async throws(RedisError) -> [StreamEntry] {
        var command = reverse ? RedisCommand("XREVRANGE", stream, end, start) : RedisCommand("XRANGE", stream, start, end)
        if let count {
            command.append("COUNT")
            command.append(count)
        }
        return try await self.send(command) { reply throws(RedisError) in
            try StreamReplyDecoder.range(reply, stream: stream)
        }
    }
}

/// What `XINFO STREAM` says about a stream.
public struct StreamInfo: Sendable, Equatable {
    public var length: Int
    public var firstEntryID: StreamEntryID?
    public var lastEntryID: StreamEntryID?
    public var lastGeneratedID: StreamEntryID?
    public var groupCount: Int
}

/// One row of `XINFO GROUPS`. `lag` is nil when Redis cannot tell (after
/// deletions or trimming past the group), `entriesRead` before Redis 7.
public struct GroupInfo: Sendable, Equatable {
    public var name: String
    public var consumers: Int
    public var pending: Int
    public var lastDeliveredID: StreamEntryID
    public var entriesRead: Int?
    public var lag: Int?
}

/// The summary form of `XPENDING`.
public struct PendingSummary: Sendable, Equatable {
    public var count: Int
    public var oldestID: StreamEntryID?
    public var newestID: StreamEntryID?
    public var perConsumer: [String: Int]
}

extension RedisReply {
    /// A RESP2 map (a flat `[key, value, key, value]` array) as a dictionary;
    /// empty for anything else.
    public var fieldMap: [String: RedisReply] {
        guard let flat = self.array else { return [:] }
        var map: [String: RedisReply] = [:]
        var index = 0
        while index + 1 < flat.count {
            if let key = flat[index].string { map[key] = flat[index + 1] }
            index += 2
        }
        return map
    }
}
