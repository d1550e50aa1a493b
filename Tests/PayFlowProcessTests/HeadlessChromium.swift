import Foundation
import HummingbirdWSClient
import Logging
import PayFlowTestSupport
import Synchronization

/// Debian's `chromium` (scripts/install-deps installs it), headless, driven
/// over the DevTools protocol: a page that keeps a connection open (the
/// dashboard's event stream) never lets `--dump-dom` finish, and a test that
/// clicks needs a live page anyway.
///
/// The browser runs as root in CI, hence `--no-sandbox`; it listens on a
/// free loopback port (`--remote-debugging-port=0`, read back from
/// `DevToolsActivePort`) and is ended by ``close()`` whatever the outcome
/// (``with(_:_:)`` sees to that).
final class HeadlessChromium: Sendable {
    let process: Process
    let profile: URL
    let port: Int

    static var executable: String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    private init(process: Process, profile: URL, port: Int) {
        self.process = process
        self.profile = profile
        self.port = port
    }

    static func launch(_ executable: String, width: Int = 1280, height: Int = 900) async throws -> HeadlessChromium {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("payflow-chromium-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--no-default-browser-check", "--disable-extensions", "--hide-scrollbars", "--mute-audio",
            "--user-data-dir=\(profile.path)", "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
            // The WebSocket client sends `Origin: ws://127.0.0.1`, which Chromium refuses unless allowed.
            "--remote-allow-origins=ws://127.0.0.1",
            "--window-size=\(width),\(height)", "about:blank",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let activePort = profile.appendingPathComponent("DevToolsActivePort")
        let port = Shared<Int?>(nil)
        do {
            try await eventually("chromium to write DevToolsActivePort", timeout: .seconds(30), every: .milliseconds(50)) {
                guard process.isRunning else { throw TimedOut(what: "chromium exited with \(process.terminationStatus) before listening") }
                let text = (try? String(contentsOf: activePort, encoding: .utf8)) ?? ""
                port.value = text.split(separator: "\n").first.flatMap { Int($0) }
                return port.value != nil
            }
        } catch {
            await Self.stop(process)
            try? FileManager.default.removeItem(at: profile)
            throw error
        }
        return HeadlessChromium(process: process, profile: profile, port: port.value ?? 0)
    }

    /// Launches a browser, hands it to `body` and closes it whatever the
    /// outcome: ``close()`` awaits the browser's exit, which a `defer` cannot.
    static func with<T>(_ executable: String, _ body: (HeadlessChromium) async throws -> T) async throws -> T {
        let chromium = try await Self.launch(executable)
        let result: T
        do {
            result = try await body(chromium)
        } catch {
            await chromium.close()
            throw error
        }
        await chromium.close()
        return result
    }

    /// Runs `body` on the browser's page, over the browser's DevTools
    /// WebSocket (the path in `DevToolsActivePort`) and a flat session
    /// attached to the page: FoundationNetworking cannot read the answers
    /// of Chromium's `/json` HTTP endpoints.
    func withPage<T: Sendable>(_ body: @escaping @Sendable (DevToolsPage) async throws -> T) async throws -> T {
        let lines = try String(contentsOf: self.profile.appendingPathComponent("DevToolsActivePort"), encoding: .utf8).split(separator: "\n")
        guard lines.count >= 2 else { throw TimedOut(what: "the browser's WebSocket path in DevToolsActivePort") }
        let url = "ws://127.0.0.1:\(self.port)\(lines[1])"
        let outcome = Mutex<Result<T, any Error>?>(nil)
        var logger = Logger(label: "devtools")
        logger.logLevel = .warning
        // Screenshots are single messages of a few MB.
        let maxSize = 64 << 20
        try await WebSocketClient.connect(url: url, configuration: .init(maxFrameSize: maxSize), logger: logger) { inbound, outbound, _ in
            let page = DevToolsPage(outbound: outbound)
            await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    defer { page.connectionClosed() }
                    for try await message in inbound.messages(maxSize: maxSize) {
                        if case .text(let text) = message { page.received(text) }
                    }
                }
                let result: Result<T, any Error>
                do {
                    try await page.attachToPage()
                    result = .success(try await body(page))
                } catch {
                    result = .failure(error)
                }
                outcome.withLock { $0 = result }
                try? await outbound.close(.normalClosure, reason: nil)
                group.cancelAll()
            }
        }
        guard let result = outcome.withLock({ $0 }) else {
            throw TimedOut(what: "the DevTools connection to \(url) closed before the test was done")
        }
        return try result.get()
    }

    /// SIGTERM (Chromium then ends its own renderer processes), SIGKILL if it
    /// is still there 5 s later; the profile goes too. The waits are
    /// `Task.sleep`s: a blocking wait here held one of the test process's two
    /// cooperative threads for seconds, and other suites' timing slipped.
    func close() async {
        await Self.stop(self.process)
        try? FileManager.default.removeItem(at: self.profile)
    }

    private static func stop(_ process: Process) async {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = ContinuousClock.now + .seconds(5)
        while process.isRunning, ContinuousClock.now < deadline {
            do {
                try await Task.sleep(for: .milliseconds(50))
            } catch {
                break  // cancelled: straight to SIGKILL
            }
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            _ = try? await ChildProcess.waitForExit(of: process)
        }
    }
}

