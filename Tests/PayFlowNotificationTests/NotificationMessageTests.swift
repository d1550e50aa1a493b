import Foundation
import PayFlowDomain
@testable import PayFlowNotification
import PayFlowRuntime
import Testing

/// The parts that need no server: templates, ids, signatures, settings.
@Suite("Notification messages and settings")
struct NotificationMessageTests {
    @Test func everyKindHasATemplateAndRendersEveryPlaceholder() throws {
        let templates = try NotificationTemplates()
        #expect(Set(NotificationTemplates.sources.keys) == Set(NotificationKind.allCases))
        let sources = EventType.allCases.map { NotificationSource.event(NotificationFixture.event($0)) }
            + [.alert(NotificationFixture.alert()), .mismatch(NotificationFixture.mismatch())]
        #expect(Set(sources.map(\.kind)) == Set(NotificationKind.allCases))
        for source in sources {
            let rendered = templates.render(source)
            #expect(!rendered.subject.isEmpty)
            #expect(!rendered.body.isEmpty)
            // A misspelt placeholder renders as nothing: look for its traces.
            for text in [rendered.subject, rendered.body] {
                #expect(!text.contains("{{"), "\(source.kind): \(text)")
                #expect(!text.contains("  "), "\(source.kind): an empty value in '\(text)'")
                #expect(!text.contains("()"), "\(source.kind): an empty value in '\(text)'")
                #expect(!text.contains(": ."), "\(source.kind): an empty value in '\(text)'")
            }
            #expect(rendered.body.contains(source.eventID))
        }
    }

    @Test func receiptsShowAmountsInMajorUnitsWithoutEscaping() throws {
        let templates = try NotificationTemplates()
        var payment = NotificationFixture.event(.payment, amount: 1250, currency: .eur)
        payment.details.merchant = "Bäckerei <Müller> & Söhne"
        let rendered = templates.render(.event(payment))
        #expect(rendered.subject == "Payment receipt: 12.50 EUR at Bäckerei <Müller> & Söhne")
        #expect(NotificationTemplates.formatted(amount: 5, currency: .eur) == "0.05 EUR")
        #expect(NotificationTemplates.formatted(amount: 100_000, currency: .usd) == "1000.00 USD")
        #expect(NotificationTemplates.formatted(amount: 500, currency: .jpy) == "500 JPY")
        #expect(NotificationTemplates.formatted(amount: -1999, currency: .gbp) == "-19.99 GBP")
    }

    @Test func notificationIDsAreDeterministicPerSourceAndChannel() {
        let id = NotificationID.make(sourceKind: "event", sourceID: "abc", channel: "webhook")
        #expect(id == NotificationID.make(sourceKind: "event", sourceID: "abc", channel: "webhook"))
        #expect(id != NotificationID.make(sourceKind: "event", sourceID: "abc", channel: "log"))
        #expect(id != NotificationID.make(sourceKind: "alert", sourceID: "abc", channel: "webhook"))
        #expect(id != NotificationID.make(sourceKind: "event", sourceID: "abd", channel: "webhook"))
        #expect(id.uuidString.lowercased().dropFirst(14).first == "8")
    }

    /// The Standard Webhooks specification's own example (its reference
    /// libraries' tests): secret, id, timestamp, body and the signature.
    @Test func theSignatureIsTheStandardWebhooksOne() throws {
        let secret = try #require(WebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        let body = Array(#"{"test": 2432232314}"#.utf8)
        let signature = WebhookSignature.sign(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: body, secret: secret)
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")

        let then = Date(timeIntervalSince1970: 1_614_265_330)
        func verify(id: String = "msg_p5jXN8AQM9LWM0D4loKWxJek", signature: String = signature, body: [UInt8] = body,
                    secret: WebhookSecret = secret, now: Date = then) -> WebhookSignature.Verification {
            WebhookSignature.verify(id: id, timestamp: "1614265330", signature: signature, body: body, secret: secret, now: now)
        }
        #expect(verify() == .valid)
        #expect(verify(signature: "v1,bm90IGl0 " + signature) == .valid, "one valid signature among several is enough")
        #expect(verify(now: then.addingTimeInterval(299)) == .valid)
        #expect(verify(now: then.addingTimeInterval(301)) == .staleTimestamp, "a replay five minutes later")
        #expect(verify(now: then.addingTimeInterval(-301)) == .staleTimestamp)
        #expect(verify(id: "msg_other") == .badSignature)
        #expect(verify(body: Array(#"{"test": 2432232315}"#.utf8)) == .badSignature)
        #expect(verify(secret: .random()) == .badSignature)
        #expect(verify(signature: "v2," + signature.dropFirst(3)) == .badSignature)
        #expect(WebhookSignature.verify(id: nil, timestamp: "1", signature: signature, body: body, secret: secret) == .missingHeaders)
    }

