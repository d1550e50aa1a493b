import Foundation
import PayFlowDomain

/// The simulation's only source of randomness: xoshiro256** seeded through
/// SplitMix64.
///
/// Written here rather than borrowed because the event sequence must be a pure
/// function of the seed, on every platform and every Swift release: the
/// standard library documents no algorithm for `SystemRandomNumberGenerator`
/// nor for `Int.random(in:using:)`, so every draw the simulation makes goes
/// through the helpers below, whose arithmetic is spelled out.
struct SeededRandom: RandomNumberGenerator, Sendable, Codable {
    private(set) var s0: UInt64
    private(set) var s1: UInt64
    private(set) var s2: UInt64
    private(set) var s3: UInt64

    /// Expands one 64-bit seed into the 256-bit state with SplitMix64, as the
    /// xoshiro authors recommend, so that nearby seeds give unrelated streams
    /// and the state is never all zero.
    init(seed: UInt64) {
        var splitMix = seed
        func nextSplitMix() -> UInt64 {
            splitMix &+= 0x9E37_79B9_7F4A_7C15
            var z = splitMix
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        self.s0 = nextSplitMix()
        self.s1 = nextSplitMix()
        self.s2 = nextSplitMix()
        self.s3 = nextSplitMix()
    }

    mutating func next() -> UInt64 {
        let result = (self.s1 &* 5).rotatedLeft(by: 7) &* 9
        let t = self.s1 << 17
        self.s2 ^= self.s0
        self.s3 ^= self.s1
        self.s1 ^= self.s2
        self.s0 ^= self.s3
        self.s2 ^= t
        self.s3 = self.s3.rotatedLeft(by: 45)
        return result
    }

    // MARK: - Uniform draws

    /// A double in [0, 1) from the top 53 bits.
    mutating func nextDouble() -> Double {
        Double(self.next() >> 11) * 0x1p-53
    }

    /// A double in [lower, upper).
    mutating func nextDouble(in lower: Double, _ upper: Double) -> Double {
        lower + (upper - lower) * self.nextDouble()
    }

    /// An integer in [0, bound), without modulo bias (Lemire's method with
    /// rejection).
    mutating func nextInt(below bound: Int) -> Int {
        precondition(bound > 0, "bound must be positive")
        let range = UInt64(bound)
        var product = self.next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold {
                product = self.next().multipliedFullWidth(by: range)
            }
        }
        return Int(product.high)
    }

    mutating func nextInt(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + self.nextInt(below: range.upperBound - range.lowerBound + 1)
    }

    mutating func nextInt64(in range: ClosedRange<Int64>) -> Int64 {
        range.lowerBound + Int64(self.nextInt(below: Int(range.upperBound - range.lowerBound + 1)))
    }

    /// True with the given probability (always false at 0, always true at 1).
    mutating func nextBool(probability: Double) -> Bool {
        self.nextDouble() < probability
    }

    mutating func pick<Element>(_ elements: [Element]) -> Element {
        elements[self.nextInt(below: elements.count)]
    }

    // MARK: - Shaped draws

    /// Exponential with the given mean: the waiting time of a Poisson process.
    mutating func nextExponential(mean: Double) -> Double {
        -log(1 - self.nextDouble()) * mean
    }

    /// Standard normal, by Box–Muller (one of the pair is discarded, which
    /// keeps the generator free of hidden state).
    mutating func nextNormal() -> Double {
        let u1 = 1 - self.nextDouble()
        let u2 = self.nextDouble()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }

    /// Log-normal whose median is `median`: most draws near it, a long right tail.
    mutating func nextLogNormal(median: Double, sigma: Double) -> Double {
        median * exp(sigma * self.nextNormal())
    }

    /// Pareto with minimum `scale`: heavy-tailed, so a few draws are far above
    /// the rest (busy accounts).
    mutating func nextPareto(scale: Double, shape: Double) -> Double {
        scale * pow(1 - self.nextDouble(), -1 / shape)
    }

    // MARK: - Identifiers

    /// A version 4 UUID made of generator bytes, so event ids replay with the seed.
    mutating func nextUUID() -> UUID {
        let high = self.next()
        let low = self.next()
        func byte(_ word: UInt64, _ index: Int) -> UInt8 {
            UInt8(truncatingIfNeeded: word >> UInt64(56 - 8 * index))
        }
        return UUID(uuid: (
            byte(high, 0), byte(high, 1), byte(high, 2), byte(high, 3),
            byte(high, 4), byte(high, 5), (byte(high, 6) & 0x0F) | 0x40, byte(high, 7),
            (byte(low, 0) & 0x3F) | 0x80, byte(low, 1), byte(low, 2), byte(low, 3),
            byte(low, 4), byte(low, 5), byte(low, 6), byte(low, 7)
        ))
    }

    /// An event id: a version 7 UUID, the event's time in its first 48 bits
    /// (Unix milliseconds) and ``nextUUID()``'s other 74 bits, so ids replay
    /// with the seed and consume the same draws.
    ///
    /// Why time-ordered: every group keys a table by the event id (the
    /// ledger, reconciliation's seen rows, analytics' events, the alerts' and
    /// notifications' event index, the audit rows' event index). With
    /// random ids each insert lands on a random leaf of each of those B-trees
    /// (a cache miss, and after every checkpoint a full page image in the
    /// WAL); with ids that grow with time the inserts go to the right edge,
    /// as they do for every time-ordered key.
    mutating func nextEventID(at time: EventTimestamp) -> UUID {
        var bytes = self.nextUUID().uuid
        let milliseconds = UInt64(clamping: max(0, time.microsecondsSinceEpoch / 1000))
        bytes.0 = UInt8(truncatingIfNeeded: milliseconds >> 40)
        bytes.1 = UInt8(truncatingIfNeeded: milliseconds >> 32)
        bytes.2 = UInt8(truncatingIfNeeded: milliseconds >> 24)
        bytes.3 = UInt8(truncatingIfNeeded: milliseconds >> 16)
        bytes.4 = UInt8(truncatingIfNeeded: milliseconds >> 8)
        bytes.5 = UInt8(truncatingIfNeeded: milliseconds)
        bytes.6 = (bytes.6 & 0x0F) | 0x70
        return UUID(uuid: bytes)
    }

    /// `count` lowercase hexadecimal digits, for device ids.
    mutating func nextHex(count: Int) -> String {
        let digits = Array("0123456789abcdef")
        var text = ""
        for _ in 0..<count {
            text.append(digits[self.nextInt(below: 16)])
        }
        return text
    }
}

extension UInt64 {
    fileprivate func rotatedLeft(by amount: UInt64) -> UInt64 {
        (self << amount) | (self >> (64 - amount))
    }
}
