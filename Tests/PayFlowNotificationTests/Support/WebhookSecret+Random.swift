import PayFlowNotification

extension WebhookSecret {
    /// A fresh 32-byte secret, as `whsec_$(openssl rand -base64 32)` makes one.
    static func random() -> WebhookSecret {
        WebhookSecret(bytes: (0..<32).map { _ in UInt8.random(in: 0...255) })
    }
}