    @Test func secretsAreWhsecBase64Of24To64Bytes() throws {
        #expect(WebhookSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?.text == "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        #expect(WebhookSecret("change-me") == nil)
        #expect(WebhookSecret("whsec_not base64!") == nil)
        #expect(WebhookSecret("whsec_c2hvcnQ=") == nil, "5 bytes")
        #expect(WebhookSecret.problem(with: "change-me")?.contains("whsec_") == true)
    }

    @Test func thePayloadIsTheSameBytesEveryTime() throws {
        let templates = try NotificationTemplates()
        let source = NotificationSource.alert(NotificationFixture.alert())
        let first = NotificationMessage(source: source, sourceStream: "payflow:alerts", channel: .webhook, rendered: templates.render(source))
        let second = NotificationMessage(source: source, sourceStream: "payflow:alerts", channel: .webhook, rendered: templates.render(source))
        #expect(try WebhookPayload(first).encoded() == WebhookPayload(second).encoded())
        let decoded = try JSONDecoder().decode(WebhookPayload.self, from: try WebhookPayload(first).encoded())
        #expect(decoded.notificationID == first.idString)
        #expect(decoded.kind == "fraud_alert")
        #expect(decoded.recipient == "operations")
    }

    // MARK: - Settings

    @Test func settingsDefaultToTheLogChannel() throws {
        let settings = try NotificationSettings(environment: Environment([:]))
        #expect(settings.channel == .log)
        #expect(settings.concurrency == 16)
        #expect(settings.webhook == nil)
    }

    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    @Test func theWebhookChannelReadsItsSettings() throws {
        let settings = try NotificationSettings(environment: Environment([
            "NOTIFICATION_CHANNEL": "webhook", "WEBHOOK_URL": "https://hooks.example/payflow", "WEBHOOK_SECRET": Self.secret,
            "WEBHOOK_TIMEOUT_MS": "500", "WEBHOOK_MAX_ATTEMPTS": "5", "NOTIFICATION_CONCURRENCY": "4",
        ]))
        #expect(settings.channel == .webhook)
        #expect(settings.concurrency == 4)
        #expect(settings.webhook?.url == "https://hooks.example/payflow")
        #expect(settings.webhook?.timeout == .milliseconds(500))
        #expect(settings.webhook?.maxAttempts == 5)
        #expect(settings.webhook?.backoff == .milliseconds(100))
    }

    @Test(arguments: [
        (["NOTIFICATION_CHANNEL": "webhook", "WEBHOOK_SECRET": "s"], "WEBHOOK_URL"),
        (["NOTIFICATION_CHANNEL": "webhook", "WEBHOOK_URL": "http://127.0.0.1:9/x"], "WEBHOOK_SECRET"),
        (["NOTIFICATION_CHANNEL": "webhook", "WEBHOOK_URL": "ftp://host/x", "WEBHOOK_SECRET": "s"], "WEBHOOK_URL"),
        (["NOTIFICATION_CHANNEL": "webhook", "WEBHOOK_URL": "http://h/x", "WEBHOOK_SECRET": ""], "WEBHOOK_SECRET"),
        (["NOTIFICATION_CHANNEL": "webhook", "WEBHOOK_URL": "http://h/x", "WEBHOOK_SECRET": "change-me"], "WEBHOOK_SECRET"),
        (["NOTIFICATION_CHANNEL": "webhook", "WEBHOOK_URL": "http://h/x", "WEBHOOK_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "WEBHOOK_TIMEOUT_MS": "x"], "WEBHOOK_TIMEOUT_MS"),
        (["NOTIFICATION_CHANNEL": "sms"], "NOTIFICATION_CHANNEL"),
        (["NOTIFICATION_CONCURRENCY": "0"], "NOTIFICATION_CONCURRENCY"),
    ])
    func aMissingOrMalformedSettingNamesItsVariable(environment: [String: String], variable: String) {
        do {
            _ = try NotificationSettings(environment: Environment(environment))
            Issue.record("accepted \(environment)")
        } catch {
            #expect(error.variable == variable, "\(error)")
        }
    }
}
