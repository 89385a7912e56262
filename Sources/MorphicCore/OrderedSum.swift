/// A floating-point sum of terms, each one of a few values, added one at a time in a given
/// order, computed from how often each value occurs instead: the same bits, without a
/// dependent addition per term.
///
/// While a sum of non-negative terms stays within one binade [2^e, 2^(e+1)), the doubles it
/// can take are the multiples of one ulp u, and adding a term t rounds it to a multiple of
/// u: to floor(t/u), or one more when the remainder is above one half. That increment
/// depends on t alone (unless the remainder is exactly one half, where the sum's parity
/// decides), so the additions become integer ones, which may be done in any order.
enum OrderedSum {
    /// Adds `terms[v]` `counts[v]` times to `sum`, as adding them one at a time in any order
    /// would, and returns true; or returns false, leaving `sum` unchanged, when it cannot
    /// tell: when the sum is zero or subnormal, could leave its binade, or a term would
    /// round by a tie.
    static func add(counts: UnsafePointer<Int>, terms: UnsafeBufferPointer<Double>, to sum: inout Double) -> Bool {
        guard sum.isNormal, sum > 0 else { return false }
        let ulp = sum.ulp
        let top: UInt64 = 1 << 53
        var total = UInt64(sum / ulp)
        for value in terms.indices where counts[value] > 0 {
            let term = terms[value]
            guard term >= 0 else { return false }
            // Exact: dividing by a power of two.
            let units = term / ulp
            guard units < Double(top) else { return false }
            let whole = units.rounded(.down)
            let remainder = units - whole
            guard remainder != 0.5 else { return false }
            let step = UInt64(whole) + (remainder > 0.5 ? 1 : 0)
            let (added, overflow) = step.multipliedReportingOverflow(by: UInt64(counts[value]))
            guard !overflow, added < top - total else { return false }
            total += added
        }
        sum = Double(total) * ulp
        return true
    }
}
