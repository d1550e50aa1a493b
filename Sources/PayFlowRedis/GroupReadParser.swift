import CHiredis

/// Builds what an `XREADGROUP` returned while hiredis parses the reply, through
/// the reader's object functions (`redisReplyObjectFunctions`), instead of
/// letting hiredis build its reply tree first.
///
/// Why: hiredis's default functions make a `redisReply` and a copy of the
/// bytes for every field (two allocations each, 24 fields to a PayFlow
/// entry), then an element array per entry and per field list, all freed
/// again once ``StreamReplyDecoder`` had copied the bytes out: the tree was
/// the largest part of the runtime's client CPU per entry (issue 13). Here
/// each field's bytes go straight from hiredis's read buffer into the one
/// ``StreamFieldBuffer`` of the reply, and nothing else is allocated per field.
///
/// The result is what ``StreamReplyDecoder`` made of the tree (its `XAUTOCLAIM`
/// and `XRANGE` still go that way; `StreamReplyTests` reads the same fields
/// through all three, with a reply larger than one read of hiredis's buffer,
/// so fields arrive split). Each callback knows where it is from its task's
/// depth and index in its parent:
///
///     depth 0  [                                  the reply (nil: a BLOCK timed out)
///     depth 1    [                                one per stream
///     depth 2      stream name, [                 index 0, index 1
///     depth 3        [                            one per entry
///     depth 4          id, [ ... ] | nil          index 0, index 1 (nil: entry deleted)
///     depth 5            name, value, ...         the fields
///
/// Every callback returns a non-null placeholder (hiredis takes null for out
/// of memory) and builds nothing for hiredis to free.
///
/// Why the state sits behind a pointer: a callback runs per field (~24 to an
/// entry). Reached as a class's stored properties, every one of them paid a
/// dynamic exclusivity check of each property it touched
/// (`swift_beginAccess`, with its thread-local access set): ~12 % of the
/// runtime's client CPU in a profile of `bench runtime` (client 7.0–8.1 →
/// 5.7–6.3 µs per entry, 4 alternations of 300,000 entries).
/// Memory behind an `UnsafeMutablePointer` is not checked at run time, and
/// hiredis hands the pointer back as it got it; the parser owns it and frees
/// it when it goes, and only the connection's thread touches it.
final class GroupReadParser {
    private let state: UnsafeMutablePointer<State>

    init() {
        self.state = .allocate(capacity: 1)
        self.state.initialize(to: State())
    }

    deinit {
        self.state.deinitialize(count: 1)
        self.state.deallocate()
    }

    /// What the reply held, once hiredis has returned it.
    func result() throws(RedisError) -> RedisConnection.GroupRead {
        try self.state.pointee.result()
    }

    /// What the callbacks build while hiredis parses.
    private struct State {
        var bytes: [UInt8] = []
        var ends: [Int] = []
        var pending: [(stream: String, id: StreamEntryID, firstString: Int, fieldCount: Int)] = []
        var deleted: [StreamEntry.Key] = []
        var stream = ""
        var id: StreamEntryID?
        /// Entries the current stream's list still holds, to size `ends` once.
        var entriesLeft = 0
        var serverError: String?
        /// The first thing that did not fit the shape drawn above the type; parsing goes on to the
        /// reply's end, so the connection stays in step, and then this is thrown.
        var malformed: String?

        func result() throws(RedisError) -> RedisConnection.GroupRead {
            if let serverError { throw RedisError(.serverError, serverError) }
            if let malformed { throw RedisError(.unexpectedReply, "XREADGROUP \(malformed)") }
            var read = RedisConnection.GroupRead()
            read.deleted = self.deleted
            guard !self.pending.isEmpty else { return read }
            let buffer = StreamFieldBuffer(bytes: self.bytes, ends: self.ends)
            read.entries = self.pending.map { entry in
                StreamEntry(stream: entry.stream, id: entry.id, buffer: buffer, firstString: entry.firstString, fieldCount: entry.fieldCount)
            }
            return read
        }

        // MARK: - What each callback does

        mutating func string(depth: Int, index: Int, type: Int32, _ text: UnsafeBufferPointer<UInt8>) {
            switch (depth, index) {
            case (5, _):
                self.bytes.append(contentsOf: text)
                self.ends.append(self.bytes.count)
            case (4, 0):
                self.id = StreamEntryID(bytes: text)
                if self.id == nil { self.fail("entry id") }
            case (2, 0):
                self.stream = String(decoding: text, as: UTF8.self)
            case (0, _) where type == REDIS_REPLY_ERROR:
                self.serverError = String(decoding: text, as: UTF8.self)
            default:
                self.fail("string at depth \(depth)")
            }
        }

