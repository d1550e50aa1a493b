import CHiredis

/// Decodes the stream replies of `XAUTOCLAIM` and `XRANGE` straight from
/// hiredis's reply objects into entries, on the connection's thread, before
/// the reply is freed. `XREADGROUP`, the hot path, skips the reply objects
/// too (``GroupReadParser``).
///
/// Why not through ``RedisReply``: that copies every field into an array of
/// its own inside a tree of arrays, then again into strings; for a 12-field
/// entry that was some 30 allocations. Here one reply becomes one
/// ``StreamFieldBuffer`` (the bytes of every field, copied once) and one array
/// of entries that point into it.
enum StreamReplyDecoder {
    typealias Reply = UnsafePointer<redisReply>

    // MARK: - Commands

    /// `XAUTOCLAIM`: `[cursor, [[id, fields], ...], [deleted id, ...]]` (the
    /// third element since Redis 7).
    static func autoClaim(_ reply: Reply, stream: String) throws(RedisError) -> RedisConnection.AutoClaim {
        try Self.throwIfError(reply)
        guard Self.type(reply) == REDIS_REPLY_ARRAY, reply.pointee.elements >= 2,
              let next = Self.entryID(reply.pointee.element[0]), let items = reply.pointee.element[1],
              Self.type(items) == REDIS_REPLY_ARRAY
        else {
            throw RedisError(.unexpectedReply, "XAUTOCLAIM")
        }
        var builder = Builder()
        builder.reserve(for: items)
        for item in Self.elements(items) {
            // Redis 6.2 returned nil for deleted entries here.
            guard let entry = Self.idAndFields(item), let fields = entry.fields else { continue }
            try builder.append(stream: stream, id: entry.id, fields: fields)
        }
        var deleted: [StreamEntryID] = []
        if reply.pointee.elements > 2, let list = reply.pointee.element[2], Self.type(list) == REDIS_REPLY_ARRAY {
            deleted = Self.elements(list).compactMap { Self.entryID($0) }
        }
        return RedisConnection.AutoClaim(nextCursor: next, entries: builder.entries(), deleted: deleted)
    }

    /// `XRANGE` / `XREVRANGE`: `[[id, fields], ...]`.
    static func range(_ reply: Reply, stream: String) throws(RedisError) -> [StreamEntry] {
        try Self.throwIfError(reply)
        guard Self.type(reply) == REDIS_REPLY_ARRAY else { return [] }
        var builder = Builder()
        builder.reserve(for: reply)
        for item in Self.elements(reply) {
            guard let entry = Self.idAndFields(item), let fields = entry.fields else {
                throw RedisError(.unexpectedReply, "XRANGE entry")
            }
            try builder.append(stream: stream, id: entry.id, fields: fields)
        }
        return builder.entries()
    }

    // MARK: - Building one buffer per reply

    /// Collects the fields of a reply's entries into one byte array.
    struct Builder {
        private var bytes: [UInt8] = []
        private var ends: [Int] = []
        private var pending: [(stream: String, id: StreamEntryID, firstString: Int, fieldCount: Int)] = []

        /// Reserves room for the entries of `items` (`[[id, fields], ...]`),
        /// so the arrays grow once per reply rather than by doubling.
        mutating func reserve(for items: Reply) {
            var byteCount = 0
            var stringCount = 0
            for item in StreamReplyDecoder.elements(items) {
                guard let item, item.pointee.elements == 2, let fields = item.pointee.element[1],
                      StreamReplyDecoder.type(fields) == REDIS_REPLY_ARRAY
                else { continue }
                stringCount += fields.pointee.elements
                for field in StreamReplyDecoder.elements(fields) {
                    byteCount += field?.pointee.len ?? 0
                }
            }
            self.bytes.reserveCapacity(self.bytes.count + byteCount)
            self.ends.reserveCapacity(self.ends.count + stringCount)
            self.pending.reserveCapacity(self.pending.count + items.pointee.elements)
        }

        mutating func append(stream: String, id: StreamEntryID, fields: Reply) throws(RedisError) {
            let count = fields.pointee.elements
            guard Self.isArray(fields), count % 2 == 0 else {
                throw RedisError(.unexpectedReply, "stream entry fields")
            }
            let first = self.ends.count
            for field in StreamReplyDecoder.elements(fields) {
                // A field that is not a string (never seen from Redis) is kept as empty text.
                if let field, let pointer = field.pointee.str, field.pointee.len > 0 {
                    pointer.withMemoryRebound(to: UInt8.self, capacity: field.pointee.len) { start in
                        self.bytes.append(contentsOf: UnsafeBufferPointer(start: start, count: field.pointee.len))
                    }
                }
                self.ends.append(self.bytes.count)
            }
            self.pending.append((stream, id, first, count / 2))
        }

        private static func isArray(_ reply: Reply) -> Bool {
            StreamReplyDecoder.type(reply) == REDIS_REPLY_ARRAY
        }

        func entries() -> [StreamEntry] {
            guard !self.pending.isEmpty else { return [] }
            let buffer = StreamFieldBuffer(bytes: self.bytes, ends: self.ends)
            return self.pending.map { entry in
                StreamEntry(stream: entry.stream, id: entry.id, buffer: buffer, firstString: entry.firstString, fieldCount: entry.fieldCount)
            }
        }
    }

    // MARK: - Reply shapes

    static func type(_ reply: Reply) -> Int32 {
        Int32(reply.pointee.type)
    }

    static func elements(_ reply: Reply) -> UnsafeBufferPointer<UnsafeMutablePointer<redisReply>?> {
        guard Self.type(reply) == REDIS_REPLY_ARRAY, let element = reply.pointee.element else {
            return UnsafeBufferPointer(start: nil, count: 0)
        }
        return UnsafeBufferPointer(start: element, count: reply.pointee.elements)
    }

    /// `[id, fields]` of one entry; `fields` nil when Redis sent nil (a deleted entry).
    private static func idAndFields(_ item: UnsafeMutablePointer<redisReply>?) -> (id: StreamEntryID, fields: Reply?)? {
        guard let item, Self.type(item) == REDIS_REPLY_ARRAY, item.pointee.elements == 2,
              let id = Self.entryID(item.pointee.element[0])
        else { return nil }
        guard let fields = item.pointee.element[1], Self.type(fields) != REDIS_REPLY_NIL else { return (id, nil) }
        return (id, UnsafePointer(fields))
    }

    private static func bytes(_ reply: UnsafeMutablePointer<redisReply>?) -> UnsafeBufferPointer<UInt8>? {
        guard let reply, Self.type(reply) == REDIS_REPLY_STRING || Self.type(reply) == REDIS_REPLY_STATUS else { return nil }
        guard let pointer = reply.pointee.str else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: reply.pointee.len)
    }

    private static func string(_ reply: UnsafeMutablePointer<redisReply>?) -> String? {
        Self.bytes(reply).map { String(decoding: $0, as: UTF8.self) }
    }

    private static func entryID(_ reply: UnsafeMutablePointer<redisReply>?) -> StreamEntryID? {
        Self.bytes(reply).flatMap { StreamEntryID(bytes: $0) }
    }

    private static func throwIfError(_ reply: Reply) throws(RedisError) {
        if Self.type(reply) == REDIS_REPLY_ERROR {
            let message = reply.pointee.str.map { pointer in
                String(decoding: UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self), count: reply.pointee.len), as: UTF8.self)
            } ?? ""
            throw RedisError(.serverError, message)
        }
    }
}
