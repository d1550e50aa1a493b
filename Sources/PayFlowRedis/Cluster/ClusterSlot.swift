/// The hash slot (0 ..< 16384) a key lives in on Redis Cluster.
///
/// Every node computes it the same way (CRC16/XMODEM of the key, or of its
/// hash tag, modulo 16384), so a client that computes it too can send each
/// command straight to the node that owns the key instead of paying a
/// `MOVED` round trip on every call.
public struct ClusterSlot: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// How many slots a cluster has; fixed by Redis.
    public static let count = 16384

    public let number: Int

    public init(_ number: Int) {
        precondition((0..<Self.count).contains(number), "a cluster slot is 0..<16384, not \(number)")
        self.number = number
    }

    /// The slot of `key`. A hash tag, the text between the first `{` and the
    /// first `}` after it when that text is not empty, stands for the whole
    /// key: `payflow:events:{1}` and `payflow:af:{1}:x` share a slot, which is
    /// how keys that must move together (a stream and its per-account state)
    /// are kept on one node.
    public init(key: some RedisArgument) {
        self.init(keyBytes: key.redisBytes)
    }

    public init(keyBytes key: [UInt8]) {
        let hashed = Self.hashTag(of: key) ?? key[...]
        self.number = Int(crc16XMODEM(hashed) & UInt16(Self.count - 1))
    }

    private static func hashTag(of key: [UInt8]) -> ArraySlice<UInt8>? {
        guard let open = key.firstIndex(of: UInt8(ascii: "{")),
              let close = key[(open + 1)...].firstIndex(of: UInt8(ascii: "}")),
              close > open + 1
        else { return nil }
        return key[(open + 1)..<close]
    }

    public static func < (lhs: ClusterSlot, rhs: ClusterSlot) -> Bool { lhs.number < rhs.number }

    public var description: String { "slot \(self.number)" }
}

/// CRC16 with polynomial 0x1021, initial value 0, no reflection: the variant
/// Redis Cluster's key distribution is defined with.
private func crc16XMODEM(_ bytes: ArraySlice<UInt8>) -> UInt16 {
    var crc: UInt16 = 0
    for byte in bytes {
        crc = (crc << 8) ^ crc16Table[Int(UInt8(truncatingIfNeeded: crc >> 8) ^ byte)]
    }
    return crc
}

private let crc16Table: [UInt16] = (0..<256).map { index in
    var crc = UInt16(index) << 8
    for _ in 0..<8 {
        crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1
    }
    return crc
}
