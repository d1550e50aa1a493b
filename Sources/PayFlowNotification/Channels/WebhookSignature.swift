import Crypto
import Foundation

/// Webhook signatures per the Standard Webhooks specification
/// (standardwebhooks.com), so that any receiver verifies them with the
/// specification's reference libraries instead of code of its own:
///
/// - `webhook-id`: the notification id, the same on every attempt and
///   redelivery, so receivers dedupe by it;
/// - `webhook-timestamp`: seconds since 1970 when the attempt was signed;
///   receivers reject timestamps more than ``tolerance`` away from their
///   clock, so a captured request cannot be replayed later;
/// - `webhook-signature`: `v1,<base64 HMAC-SHA256>` of `id.timestamp.body`
///   (the exact body bytes), keyed with the `whsec_` secret's bytes. The
///   header may list several signatures separated by spaces (during a key
///   rotation); one valid `v1` is enough.
public enum WebhookSignature {
    public static let idHeader = "webhook-id"
    public static let timestampHeader = "webhook-timestamp"
    public static let signatureHeader = "webhook-signature"
    /// How far a timestamp may be from the receiver's clock: the reference
    /// libraries' five minutes.
    public static let tolerance: Duration = .seconds(300)

    /// What a receiver concluded about a request.
    public enum Verification: Sendable, Equatable {
        case valid
        case missingHeaders
        /// Older or newer than ``tolerance``: a replay, or a clock far off.
        case staleTimestamp
        case badSignature
    }

    /// The `webhook-signature` value for one attempt.
    public static func sign(id: String, timestamp: Int64, body: some DataProtocol, secret: WebhookSecret) -> String {
        "v1," + Data(Self.code(id: id, timestamp: String(timestamp), body: body, secret: secret)).base64EncodedString()
    }

    /// The three headers of one attempt signed at `now`.
    public static func headers(id: String, body: some DataProtocol, secret: WebhookSecret, now: Date = Date()) -> [(name: String, value: String)] {
        let timestamp = Int64(now.timeIntervalSince1970.rounded(.down))
        return [
            (Self.idHeader, id),
            (Self.timestampHeader, String(timestamp)),
            (Self.signatureHeader, Self.sign(id: id, timestamp: timestamp, body: body, secret: secret)),
        ]
    }

    /// What a receiver does with the three headers and the raw body: the
    /// timestamp within ``tolerance`` of `now`, and one `v1` signature equal
    /// to ours, compared in constant time.
    public static func verify(
        id: String?, timestamp: String?, signature: String?,
        body: some DataProtocol, secret: WebhookSecret, now: Date = Date()
    ) -> Verification {
        guard let id, let timestamp, let signature, let seconds = Int64(timestamp) else { return .missingHeaders }
        let age = now.timeIntervalSince1970 - Double(seconds)
        guard abs(age) <= Double(Self.tolerance.components.seconds) else { return .staleTimestamp }
        for candidate in signature.split(separator: " ") {
            let parts = candidate.split(separator: ",", maxSplits: 1)
            guard parts.count == 2, parts[0] == "v1", let expected = Data(base64Encoded: String(parts[1])) else { continue }
            let content = Self.signedContent(id: id, timestamp: timestamp, body: body)
            if HMAC<SHA256>.isValidAuthenticationCode(expected, authenticating: content, using: secret.key) {
                return .valid
            }
        }
        return .badSignature
    }

    private static func code(id: String, timestamp: String, body: some DataProtocol, secret: WebhookSecret) -> HMAC<SHA256>.MAC {
        HMAC<SHA256>.authenticationCode(for: Self.signedContent(id: id, timestamp: timestamp, body: body), using: secret.key)
    }

    private static func signedContent(id: String, timestamp: String, body: some DataProtocol) -> Data {
        var content = Data("\(id).\(timestamp).".utf8)
        content.append(contentsOf: body)
        return content
    }
}
