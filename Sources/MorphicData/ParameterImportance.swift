import Foundation

/// How much of a statistic's variance each parameter explains on its own: the correlation
/// ratio η² (between-group over total sum of squares), the runs grouped by the parameter's
/// value, or by ``RunAggregate``'s equal-width bins when it takes more values than a chart
/// separates. Every share is between 0 and 1; on a full grid, whose parameters are crossed
/// and balanced, the main effects are orthogonal and the shares sum to at most 1, the rest
/// being interactions and the replicates' noise.
public struct ParameterImportance: Sendable {
    /// One parameter's share of the variance.
    public struct Share: Sendable, Equatable {
        public let name: String
        /// η², from 0 (the statistic's mean is the same at every value) to 1 (the value
        /// alone fixes the statistic).
        public let explained: Double
        /// Values (or bins) the runs were grouped by.
        public let groups: Int
    }

    /// Runs counted: a finite statistic and a finite value of every parameter.
    public let runs: Int
    /// The parameters, most explaining first.
    public let shares: [Share]

    /// Shares of `y`'s variance explained by each of `parameters` (columns of the same runs).
    public init(y: [Double], parameters: [(name: String, values: [Double])]) {
        let kept = y.indices.filter { index in
            y[index].isFinite && parameters.allSatisfy { $0.values[index].isFinite }
        }
        runs = kept.count
        var sum = 0.0
        for index in kept { sum += y[index] }
        let mean = kept.isEmpty ? 0 : sum / Double(kept.count)
        var total = 0.0
        for index in kept { total += (y[index] - mean) * (y[index] - mean) }
        shares = parameters.map { parameter in
            let key = RunAggregate.binning(kept.map { parameter.values[$0] }, maximum: RunAggregate.maximumPoints).key
            var groups: [Double: (count: Int, sum: Double)] = [:]
            for index in kept {
                guard let group = key(parameter.values[index]) else { continue }
                groups[group, default: (0, 0)].count += 1
                groups[group, default: (0, 0)].sum += y[index]
            }
            var between = 0.0
            // In the groups' order, not the dictionary's, which differs between two dictionaries
            // of the same groups: the same question gets the same bits every time.
            for group in groups.sorted(by: { $0.key < $1.key }).map(\.value) {
                let difference = group.sum / Double(group.count) - mean
                between += Double(group.count) * difference * difference
            }
            // No variance: nothing to explain.
            let explained = total > 0 ? min(1, between / total) : 0
            return Share(name: parameter.name, explained: explained, groups: groups.count)
        }
        .sorted { $0.explained > $1.explained || ($0.explained == $1.explained && $0.name < $1.name) }
    }
}