/// One page over the DevTools protocol: commands answered by id, events
/// ignored (the tests ask the page, they do not listen to it).
final class DevToolsPage: Sendable {
    private struct State {
        var nextID = 1
        var waiting: [Int: CheckedContinuation<Data, any Error>] = [:]
        /// Answers that came before their waiter registered.
        var arrived: [Int: Data] = [:]
        var abandoned: Set<Int> = []
        var closed = false
        /// The page's session once attached; commands without it go to the browser.
        var sessionID: String?
    }

    struct ProtocolError: Error, CustomStringConvertible {
        var description: String
    }

    private let outbound: WebSocketOutboundWriter
    private let state = Mutex(State())

    init(outbound: WebSocketOutboundWriter) {
        self.outbound = outbound
    }

    // MARK: - Commands

    /// Sends `method` and returns its `result`; throws the protocol's error,
    /// or after `timeout`.
    func call(_ method: String, _ params: [String: Any] = [:], timeout: Duration = .seconds(30)) async throws -> [String: Any] {
        let (id, sessionID) = self.state.withLock { state in
            defer { state.nextID += 1 }
            return (state.nextID, state.sessionID)
        }
        var command: [String: Any] = ["id": id, "method": method, "params": params]
        command["sessionId"] = sessionID
        let message = String(decoding: try JSONSerialization.data(withJSONObject: command), as: UTF8.self)
        let answer = try await withThrowingTaskGroup(of: Data?.self) { group in
            group.addTask { try await self.answer(to: id) }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            try await self.outbound.write(.text(message))
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let answer else { throw TimedOut(what: "DevTools \(method) to answer within \(timeout)") }
        let json = try JSONSerialization.jsonObject(with: answer) as? [String: Any] ?? [:]
        if let error = json["error"] as? [String: Any] {
            throw ProtocolError(description: "\(method): \(error["message"] as? String ?? "\(error)")")
        }
        return json["result"] as? [String: Any] ?? [:]
    }

    /// Attaches to the browser's first page, for every later command.
    func attachToPage() async throws {
        let targets = try await self.call("Target.getTargets")["targetInfos"] as? [[String: Any]] ?? []
        guard let target = targets.first(where: { $0["type"] as? String == "page" })?["targetId"] as? String else {
            throw ProtocolError(description: "no page among the browser's targets: \(targets)")
        }
        let attached = try await self.call("Target.attachToTarget", ["targetId": target, "flatten": true])
        guard let session = attached["sessionId"] as? String else {
            throw ProtocolError(description: "Target.attachToTarget answered no sessionId: \(attached)")
        }
        self.state.withLock { $0.sessionID = session }
    }

    /// The value of a JavaScript expression (promises awaited), as JSON
    /// would carry it; throws what the page threw.
    func evaluate(_ expression: String) async throws -> Any? {
        let result = try await self.call("Runtime.evaluate", ["expression": expression, "awaitPromise": true, "returnByValue": true])
        if let exception = result["exceptionDetails"] as? [String: Any] {
            let description = (exception["exception"] as? [String: Any])?["description"] as? String
            throw ProtocolError(description: "the page threw: \(description ?? exception["text"] as? String ?? "\(exception)")\nin: \(expression)")
        }
        return (result["result"] as? [String: Any])?["value"]
    }

    func string(_ expression: String) async throws -> String? {
        try await self.evaluate(expression) as? String
    }

    /// Polls `expression` until it is true.
    func waitUntil(_ what: String, _ expression: String, timeout: Duration = .seconds(20)) async throws {
        try await eventually(what, timeout: timeout, every: .milliseconds(100)) {
            try await self.evaluate(expression) as? Bool == true
        }
    }

    func navigate(_ url: String) async throws {
        _ = try await self.call("Page.navigate", ["url": url])
        try await self.waitUntil("\(url) to load", "document.readyState === 'complete' && location.href.startsWith('\(url)')")
    }

    /// Lays the page out `width` CSS pixels wide (a phone's layout below 600).
    func setViewport(width: Int, height: Int) async throws {
        _ = try await self.call("Emulation.setDeviceMetricsOverride", [
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600,
        ])
    }

    /// A PNG of the whole page laid out `width` wide, written to `file`.
    func screenshot(width: Int, to file: URL) async throws {
        try await self.setViewport(width: width, height: 900)
        let height = try await self.evaluate("document.documentElement.scrollHeight") as? Int ?? 900
        try await self.setViewport(width: width, height: max(900, height))
        let shot = try await self.call("Page.captureScreenshot", ["format": "png"])
        guard let base64 = shot["data"] as? String, let png = Data(base64Encoded: base64) else {
            throw ProtocolError(description: "Page.captureScreenshot answered no data")
        }
        try png.write(to: file)
        try await self.setViewport(width: width, height: 900)
    }

    // MARK: - The connection

    private func answer(to id: Int) async throws -> Data {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Data, any Error>) in
                let early: Result<Data, any Error>? = self.state.withLock { state in
                    if let data = state.arrived.removeValue(forKey: id) { return .success(data) }
                    if state.abandoned.remove(id) != nil { return .failure(CancellationError()) }
                    if state.closed { return .failure(ProtocolError(description: "the DevTools connection closed")) }
                    state.waiting[id] = continuation
                    return nil
                }
                if let early { continuation.resume(with: early) }
            }
        } onCancel: {
            let continuation = self.state.withLock { state in
                let waiting = state.waiting.removeValue(forKey: id)
                if waiting == nil { state.abandoned.insert(id) }
                return waiting
            }
            continuation?.resume(throwing: CancellationError())
        }
    }

    func received(_ text: String) {
        let data = Data(text.utf8)
        guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let id = json["id"] as? Int else { return }
        let continuation = self.state.withLock { state in
            let waiting = state.waiting.removeValue(forKey: id)
            if waiting == nil, state.abandoned.remove(id) == nil { state.arrived[id] = data }
            return waiting
        }
        continuation?.resume(returning: data)
    }

    func connectionClosed() {
        let waiting = self.state.withLock { state in
            state.closed = true
            defer { state.waiting = [:] }
            return Array(state.waiting.values)
        }
        for continuation in waiting {
            continuation.resume(throwing: ProtocolError(description: "the DevTools connection closed"))
        }
    }
}
