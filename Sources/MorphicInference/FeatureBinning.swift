/// Each feature's values cut into at most ``InferenceLimits/bins`` bins at quantiles of the
/// training runs' values, so that a tree node finds its best split from a histogram in
/// time linear in its runs instead of sorting them. Bin 0 holds undefined values (NaN).
struct FeatureBinning: Sendable {
    /// Per feature, ascending cut points: a value's bin is 1 + the number of cuts below it.
    let cuts: [[Double]]

    /// The cuts from the values of `rows` in `x`.
    init(x: [[Double]], rows: [Int], featureCount: Int, bins: Int) {
        precondition(bins >= 3 && bins <= 256)
        cuts = (0..<featureCount).map { feature in
            let values = rows.map { x[$0][feature] }.filter { !$0.isNaN }.sorted()
            var distinct: [Double] = []
            for value in values where distinct.last != value { distinct.append(value) }
            guard distinct.count > 1 else { return [] }
            let realBins = bins - 1
            if distinct.count <= realBins {
                return (1..<distinct.count).map { (distinct[$0 - 1] + distinct[$0]) / 2 }
            }
            var result: [Double] = []
            for step in 1..<realBins {
                let cut = values[step * values.count / realBins]
                if result.last != cut && cut != values.last { result.append(cut) }
            }
            return result
        }
    }

    /// The bin of `value` for `feature`.
    @inline(__always)
    func bin(_ value: Double, feature: Int) -> UInt8 {
        if value.isNaN { return 0 }
        return UInt8(1 + cuts[feature].firstIndex(notBelow: value))
    }

    /// One run's bins, feature by feature.
    func bins(_ row: [Double]) -> [UInt8] { row.indices.map { bin(row[$0], feature: $0) } }

    /// The bins of every run of `x`, feature-major (`result[feature][run]`), for training.
    func columns(_ x: [[Double]]) -> [[UInt8]] {
        cuts.indices.map { feature in x.map { bin($0[feature], feature: feature) } }
    }
}
