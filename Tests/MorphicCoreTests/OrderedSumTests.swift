@testable import MorphicCore
import Testing

/// Sums from counts against sums one term at a time: the same bits, on random terms,
/// among them ones that round by ties, and sums that cross many binades.
@Suite struct OrderedSumTests {
    /// Ten terms: uniform ones, small odd multiples of 2^-53 (ties near 1), zero and one.
    static func terms(random: inout some RandomNumberGenerator) -> [Double] {
        (0..<10).map { _ in
            switch Int.random(in: 0..<4, using: &random) {
            case 0: Double(2 * Int.random(in: 0..<8, using: &random) + 1) * 0x1p-53
            case 1: [0, 1, 1.0 / 9][Int.random(in: 0..<3, using: &random)]
            default: Double.random(in: 0...1, using: &random)
            }
        }
    }

    @Test func sumsFromCounts_EqualSumsOneAtATime() {
        var random = SystemRandomNumberGenerator()
        var counted = 0
        var declined = 0
        for _ in 0..<300 {
            let terms = Self.terms(random: &random)
            var expected = 0.0
            var sum = OrderedSum { terms[$0] }
            for _ in 0..<Int.random(in: 1...120, using: &random) {
                let values = (0..<Int.random(in: 0...400, using: &random)).map { _ in Int.random(in: 0..<10, using: &random) }
                for value in values { expected += terms[value] }
                var counts = [Int](repeating: 0, count: 10)
                for value in values { counts[value] += 1 }
                if sum.add(counts: counts) {
                    counted += 1
                } else {
                    declined += 1
                    for value in values { sum.add(value) }
                }
                #expect(sum.value.bitPattern == expected.bitPattern, "\(sum.value) vs \(expected), terms \(terms)")
            }
        }
        // Both ways were taken many times: most rows are counted, binade crossings and ties are not.
        #expect(counted > 5000 && declined > 300, "counted \(counted), declined \(declined)")
    }

    @Test func aTie_IsDeclined_AndChangesNothing() {
        var sum = OrderedSum { [1, 0x1p-53][min($0, 1)] }
        sum.add(0)
        let added = sum.add(counts: [0, 1, 0, 0, 0, 0, 0, 0, 0, 0])
        #expect(!added)
        #expect(sum.value == 1.0)
    }
}
