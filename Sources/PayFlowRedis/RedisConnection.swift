import CHiredis
import Logging
import NIOPosix
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// One connection to Redis over hiredis.
///
/// hiredis is a blocking client and a `redisContext` is not thread-safe, so each
/// connection owns exactly one thread of its own and every hiredis call runs
/// there. Swift's cooperative pool only ever awaits; a `BLOCK 2000` read parks
/// this connection's thread, never a pool thread. Because there is one thread,
/// commands submitted concurrently run one after another, and a pipeline is one
/// work item that nothing can interleave with.
///
/// The connection heals itself: when the socket breaks, the failing call throws
/// a retriable ``RedisError`` and the next call reconnects (AUTH, SELECT), after
/// an exponential backoff so a Redis outage is not hammered.
public final class RedisConnection: Sendable {
    public let configuration: RedisConfiguration
    private let logger: Logger
    private let thread: NIOThreadPool
    /// Only ever read or written on `thread`; see ``HiredisContext``.
    private let context: HiredisContext
    private let reconnect: Mutex<ReconnectState>

    private struct ReconnectState {
        var failedAttempts = 0
        var notBefore: ContinuousClock.Instant?
    }

    /// Creates the connection and connects at once, so a wrong URL or a Redis
    /// that is down shows at start-up rather than at the first command.
    public static func connect(
        configuration: RedisConfiguration,
        logger: Logger = Logger(label: "payflow.redis")
    ) async throws(RedisError) -> RedisConnection {
        let connection = RedisConnection(configuration: configuration, logger: logger)
        do {
            try await connection.send(RedisCommand("PING"))
        } catch {
            await connection.close()
            throw error
        }
        return connection
    }

    /// Creates the connection without connecting; the first command connects.
    public init(configuration: RedisConfiguration, logger: Logger = Logger(label: "payflow.redis")) {
        self.configuration = configuration
        self.logger = logger
        self.thread = NIOThreadPool(numberOfThreads: 1)
        self.thread.start()
        self.context = HiredisContext()
        self.reconnect = Mutex(ReconnectState())
    }

    // MARK: - Commands

    /// Sends one command; an error reply is thrown as ``RedisError/Code/serverError``.
    @discardableResult
    public func send(_ command: RedisCommand) async throws(RedisError) -> RedisReply {
        let replies = try await self.pipeline([command])
        return try replies[0].orThrow()
    }

    /// Sends many commands in one round trip and returns one reply per command,
    /// error replies included as `.error` values: in a pipeline one rejected
    /// command must not hide what happened to the others.
    public func pipeline(_ commands: [RedisCommand]) async throws(RedisError) -> [RedisReply] {
        guard !commands.isEmpty else { return [] }
        return try await self.run(commands) { reply throws(RedisError) in RedisReply(copying: reply) }
    }

    /// Sends one command and turns its reply into `Decoded` on the
    /// connection's thread, straight from hiredis's reply object, before it is
    /// freed: for the replies of the hot path (``StreamReplyDecoder``), which
    /// would otherwise be copied twice. `decode` sees error replies too.
    func send<Decoded: Sendable>(
        _ command: RedisCommand,
        decode: @escaping @Sendable (UnsafePointer<redisReply>) throws(RedisError) -> Decoded
    ) async throws(RedisError) -> Decoded {
        try await self.run([command], decode)[0]
    }

    /// Sends `first`, then `read` (an `XREADGROUP`), in one pipeline. The
    /// replies of `first` go to `firstReplies` on the connection's thread as
    /// soon as they are read, before the read's reply (which a `BLOCK` may
    /// hold back); the read's reply is parsed as it arrives (``GroupReadParser``).
    func readGroup(
        _ read: RedisCommand,
        after first: [RedisCommand],
        firstReplies: (@Sendable ([RedisReply]) -> Void)?
    ) async throws(RedisError) -> GroupRead {
        try await self.run { context, configuration throws(RedisError) in
            let parser = GroupReadParser()
            try context.execute(first, thenRead: read, into: parser, configuration: configuration) { replies in
                firstReplies?(replies)
            }
            return try parser.result()
        }
    }

    private func run<Decoded: Sendable>(
        _ commands: [RedisCommand],
        _ decode: @escaping @Sendable (UnsafePointer<redisReply>) throws(RedisError) -> Decoded
    ) async throws(RedisError) -> [Decoded] {
        try await self.run { context, configuration throws(RedisError) in
            try context.execute(commands, configuration: configuration, decode)
        }
    }

