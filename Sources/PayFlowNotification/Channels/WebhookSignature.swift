import Crypto
import Foundation

/// `X-PayFlow-Signature: sha256=<hex>`: the HMAC-SHA256 of the exact body
/// bytes with `WEBHOOK_SECRET`, so a receiver can tell our requests from
/// anyone else's and detect a body changed on the way. Receivers must compute
/// it over the raw bytes they received, before parsing the JSON.
public enum WebhookSignature {
    public static let headerName = "X-PayFlow-Signature"
    public static let prefix = "sha256="

    /// The header value for `body` under `secret`.
    public static func sign(_ body: some DataProtocol, secret: String) -> String {
        let code = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: Data(secret.utf8)))
        return Self.prefix + code.map { String(format: "%02x", $0) }.joined()
    }

    /// Whether `header` is the signature of `body` under `secret`, compared in
    /// constant time (what a receiver should do).
    public static func isValid(_ header: String, body: some DataProtocol, secret: String) -> Bool {
        guard header.hasPrefix(Self.prefix), let expected = Self.bytes(hex: String(header.dropFirst(Self.prefix.count))) else {
            return false
        }
        return HMAC<SHA256>.isValidAuthenticationCode(expected, authenticating: body, using: SymmetricKey(data: Data(secret.utf8)))
    }

    private static func bytes(hex: String) -> [UInt8]? {
        let characters = Array(hex.utf8)
        guard characters.count == 64 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        var index = 0
        while index < characters.count {
            guard let high = Self.nibble(characters[index]), let low = Self.nibble(characters[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func nibble(_ character: UInt8) -> UInt8? {
        switch character {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): character - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): character - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
