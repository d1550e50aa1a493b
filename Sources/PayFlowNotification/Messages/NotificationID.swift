import Crypto
import Foundation

/// The id of a notification, derived rather than random so that every
/// delivery of the same entry (redelivery, claim by another replica, restart)
/// computes the same one. It is the primary key of `notifications` and the
/// webhook's `Idempotency-Key`, which is what lets a receiver drop a second
/// copy sent after a crash between its `200` and our database commit.
///
/// SHA-256 of `<source kind>:<source id>:<channel>`, its first 16 bytes as a
/// UUID with the version nibble set to 8 (RFC 9562 custom) and the RFC variant.
public enum NotificationID {
    public static func make(sourceKind: String, sourceID: String, channel: String) -> UUID {
        let digest = Array(SHA256.hash(data: Data("\(sourceKind):\(sourceID):\(channel)".utf8)))
        var bytes = Array(digest.prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x80
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        return UUID(uuid: (
            bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
            bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
        ))
    }
}
