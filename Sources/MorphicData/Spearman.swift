/// Spearman's rank correlation, with tied values given their average rank.
///
/// x (a swept parameter) takes few distinct values, so it is kept as codes into a table of
/// them; y is ranked by visiting it in ascending order, so it need not be held (see
/// ``SpilledSamples``).
public enum Spearman {
    /// Distinct values, each with a code (its position in `values`).
    public struct Codes: Sendable {
        /// The distinct values, by code.
        public private(set) var values: [Double] = []
        private var known: [Double: UInt32] = [:]

        /// No values yet.
        public init() {}

        /// The code of `value`, new if it was not seen before.
        public mutating func code(of value: Double) -> UInt32 {
            if let code = known[value] { return code }
            values.append(value)
            known[value] = UInt32(values.count - 1)
            return UInt32(values.count - 1)
        }
    }

    /// The correlation of `x` and `y`, or nil when there are fewer than 3 pairs or either
    /// variable is constant.
    public static func correlation(_ x: [Double], _ y: [Double]) -> Double? {
        precondition(x.count == y.count)
        var codes = Codes()
        let coded = x.map { codes.code(of: $0) }
        var sums = RankSums(codes: codes.values, count: y.count)
        for index in y.indices.sorted(by: { y[$0] < y[$1] }) { sums.add(y[index], code: coded[index]) }
        return sums.correlation
    }

    /// Sums of y's ranks by x's code, from y visited in ascending order: all a correlation
    /// needs, in memory proportional to x's distinct values.
    public struct RankSums {
        private let values: [Double]
        /// Ranks 1...n average (n + 1) / 2, ties or not.
        private let mean: Double
        private var counts: [Int]
        /// Per code, the sum over its pairs of (rank of y − mean rank).
        private var deviations: [Double]
        private var syy = 0.0
        private var seen = 0
        // The current run of tied y values: where it started, and its pairs' codes counted.
        private var tie: (value: Double, start: Int)?
        private var tied: [Int: Int] = [:]

        /// Sums for `count` pairs whose x takes `values` (by code).
        public init(codes values: [Double], count: Int) {
            self.values = values
            mean = Double(count + 1) / 2
            counts = Array(repeating: 0, count: values.count)
            deviations = Array(repeating: 0, count: values.count)
        }

        /// Adds a pair; pairs come in ascending order of y.
        public mutating func add(_ y: Double, code: UInt32) {
            if let tie, tie.value != y { closeTie() }
            if tie == nil { tie = (y, seen) }
            tied[Int(code), default: 0] += 1
            counts[Int(code)] += 1
            seen += 1
        }

        /// Gives the tied pairs their average rank.
        private mutating func closeTie() {
            guard let tie else { return }
            let deviation = Double(tie.start + seen + 1) / 2 - mean
            for (code, count) in tied {
                deviations[code] += deviation * Double(count)
                syy += deviation * deviation * Double(count)
            }
            tied.removeAll(keepingCapacity: true)
            self.tie = nil
        }

        /// The correlation, or nil with fewer than 3 pairs or a constant variable.
        public var correlation: Double? {
            var sums = self
            sums.closeTie()
            guard sums.seen >= 3 else { return nil }
            precondition(Double(sums.seen + 1) / 2 == mean, "RankSums was told another count of pairs")
            var xRanks = [Double](repeating: 0, count: values.count)
            var below = 0
            for code in values.indices.sorted(by: { values[$0] < values[$1] }) {
                xRanks[code] = Double(below) + Double(sums.counts[code] + 1) / 2
                below += sums.counts[code]
            }
            var sxy = 0.0
            var sxx = 0.0
            for code in values.indices {
                let count = Double(sums.counts[code])
                sxy += (xRanks[code] - mean) * sums.deviations[code]
                sxx += count * (xRanks[code] - mean) * (xRanks[code] - mean)
            }
            guard sxx > 0 && sums.syy > 0 else { return nil }
            return sxy / (sxx * sums.syy).squareRoot()
        }
    }
}
