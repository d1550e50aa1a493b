import Foundation
import PayFlowNotification
import PayFlowTestSupport
import Testing

/// Whether the machine has python3 at all (Debian's, or a local build).
private enum Python3 {
    static var isInstalled: Bool {
        ["/usr/bin/python3", "/usr/local/bin/python3"].contains { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

/// The webhook requests PayFlow sends verify with the Standard Webhooks
/// reference library (`standardwebhooks` from PyPI, installed by
/// scripts/install-deps into var/tools/venv), and what that library signs
/// verifies with ours: a receiver needs no PayFlow code.
///
/// Skipped, saying so, only where there is no python3 at all; with python3
/// but without the library it fails and says to run scripts/install-deps.
@Suite(
    "Webhooks against the Standard Webhooks reference library",
    .enabled(if: Python3.isInstalled, "python3 is not installed: the Standard Webhooks reference library cannot run")
)
struct StandardWebhooksLibraryTests {
    static let python = TestServers.repositoryRoot.appendingPathComponent("var/tools/venv/bin/python")

    /// Runs `script` with the venv's python, `input` on stdin; returns its stdout.
    static func runPython(_ script: String, input: Data) async throws -> String {
        try #require(
            FileManager.default.isExecutableFile(atPath: Self.python.path),
            "no python at \(Self.python.path): run scripts/install-deps (it installs standardwebhooks)"
        )
        let result = try await ChildProcess.run(Self.python, ["-c", script], input: input)
        let text = result.outputText
        try #require(result.status == 0, "python failed (\(result.status)): \(result.errorText) \(text)")
        return text
    }

    /// Verifies each request of stdin's JSON with `Webhook(secret).verify`;
    /// prints one line per request: `ok` or the library's error.
    static let verifyScript = """
    import base64, json, sys
    from standardwebhooks.webhooks import Webhook
    job = json.load(sys.stdin)
    hook = Webhook(job["secret"])
    for request in job["requests"]:
        headers = {"webhook-id": request["id"], "webhook-timestamp": request["timestamp"], "webhook-signature": request["signature"]}
        try:
            hook.verify(base64.b64decode(request["body"]), headers)
            print("ok")
        except Exception as error:
            print("rejected: %s" % error)
    """

    @Test func everyRequestTheChannelSendsVerifiesWithTheReferenceLibrary() async throws {
        try await WebhookReceiver.withReceiver { receiver in
            // A generous timeout, as `NotificationFixture.webhookChannel` has:
            // on a loaded CI machine a 2 s deadline made the channel re-send
            // one request and the receiver accept 8 for 7 sources.
            let channel = WebhookChannel(
                settings: WebhookSettings(url: receiver.url, secret: receiver.secret, timeout: .seconds(30)), logger: NotificationFixture.quietLogger
            )
            let templates = try NotificationTemplates()
            let sources = NotificationFixture.everyEventType().map(NotificationSource.event)
                + [NotificationSource.alert(NotificationFixture.alert()), NotificationSource.mismatch(NotificationFixture.mismatch())]
            for source in sources {
                let message = NotificationMessage(source: source, sourceStream: "payflow:events", channel: .webhook, rendered: templates.render(source))
                let result = await channel.deliver(message)
                #expect(result.status == .delivered)
            }
            let accepted = receiver.state.value.accepted
            #expect(accepted.count == sources.count)

            var requests = accepted.map { request in
                ["id": request.id, "timestamp": request.timestamp, "signature": request.signature, "body": Data(request.body).base64EncodedString()]
            }
            // What must not verify: a body changed on the way, and a signature under another key.
            var tampered = requests[0]
            tampered["body"] = Data((String(decoding: accepted[0].body, as: UTF8.self) + " ").utf8).base64EncodedString()
            var forged = requests[1]
            forged["signature"] = WebhookSignature.sign(id: accepted[1].id, timestamp: Int64(accepted[1].timestamp) ?? 0, body: accepted[1].body, secret: .random())
            requests += [tampered, forged]
            let input = try JSONSerialization.data(withJSONObject: ["secret": receiver.secret.text, "requests": requests])
            let verdicts = try await Self.runPython(Self.verifyScript, input: input).split(separator: "\n").map(String.init)

            #expect(verdicts.count == accepted.count + 2)
            #expect(verdicts.prefix(accepted.count).allSatisfy { $0 == "ok" }, "\(verdicts)")
            #expect(verdicts.suffix(2).allSatisfy { $0.hasPrefix("rejected") }, "\(verdicts)")
            #expect(Set(accepted.map(\.id)) == Set(accepted.map(\.idempotencyKey)), "webhook-id is the notification id")
        }
    }

    @Test func whatTheReferenceLibrarySignsVerifiesWithOurs() async throws {
        let secret = WebhookSecret.random()
        let body = Array(#"{"notification_id":"n-1","amount":1250}"#.utf8)
        let now = Date()
        let timestamp = Int64(now.timeIntervalSince1970)
        let script = """
        import datetime, json, sys
        from standardwebhooks.webhooks import Webhook
        job = json.load(sys.stdin)
        when = datetime.datetime.fromtimestamp(job["timestamp"], tz=datetime.timezone.utc)
        print(Webhook(job["secret"]).sign(job["id"], when, job["body"]))
        """
        let input = try JSONSerialization.data(withJSONObject: [
            "secret": secret.text, "id": "msg_1", "timestamp": timestamp, "body": String(decoding: body, as: UTF8.self),
        ])
        let signature = try await Self.runPython(script, input: input).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(signature == WebhookSignature.sign(id: "msg_1", timestamp: timestamp, body: body, secret: secret))
        #expect(WebhookSignature.verify(id: "msg_1", timestamp: String(timestamp), signature: signature, body: body, secret: secret, now: now) == .valid)
        #expect(WebhookSignature.verify(id: "msg_2", timestamp: String(timestamp), signature: signature, body: body, secret: secret, now: now) == .badSignature)
    }
}
