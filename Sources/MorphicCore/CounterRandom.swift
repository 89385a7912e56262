import CDraws

/// The counter-based randomness of docs/model.md section 2.
///
/// Every random number is a pure function of `(seed, stream, a, b)`, so any cell can draw
/// its number without regard to iteration order, thread or restart.
public enum CounterRandom {
    /// The independent streams a run draws from.
    public enum Stream: UInt64, Sendable {
        /// Initial cell states.
        case initial = 1
        /// Strength of a new crystal.
        case strength = 2
        /// Whether a winning crystal's influence is applied.
        case influence = 3
        /// Whether a cell follows the language model's table.
        case llm = 4
    }

    /// SplitMix64's finalizer: a bijection on 64-bit integers with good avalanche.
    @inlinable @inline(__always)
    public static func mix64(_ value: UInt64) -> UInt64 {
        var z = value
        z ^= z >> 30
        z &*= 0xBF58_476D_1CE4_E5B9
        z ^= z >> 27
        z &*= 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return z
    }

    /// `mix64(mix64(mix64(mix64(seed) ^ stream) ^ a) ^ b)`.
    @inlinable
    public static func rand(seed: UInt64, stream: Stream, _ a: UInt64, _ b: UInt64) -> UInt64 {
        mix64(prefix(seed: seed, stream: stream, a) ^ b)
    }

    /// Whether this processor makes a word's draws four at a time (``CDraws``: x86-64 with
    /// AVX-512 DQ and VL, found at run time): the same bits as ``mix64(_:)`` one at a time.
    static let drawsFourAtATime = cdraws_vector() != 0

    /// The draws of a word's cells 0 ..< `count`, four at a time: `draws[b]` is
    /// `mix64(prefix ^ (first + b))` (written up to `count` rounded up to four; `draws` holds
    /// 64), and the result has bit b set where that draw's top 53 bits are below `threshold`
    /// (``threshold(below:)``). Only where ``drawsFourAtATime``.
    @inline(__always)
    static func drawWord(
        prefix: UInt64, first: UInt64, count: Int, below threshold: UInt64, into draws: UnsafeMutablePointer<UInt64>
    ) -> UInt64 {
        cdraws_word(prefix, first, Int32(truncatingIfNeeded: count), threshold, draws)
    }

    /// A uniform double in [0, 1) built from the top 53 bits of `rand`.
    @inlinable
    public static func unit(seed: UInt64, stream: Stream, _ a: UInt64, _ b: UInt64) -> Double {
        unit(fromBits: rand(seed: seed, stream: stream, a, b))
    }

    /// The part of `rand` that does not depend on `b`; hot loops hoist it out of the cell loop.
    @inlinable
    public static func prefix(seed: UInt64, stream: Stream, _ a: UInt64) -> UInt64 {
        mix64(mix64(mix64(seed) ^ stream.rawValue) ^ a)
    }

    /// Maps 64 random bits to [0, 1) exactly as docs/model.md does.
    @inlinable @inline(__always)
    public static func unit(fromBits bits: UInt64) -> Double {
        Double(bits >> 11) * 0x1p-53
    }

    /// The integer t for which `unit(fromBits: bits) < probability` exactly when
    /// `bits >> 11 < t`: hot loops compare integers instead of converting each draw.
    ///
    /// A draw is m·2^-53 for its 53 bits m, so it is below p when m is below p·2^53 (exact:
    /// scaling by a power of two), that is below p·2^53 rounded up.
    @inlinable
    public static func threshold(below probability: Double) -> UInt64 {
        guard probability > 0 else { return 0 }
        guard probability < 1 else { return 1 << 53 }
        return UInt64((probability * 0x1p53).rounded(.up))
    }

    /// FNV-1a over the UTF-8 bytes of `text`.
    public static func fnv1a64(_ text: String) -> UInt64 { fnv1a64(bytes: text.utf8) }

    /// FNV-1a over `bytes`.
    public static func fnv1a64(bytes: some Sequence<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        return hash
    }

    /// The seed of a run that names none: `mix64(sweepSeed ^ fnv1a64(runID))`.
    public static func runSeed(sweepSeed: UInt64, runID: String) -> UInt64 {
        mix64(sweepSeed ^ fnv1a64(runID))
    }
}