        mutating func array(depth: Int, index: Int, count: Int) {
            switch (depth, index) {
            case (0, _):
                break
            case (1, _), (3, _):
                if count != 2 { self.fail("element of \(count) items at depth \(depth)") }
                if depth == 3 {
                    self.id = nil
                    self.entriesLeft -= 1
                }
            case (2, 1):
                self.pending.reserveCapacity(self.pending.count + count)
                self.entriesLeft = count
            case (4, 1):
                guard let id = self.id, count % 2 == 0 else { return self.fail("entry fields") }
                if self.ends.capacity < self.ends.count + count {
                    // Entries of one stream have about as many fields as each other.
                    self.ends.reserveCapacity(self.ends.count + count * (self.entriesLeft + 1))
                    self.bytes.reserveCapacity(self.bytes.count + count * 16 * (self.entriesLeft + 1))
                }
                self.pending.append((self.stream, id, self.ends.count, count / 2))
            default:
                self.fail("array at depth \(depth)")
            }
        }

        mutating func null(depth: Int, index: Int) {
            switch (depth, index) {
            case (0, _):
                break
            case (5, _):
                self.emptyField()
            case (4, 1):
                guard let id = self.id else { return self.fail("deleted entry") }
                self.deleted.append(StreamEntry.Key(stream: self.stream, id: id))
            default:
                self.fail("nil at depth \(depth)")
            }
        }

        mutating func integer(depth: Int) {
            if depth == 5 { self.emptyField() } else { self.fail("integer at depth \(depth)") }
        }

        /// A field that is not a string (never seen from Redis) is kept as empty
        /// text, as ``StreamReplyDecoder`` keeps it.
        mutating func emptyField() {
            self.ends.append(self.bytes.count)
        }

        mutating func fail(_ what: String) {
            if self.malformed == nil { self.malformed = what }
        }
    }

    // MARK: - The hiredis side

    /// Parses the next reply of `context` into `self`. The reader's functions
    /// are swapped in for this one reply and back after it; a context whose
    /// read failed is freed by its owner, and the placeholder it may still
    /// hold is freed by ``functions``' no-op `freeObject` (the swapped
    /// functions are left in place for that).
    func readReply(of context: UnsafeMutablePointer<redisContext>) -> Bool {
        let reader = context.pointee.reader!
        let original = (functions: reader.pointee.fn, privdata: reader.pointee.privdata)
        reader.pointee.fn = Self.functions
        reader.pointee.privdata = UnsafeMutableRawPointer(self.state)
        var reply: UnsafeMutableRawPointer?
        let ok = withExtendedLifetime(self) { redisGetReply(context, &reply) == REDIS_OK && reply != nil }
        guard ok else { return false }
        reader.pointee.fn = original.functions
        reader.pointee.privdata = original.privdata
        return true
    }

    /// The state a callback builds into, and where its task sits in the reply.
    private static func state(of task: UnsafePointer<redisReadTask>?) -> (UnsafeMutablePointer<State>, depth: Int, index: Int, placeholder: UnsafeMutableRawPointer) {
        let task = task!
        let privdata = task.pointee.privdata!
        var depth = 0
        var parent = task.pointee.parent
        while let next = parent {
            depth += 1
            parent = next.pointee.parent
        }
        return (privdata.assumingMemoryBound(to: State.self), depth, Int(task.pointee.idx), privdata)
    }

    /// Made once, never freed, never written after: hiredis only reads it.
    nonisolated(unsafe) private static let functions: UnsafeMutablePointer<redisReplyObjectFunctions> = {
        let functions = UnsafeMutablePointer<redisReplyObjectFunctions>.allocate(capacity: 1)
        functions.initialize(to: redisReplyObjectFunctions(
            createString: { task, text, length in
                let (state, depth, index, placeholder) = GroupReadParser.state(of: task)
                let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(text)?.assumingMemoryBound(to: UInt8.self), count: text == nil ? 0 : length)
                state.pointee.string(depth: depth, index: index, type: task!.pointee.type, bytes)
                return placeholder
            },
            createArray: { task, count in
                let (state, depth, index, placeholder) = GroupReadParser.state(of: task)
                state.pointee.array(depth: depth, index: index, count: Int(count))
                return placeholder
            },
            createInteger: { task, _ in
                let (state, depth, _, placeholder) = GroupReadParser.state(of: task)
                state.pointee.integer(depth: depth)
                return placeholder
            },
            createNil: { task in
                let (state, depth, index, placeholder) = GroupReadParser.state(of: task)
                state.pointee.null(depth: depth, index: index)
                return placeholder
            },
            freeObject: { _ in }
        ))
        return functions
    }()
}
