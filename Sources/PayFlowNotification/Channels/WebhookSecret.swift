import Crypto
import Foundation

/// `WEBHOOK_SECRET` in the Standard Webhooks form: `whsec_` followed by the
/// base64 of the key bytes, the form the specification's reference libraries
/// take (`Webhook("whsec_...")`), so a receiver pastes the same string.
///
/// The key must be 24 to 64 bytes, as the specification recommends: a short
/// text password would be the weakest part of the signature.
/// Generate one with `echo "whsec_$(openssl rand -base64 32)"`.
public struct WebhookSecret: Sendable {
    public static let prefix = "whsec_"
    public static let keyLengths = 24...64

    /// The HMAC-SHA256 key.
    let key: SymmetricKey

    /// Nil when `text` is not `whsec_<base64>` of 24 to 64 bytes; ``problem(with:)`` says why.
    public init?(_ text: String) {
        guard Self.problem(with: text) == nil, let bytes = Data(base64Encoded: String(text.dropFirst(Self.prefix.count))) else {
            return nil
        }
        self.key = SymmetricKey(data: bytes)
    }

    /// A secret of `bytes` (tests, and whoever generates secrets in code).
    public init(bytes: [UInt8]) {
        self.key = SymmetricKey(data: bytes)
    }

    /// The `whsec_` text of this secret.
    public var text: String {
        Self.prefix + self.key.withUnsafeBytes { Data($0).base64EncodedString() }
    }

    /// What is wrong with `text` as a secret, for the configuration error; nil if nothing.
    public static func problem(with text: String) -> String? {
        guard text.hasPrefix(Self.prefix) else {
            return "must be whsec_<base64 of 24 to 64 random bytes> (Standard Webhooks), e.g. whsec_$(openssl rand -base64 32)"
        }
        guard let bytes = Data(base64Encoded: String(text.dropFirst(Self.prefix.count))) else {
            return "the part after whsec_ must be base64"
        }
        guard Self.keyLengths.contains(bytes.count) else {
            return "must hold 24 to 64 bytes of key, has \(bytes.count)"
        }
        return nil
    }
}
