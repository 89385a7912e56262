/// A floating-point sum of terms, each one of a few values, added one at a time in a given
/// order, computed from how often each value occurs instead: the same bits, without a
/// dependent addition per term.
///
/// While a sum of non-negative terms stays within one binade [2^e, 2^(e+1)), the doubles it
/// can take are the multiples of one ulp u, and adding a term t rounds it to a multiple of
/// u: to floor(t/u), or one more when the remainder is above one half. That increment
/// depends on t alone (unless the remainder is exactly one half, where the sum's parity
/// decides), so the additions become integer ones, which may be done in any order.
struct OrderedSum {
    /// The sum so far.
    private(set) var value = 0.0
    /// The values a term takes (ten: a 3×3 block's live cells), held inline: a sum is made
    /// twice a step.
    private var terms = InlineArray<10, Double>(repeating: 0)
    /// Each term's increment in units of `unit`, the ulp they were worked out for (0: not
    /// yet); `none` where a term cannot be added as one (a tie, or too large).
    private var unit = 0.0
    private var steps = InlineArray<10, UInt64>(repeating: 0)
    private static let none = UInt64.max

    /// A sum of zero, of terms that take the values `term(0)` ... `term(9)`.
    init(_ term: (Int) -> Double) {
        for v in terms.indices { terms[v] = term(v) }
    }

    /// Adds `terms[v]`.
    mutating func add(_ v: Int) { value += terms[v] }

    /// Adds `terms[v]` `counts[v]` times, as adding them one at a time in any order would,
    /// and returns true; or returns false, changing nothing, when it cannot tell: when the
    /// sum is zero or subnormal, could leave its binade, or a term would round by a tie.
    mutating func add(counts: UnsafePointer<Int>) -> Bool {
        guard value.isNormal, value > 0 else { return false }
        let ulp = value.ulp
        if ulp != unit { workOutSteps(ulp) }
        let top: UInt64 = 1 << 53
        // Exact: a multiple of the ulp divided by it.
        var total = UInt64(value / ulp)
        for v in terms.indices where counts[v] > 0 {
            let step = steps[v]
            guard step != Self.none else { return false }
            let (added, overflow) = step.multipliedReportingOverflow(by: UInt64(counts[v]))
            guard !overflow, added < top - total else { return false }
            total += added
        }
        value = Double(total) * ulp
        return true
    }

    private mutating func workOutSteps(_ ulp: Double) {
        unit = ulp
        for v in terms.indices {
            steps[v] = Self.none
            let term = terms[v]
            guard term >= 0 else { continue }
            // Exact: dividing by a power of two.
            let units = term / ulp
            guard units < 0x1p53 else { continue }
            let whole = units.rounded(.down)
            let remainder = units - whole
            guard remainder != 0.5 else { continue }
            steps[v] = UInt64(whole) + (remainder > 0.5 ? 1 : 0)
        }
    }
}
