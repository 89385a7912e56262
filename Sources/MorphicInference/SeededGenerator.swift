/// A SplitMix64 generator: small, fast, and the same stream on every machine, so that a
/// forest and its draws are a pure function of the reference's seed.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator for the stream named by `seed` and `stream` (a forest, a tree).
    public init(seed: UInt64, stream: UInt64 = 0) {
        state = Self.mix(seed ^ Self.mix(stream &+ 0x9E37_79B9_7F4A_7C15))
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    /// A uniform draw in [0, 1) with 53 random bits.
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// A uniform index in 0..<count.
    public mutating func index(below count: Int) -> Int { Int(next().multipliedFullWidth(by: UInt64(count)).high) }

    /// The SplitMix64 finalizer.
    public static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
