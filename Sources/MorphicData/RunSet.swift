/// Runs of a sweep, by index, one bit each: which of a million runs are finished takes
/// 125 KB.
public struct RunSet: Sendable {
    private var words: [UInt64]

    /// No run of a sweep of `count` runs.
    public init(count: Int) { words = Array(repeating: 0, count: (count + 63) / 64) }

    /// Whether run `index` is in the set.
    public func contains(_ index: Int) -> Bool { words[index >> 6] & (1 << UInt64(index & 63)) != 0 }

    /// Adds run `index`.
    public mutating func insert(_ index: Int) { words[index >> 6] |= 1 << UInt64(index & 63) }

    /// Takes run `index` out.
    public mutating func remove(_ index: Int) { words[index >> 6] &= ~(1 << UInt64(index & 63)) }

    /// How many runs the set holds.
    public var count: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }
}
