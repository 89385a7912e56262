/// Spearman's rank correlation, with tied values given their average rank.
///
/// The variable x (a swept parameter) takes few distinct values, so it is kept as codes into
/// a table of them and ranked by counting; y is ranked in place. A million pairs take 16 MB.
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
        var ranks = y
        rank(&ranks)
        return correlation(coded, codes.values, yRanks: ranks)
    }

    /// The correlation of x, given as `codes` into `values`, with y, given as its ranks.
    public static func correlation(_ codes: [UInt32], _ values: [Double], yRanks: [Double]) -> Double? {
        precondition(codes.count == yRanks.count)
        guard codes.count >= 3 else { return nil }
        var counts = [Int](repeating: 0, count: values.count)
        for code in codes { counts[Int(code)] += 1 }
        var xRanks = [Double](repeating: 0, count: values.count)
        var below = 0
        for code in values.indices.sorted(by: { values[$0] < values[$1] }) {
            xRanks[code] = Double(below) + Double(counts[code] + 1) / 2
            below += counts[code]
        }
        // Ranks 1...n average (n + 1) / 2, ties or not.
        let mean = Double(codes.count + 1) / 2
        var sxy = 0.0
        var sxx = 0.0
        var syy = 0.0
        for (code, ry) in zip(codes, yRanks) {
            let dx = xRanks[Int(code)] - mean
            sxy += dx * (ry - mean)
            sxx += dx * dx
            syy += (ry - mean) * (ry - mean)
        }
        guard sxx > 0 && syy > 0 else { return nil }
        return sxy / (sxx * syy).squareRoot()
    }

    /// Replaces `values` by their 1-based ranks, ties averaged. A group of ties is found
    /// before any of it is overwritten, and later groups hold other positions.
    public static func rank(_ values: inout [Double]) {
        let order = (0..<UInt32(values.count)).sorted { values[Int($0)] < values[Int($1)] }
        var start = 0
        while start < order.count {
            var end = start + 1
            while end < order.count && values[Int(order[end])] == values[Int(order[start])] { end += 1 }
            let average = Double(start + end + 1) / 2
            for position in start..<end { values[Int(order[position])] = average }
            start = end
        }
    }
}