    /// Runs `body` with the hiredis context on the connection's thread.
    private func run<Result: Sendable>(
        _ body: @escaping @Sendable (HiredisContext, RedisConfiguration) throws(RedisError) -> Result
    ) async throws(RedisError) -> Result {
        try await self.waitForReconnectBackoff()
        let result: Swift.Result<Result, RedisError>
        do {
            result = try await self.thread.runIfActive { [context, configuration] in
                do throws(RedisError) {
                    return .success(try body(context, configuration))
                } catch {
                    return .failure(error)
                }
            }
        } catch {
            throw RedisError(.closed, "connection is closed")
        }
        switch result {
        case .success(let replies):
            self.reconnect.withLock { $0 = ReconnectState() }
            return replies
        case .failure(let error):
            if error.code == .connectionFailed {
                self.scheduleReconnectBackoff(after: error)
            }
            throw error
        }
    }

    /// Closes the socket and stops the thread. Safe to call twice.
    public func close() async {
        _ = try? await self.thread.runIfActive { [context] in context.disconnect() }
        try? await self.thread.shutdownGracefully()
    }

    // MARK: - Reconnect backoff

    private func waitForReconnectBackoff() async throws(RedisError) {
        guard let notBefore = self.reconnect.withLock({ $0.notBefore }) else { return }
        do {
            try await Task.sleep(until: notBefore, clock: .continuous)
        } catch {
            throw RedisError(.connectionFailed, "cancelled while waiting to reconnect")
        }
    }

    private func scheduleReconnectBackoff(after error: RedisError) {
        let delay = self.reconnect.withLock { state -> Duration in
            state.failedAttempts += 1
            let exponent = min(state.failedAttempts - 1, 6)
            let delay = min(Duration.milliseconds(50) * (1 << exponent), .seconds(2))
            state.notBefore = .now + delay
            return delay
        }
        self.logger.warning(
            "Redis connection failed; reconnecting",
            metadata: ["error": "\(error.message)", "retry_in": "\(delay)", "redis": "\(self.configuration.host):\(self.configuration.port)"]
        )
    }
}

/// The hiredis context pointer, owned by one connection thread.
///
/// `@unchecked Sendable` is safe because ``RedisConnection`` only touches it
/// from inside work items of its single-thread pool, so there is never more
/// than one thread using the context at a time.
private final class HiredisContext: @unchecked Sendable {
    private var pointer: UnsafeMutablePointer<redisContext>?

    deinit {
        if let pointer { redisFree(pointer) }
    }

    func disconnect() {
        if let pointer { redisFree(pointer) }
        self.pointer = nil
    }

    /// Queues the commands, then reads and decodes one reply per command. A
    /// reply `decode` rejects does not stop the reading: the rest of the
    /// pipeline is read (and freed) first, so the connection stays in step.
    func execute<Decoded>(
        _ commands: [RedisCommand],
        configuration: RedisConfiguration,
        _ decode: (UnsafePointer<redisReply>) throws(RedisError) -> Decoded
    ) throws(RedisError) -> [Decoded] {
        let context = try self.connected(configuration)
        try self.queue(commands, on: context)
        return try self.readReplies(commands.count, from: context, decode)
    }

    /// Queues `first` and `read`, hands the replies of `first` to
    /// `firstReplies`, then parses the reply of `read` into `parser`.
    func execute(
        _ first: [RedisCommand],
        thenRead read: RedisCommand,
        into parser: GroupReadParser,
        configuration: RedisConfiguration,
        firstReplies: ([RedisReply]) -> Void
    ) throws(RedisError) {
        let context = try self.connected(configuration)
        try self.queue(first, on: context)
        try self.queue([read], on: context)
        if !first.isEmpty {
            firstReplies(try self.readReplies(first.count, from: context) { reply throws(RedisError) in RedisReply(copying: reply) })
        }
        guard parser.readReply(of: context) else { throw self.fail(context, "no reply to \(read)") }
    }

    /// Appends the commands to the context's output buffer (sent by the first read).
    private func queue(_ commands: [RedisCommand], on context: UnsafeMutablePointer<redisContext>) throws(RedisError) {
        for command in commands {
            let status = command.withArgv { argc, argv, lengths in
                redisAppendCommandArgv(context, argc, argv, lengths)
            }
            guard status == REDIS_OK else { throw self.fail(context, "could not queue \(command)") }
        }
    }

    /// Reads `count` replies and decodes each; see ``execute(_:configuration:_:)``
    /// for a reply `decode` rejects.
    private func readReplies<Decoded>(
        _ count: Int,
        from context: UnsafeMutablePointer<redisContext>,
        _ decode: (UnsafePointer<redisReply>) throws(RedisError) -> Decoded
    ) throws(RedisError) -> [Decoded] {
        var replies: [Decoded] = []
        replies.reserveCapacity(count)
        var decodingError: RedisError?
        for _ in 0..<count {
            var raw: UnsafeMutableRawPointer?
            guard redisGetReply(context, &raw) == REDIS_OK, let raw else {
                throw self.fail(context, "no reply")
            }
            defer { freeReplyObject(raw) }
            guard decodingError == nil else { continue }
            do {
                replies.append(try decode(raw.assumingMemoryBound(to: redisReply.self)))
            } catch {
                decodingError = error
            }
        }
        if let decodingError { throw decodingError }
        return replies
    }

