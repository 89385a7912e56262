import Foundation
import MorphicCore

/// How much of a statistic's variance each parameter explains on its own: the correlation
/// ratio η² (between-group over total sum of squares), the runs grouped by the parameter's
/// value, or by ``RunAggregate``'s equal-width bins when it takes more values than a chart
/// separates.
///
/// Each parameter is judged over the runs where it acts (``actsWhere(_:)``): a control run
/// has no field, so its field strength, recorded but inert, says nothing about what field
/// strength does. Every share is between 0 and 1; on a full grid, whose parameters are crossed
/// and balanced, the main effects over the same runs are orthogonal and sum to at most 1, the
/// rest being interactions and the replicates' noise. A share that a ratio of sums of squares
/// cannot give (no runs, a statistic that does not vary, a parameter held at one value) or
/// that it gives whatever the runs (one run at each value, so no spread within a value and a
/// share of 1) is undefined, with the reason, never a 0 that reads as "does not matter" nor a
/// 1 that reads as "decides everything".
public struct ParameterImportance: Sendable {
    /// One parameter's share of the variance.
    public struct Share: Sendable, Equatable {
        public let name: String
        /// η², from 0 (the statistic's mean is the same at every value) to 1 (the value
        /// alone fixes the statistic); nil when undefined, `reason` saying why.
        public let explained: Double?
        /// Why `explained` is undefined; nil when it is not.
        public let reason: String?
        /// Values (or bins) the runs were grouped by.
        public let groups: Int
        /// Runs counted: those given for this parameter with a finite statistic and value.
        public let runs: Int
    }

    /// The parameters, most explaining first, the undefined ones last by name.
    public let shares: [Share]

    /// The conditions (in the runs filter's language) of the runs where parameter `name`
    /// acts; nil when it acts in every run. As the dataset's ground truth has it
    /// (``GroundTruth``): field strength acts in field runs (`morphic`, `llm_control`), the
    /// crystal count in morphic runs, the crystals' own parameters in morphic runs with
    /// crystals and a field; the rest in every run.
    public static func actsWhere(_ name: String) -> String? {
        guard let key = ParameterKey(rawValue: name) else { return nil }
        if key == .fieldStrength { return "mode != classical" }
        if key == .crystalCount { return "mode = morphic" }
        if GroundTruth.isMorphicOnly(key) { return "mode = morphic and crystal_count > 0 and field_strength > 0" }
        return nil
    }

    /// Shares of `statistic`'s variance explained by each of `parameters`, each given as the
    /// statistic's and its own values over the runs it is judged on.
    public init(statistic: String, parameters: [(name: String, y: [Double], values: [Double])]) {
        shares = parameters.map { Self.share(statistic: statistic, name: $0.name, y: $0.y, values: $0.values) }
            .sorted { a, b in
                switch (a.explained, b.explained) {
                case (let x?, let y?): x > y || (x == y && a.name < b.name)
                case (.some, nil): true
                case (nil, .some): false
                case (nil, nil): a.name < b.name
                }
            }
    }

    /// Shares of `y`'s variance explained by each of `parameters`, all over the same runs.
    public init(y: [Double], parameters: [(name: String, values: [Double])]) {
        self.init(statistic: "the statistic", parameters: parameters.map { ($0.name, y, $0.values) })
    }

    private static func share(statistic: String, name: String, y: [Double], values: [Double]) -> Share {
        let kept = y.indices.filter { y[$0].isFinite && values[$0].isFinite }
        let undefined = { (reason: String, groups: Int) in
            Share(name: name, explained: nil, reason: reason, groups: groups, runs: kept.count)
        }
        guard !kept.isEmpty else { return undefined("no finished run where \(name) acts has a value of \(statistic)", 0) }
        var sum = 0.0
        for index in kept { sum += y[index] }
        let mean = sum / Double(kept.count)
        var total = 0.0
        for index in kept { total += (y[index] - mean) * (y[index] - mean) }
        let key = RunAggregate.binning(kept.map { values[$0] }, maximum: RunAggregate.maximumPoints).key
        var groups: [Double: (count: Int, sum: Double)] = [:]
        for index in kept {
            guard let group = key(values[index]) else { continue }
            groups[group, default: (0, 0)].count += 1
            groups[group, default: (0, 0)].sum += y[index]
        }
        // Nothing to share out, or nothing to tell apart: η² would be 0/0, or 0 for a parameter
        // that was never varied, which is not the same as one that does not matter.
        guard total > 0 else {
            return undefined("\(statistic) is the same in all \(kept.count) runs where \(name) acts", groups.count)
        }
        guard groups.count > 1 else {
            return undefined("\(name) takes one value over the \(kept.count) runs where it acts", groups.count)
        }
        // With one run per value nothing varies within a value: every run is its own group's
        // mean, the between-group sum is the total and η² is 1 whatever the statistic does.
        // It needs runs beyond the groups (degrees of freedom within them) to mean anything.
        guard groups.values.contains(where: { $0.count > 1 }) else {
            return undefined(
                "each of the \(groups.count) values of \(name) has one run: no spread within a value to compare with",
                groups.count)
        }
        var between = 0.0
        // In the groups' order, not the dictionary's, which differs between two dictionaries
        // of the same groups: the same question gets the same bits every time.
        for group in groups.sorted(by: { $0.key < $1.key }).map(\.value) {
            let difference = group.sum / Double(group.count) - mean
            between += Double(group.count) * difference * difference
        }
        return Share(name: name, explained: min(1, between / total), reason: nil, groups: groups.count, runs: kept.count)
    }
}
