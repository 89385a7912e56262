import Foundation

/// Similarity takes few distinct values (k² + 1 for Hamming, a ratio of two counts up to
/// k² for Jaccard), so the threshold test and `pow(similarity, e)` are looked up, not computed.
struct SimilarityTable: Sendable {
    let measure: SimilarityMeasure
    /// Indexed by ``index(window:form:)``: similarity > θ.
    let passes: [Bool]
    /// Indexed by ``index(window:form:)``: `pow(similarity, e)`.
    let powers: [Double]
    /// Hamming: the distances that pass are 0..<passing (similarity falls with distance).
    let passing: Int
    /// Hamming: whether the powers of the passing distances never rise with distance (as the
    /// similarity falls; `pow` is not promised to follow it, so it is checked).
    let fallsWithDistance: Bool

    init(_ configuration: RunConfiguration) {
        measure = configuration.similarity
        let cells = configuration.formSize * configuration.formSize
        var similarities: [Double?]
        switch measure {
        case .hamming:
            similarities = (0...cells).map { Double(cells - $0) / Double(cells) }
        case .jaccard:
            similarities = Array(repeating: nil, count: 64 * 64)
            for union in 1...cells {
                for both in 0...union { similarities[both << 6 | union] = Double(both) / Double(union) }
            }
        }
        let threshold = configuration.similarityThreshold
        passes = similarities.map { $0.map { $0 > threshold } ?? false }
        powers = similarities.map { $0.map { pow($0, configuration.influenceExponent) } ?? 0 }
        passing = passes.firstIndex(of: false) ?? passes.count
        let powers = self.powers
        fallsWithDistance = measure == .hamming && (0..<max(0, passing - 1)).allSatisfy { powers[$0 + 1] <= powers[$0] }
    }

    /// Hamming: cells that differ. Jaccard: live cells in both (high bits) and in either.
    @inline(__always)
    func index(window: UInt64, form: UInt64) -> Int {
        switch measure {
        case .hamming: (window ^ form).nonzeroBitCount
        case .jaccard: (window & form).nonzeroBitCount &<< 6 | (window | form).nonzeroBitCount
        }
    }
}