    /// Returns a healthy context, connecting (and authenticating, selecting the
    /// database) when there is none or the last one broke.
    private func connected(_ configuration: RedisConfiguration) throws(RedisError) -> UnsafeMutablePointer<redisContext> {
        if let pointer, pointer.pointee.err == 0 { return pointer }
        self.disconnect()
        guard let context = redisConnectWithTimeout(configuration.host, Int32(configuration.port), timeval(configuration.connectTimeout)) else {
            throw RedisError(.connectionFailed, "could not allocate a hiredis context")
        }
        guard context.pointee.err == 0 else {
            let message = Self.errorText(context)
            redisFree(context)
            throw RedisError(.connectionFailed, "connect to \(configuration.host):\(configuration.port): \(message)")
        }
        redisSetTimeout(context, timeval(configuration.commandTimeout))
        redisEnableKeepAlive(context)
        self.pointer = context

        var setup: [RedisCommand] = []
        if let password = configuration.password {
            setup.append(configuration.username.map { RedisCommand("AUTH", $0, password) } ?? RedisCommand("AUTH", password))
        }
        if configuration.database != 0 {
            setup.append(RedisCommand("SELECT", configuration.database))
        }
        for command in setup {
            let reply = command.withArgv { argc, argv, lengths in redisCommandArgv(context, argc, argv, lengths) }
            guard let reply else { throw self.fail(context, "no reply to \(command)") }
            let copied = RedisReply(copying: reply.assumingMemoryBound(to: redisReply.self))
            freeReplyObject(reply)
            if case .error(let message) = copied {
                self.disconnect()
                throw RedisError(.connectionFailed, "\(command) refused: \(message)")
            }
        }
        return context
    }

    /// Drops a context that hiredis marked broken, so the next call reconnects.
    private func fail(_ context: UnsafeMutablePointer<redisContext>, _ what: String) -> RedisError {
        let message = Self.errorText(context)
        self.disconnect()
        return RedisError(.connectionFailed, "\(what): \(message)")
    }

    private static func errorText(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return bytes.isEmpty ? "error \(context.pointee.err)" : String(decoding: bytes, as: UTF8.self)
        }
    }
}

extension RedisReply {
    /// Deep-copies a hiredis reply; the caller frees the C object afterwards.
    init(copying reply: UnsafePointer<redisReply>) {
        let value = reply.pointee
        switch Int32(value.type) {
        case REDIS_REPLY_STRING:
            self = .bulkString(Self.bytes(value.str, value.len))
        case REDIS_REPLY_STATUS:
            self = .status(String(decoding: Self.bytes(value.str, value.len), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            self = .error(String(decoding: Self.bytes(value.str, value.len), as: UTF8.self))
        case REDIS_REPLY_INTEGER:
            self = .integer(value.integer)
        case REDIS_REPLY_ARRAY:
            var elements: [RedisReply] = []
            elements.reserveCapacity(Int(value.elements))
            for index in 0..<Int(value.elements) {
                if let element = value.element[index] {
                    elements.append(RedisReply(copying: element))
                } else {
                    elements.append(.null)
                }
            }
            self = .array(elements)
        default:
            self = .null
        }
    }

    private static func bytes(_ pointer: UnsafeMutablePointer<CChar>?, _ length: Int) -> [UInt8] {
        guard let pointer, length > 0 else { return [] }
        return pointer.withMemoryRebound(to: UInt8.self, capacity: length) { Array(UnsafeBufferPointer(start: $0, count: length)) }
    }
}

extension RedisCommand {
    /// Lends hiredis `argc`, `argv` and `argvlen` built from the byte arrays,
    /// valid only for the duration of `body`.
    fileprivate func withArgv<Result>(
        _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> Result
    ) -> Result {
        // One buffer for every argument's bytes: an XACK of a batch has one
        // argument per entry, and an EVALSHA dozens, and a buffer each was an
        // allocation each.
        let count = self.arguments.count
        let total = self.arguments.reduce(0) { $0 + $1.count }
        let argv = UnsafeMutablePointer<UnsafePointer<CChar>?>.allocate(capacity: count)
        let lengths = UnsafeMutablePointer<Int>.allocate(capacity: count)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(total, 1), alignment: 1)
        defer {
            buffer.deallocate()
            argv.deallocate()
            lengths.deallocate()
        }
        var offset = 0
        for (index, argument) in self.arguments.enumerated() {
            let start = buffer + offset
            argument.withUnsafeBytes { raw in
                if let base = raw.baseAddress {
                    start.copyMemory(from: base, byteCount: argument.count)
                }
            }
            argv[index] = UnsafePointer(start.assumingMemoryBound(to: CChar.self))
            lengths[index] = argument.count
            offset += argument.count
        }
        return body(Int32(count), argv, lengths)
    }
}

private func timeval(_ duration: Duration) -> timeval {
    let (seconds, attoseconds) = duration.components
    return Glibc.timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
}
