/// The Sobol low-discrepancy sequence in up to 18 dimensions, with Joe and Kuo's direction
/// numbers (`new-joe-kuo-6.21201`), unscrambled, 32 bits per coordinate.
///
/// Point i is the XOR of the direction numbers of the bits of i's Gray code, i ^ (i >> 1):
/// the order of Antonov and Saleev, which `scipy.stats.qmc.Sobol(d, scramble=False)` also
/// follows, so point i here is point i there. Point 0 is the origin. Any point is computed
/// from its index alone, without the points before it.
public struct SobolSequence: Sendable {
    /// The most dimensions: one per parameter a sweep can sample.
    public static let maximumDimensions = 18

    /// Degree s, coefficients a and initial numbers m₁…m_s of each dimension's primitive
    /// polynomial, from Joe and Kuo's table; the first dimension is the van der Corput sequence.
    private static let table: [(s: Int, a: UInt32, m: [UInt32])] = [
        (0, 0, []),
        (1, 0, [1]),
        (2, 1, [1, 3]),
        (3, 1, [1, 3, 1]),
        (3, 2, [1, 1, 1]),
        (4, 1, [1, 1, 3, 3]),
        (4, 4, [1, 3, 5, 13]),
        (5, 2, [1, 1, 5, 5, 17]),
        (5, 4, [1, 1, 5, 5, 5]),
        (5, 7, [1, 1, 7, 11, 19]),
        (5, 11, [1, 1, 5, 1, 1]),
        (5, 13, [1, 1, 1, 3, 11]),
        (5, 14, [1, 3, 5, 5, 31]),
        (6, 1, [1, 3, 3, 9, 7, 49]),
        (6, 13, [1, 1, 1, 15, 21, 21]),
        (6, 16, [1, 3, 1, 13, 27, 49]),
        (6, 19, [1, 1, 1, 15, 7, 5]),
        (6, 22, [1, 3, 1, 15, 13, 25]),
    ]

    /// Direction numbers V₁…V₃₂ of each dimension, scaled to 32 bits.
    private let directions: [[UInt32]]

    /// The sequence in `dimensions` dimensions (1...``maximumDimensions``).
    public init(dimensions: Int) {
        precondition((1...Self.maximumDimensions).contains(dimensions), "Sobol dimensions out of range")
        directions = Self.table.prefix(dimensions).map { row in
            var v = [UInt32](repeating: 0, count: 32)
            guard row.s > 0 else {
                for k in 0..<32 { v[k] = 1 << (31 - k) }
                return v
            }
            for k in 0..<row.s { v[k] = row.m[k] << (31 - k) }
            for k in row.s..<32 {
                var value = v[k - row.s] ^ (v[k - row.s] >> UInt32(row.s))
                for i in 1..<row.s where (row.a >> UInt32(row.s - 1 - i)) & 1 == 1 { value ^= v[k - i] }
                v[k] = value
            }
            return v
        }
    }

    /// Coordinate `dimension` of point `index` as 32 bits: the coordinate is this / 2³².
    public func bits(index: UInt32, dimension: Int) -> UInt32 {
        var gray = index ^ (index >> 1)
        var value: UInt32 = 0
        var bit = 0
        while gray != 0 {
            if gray & 1 == 1 { value ^= directions[dimension][bit] }
            gray >>= 1
            bit += 1
        }
        return value
    }

    /// Coordinate `dimension` of point `index`, in [0, 1).
    public func coordinate(index: UInt32, dimension: Int) -> Double {
        Double(bits(index: index, dimension: dimension)) * 0x1p-32
    }
}
