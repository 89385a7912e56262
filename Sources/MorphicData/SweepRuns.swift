import MorphicCore

/// A sweep's runs, in order, computed when asked for from its groups instead of held: a
/// sweep of a million runs costs a few hundred bytes per group, not a record per run.
///
/// A group expands to its points (the cartesian product of its grid axes, the first
/// outermost; its sample's draws; or its list of points) times its replicates (innermost);
/// run n of group `prefix` is `<prefix>_<n>`. The replicates of a
/// point whose runs couple (κ > 0, morphic) form one coupling group; every other run is a
/// coupling group of its own.
public struct SweepRuns: RandomAccessCollection, Sendable {
    /// One group of the definition, placed in the sweep.
    struct Block: Sendable {
        let prefix: String
        /// Index of its first run, first parameter point and first coupling group in the sweep.
        let start: Int
        let pointStart: Int
        let groupStart: Int
        let count: Int
        let points: Int
        let replicates: Int
        let groupCount: Int
        /// The group's fixed parameters over the sweep's defaults and the model's.
        let fixed: RunConfiguration
        /// Where its points' other parameters come from.
        let design: Design
        /// Coupling groups before each point (one more entry: the block's total), when
        /// whether a point couples depends on its values (κ or the mode on an axis).
        let groupsBefore: [Int]?
        /// Whether every point couples, when that does not depend on the point.
        let coupled: Bool

        /// A group's points: a grid's combinations, a sample's draws or a list.
        enum Design: Sendable {
            /// Swept parameters and their values, in docs/model.md's order, the first outermost.
            case grid([(key: ParameterKey, values: [ParameterValue])])
            /// Drawn parameters.
            case sample(SampleDraws)
            /// Parameter sets, in order.
            case points([[(key: ParameterKey, value: ParameterValue)]])

            /// Number of points.
            var count: Int {
                switch self {
                case .grid(let axes): axes.reduce(1) { $0 * $1.values.count }
                case .sample(let draws): draws.sample.count
                case .points(let list): list.count
                }
            }

            /// The parameters that differ between points (or may).
            var keys: Set<ParameterKey> {
                switch self {
                case .grid(let axes): Set(axes.map(\.key))
                case .sample(let draws): Set(draws.sample.parameters.map(\.key))
                case .points(let list): Set(list.flatMap { $0.map(\.key) })
                }
            }
        }

        /// The configuration of point `point` (0-based within the block).
        func configuration(point: Int) -> RunConfiguration { Self.configuration(fixed, design, at: point) }

        /// `fixed` with point `index` of `design` (for a grid, the `index`-th combination of
        /// its values, the first axis outermost), setting only `keys` when given.
        static func configuration(
            _ fixed: RunConfiguration, _ design: Design, at index: Int, only keys: Set<ParameterKey>? = nil
        ) -> RunConfiguration {
            var configuration = fixed
            // Every value was checked when the definition was read (a drawn one lies within
            // bounds that were), so setting it cannot fail.
            switch design {
            case .grid(let axes):
                var rest = index
                for axis in axes.reversed() {
                    if keys?.contains(axis.key) ?? true {
                        try! configuration.set(axis.key, axis.values[rest % axis.values.count])
                    }
                    rest /= axis.values.count
                }
            case .sample(let draws):
                for (dimension, parameter) in draws.sample.parameters.enumerated()
                where keys?.contains(parameter.key) ?? true {
                    try! configuration.set(parameter.key, draws.value(point: index, dimension: dimension))
                }
            case .points(let list):
                for (key, value) in list[index] where keys?.contains(key) ?? true {
                    try! configuration.set(key, value)
                }
            }
            return configuration
        }

        /// Calls `body` once per distinct combination of the values that `design` gives `keys`
        /// (for a sample or a list, once per point that sets any of them), with its
        /// configuration and how many of `points` (spread evenly over the design's points)
        /// share it.
        static func combinations(
            _ fixed: RunConfiguration, _ design: Design, over keys: Set<ParameterKey>, points: Int,
            _ body: (RunConfiguration, Int) throws -> Void
        ) rethrows {
            switch design {
            case .grid(let axes):
                let used = axes.filter { keys.contains($0.key) }
                let count = used.reduce(1) { $0 * $1.values.count }
                for index in 0..<count { try body(configuration(fixed, .grid(used), at: index), points / count) }
            case .sample, .points:
                let count = design.count
                guard !design.keys.isDisjoint(with: keys) else { return try body(fixed, points) }
                for index in 0..<count {
                    try body(configuration(fixed, design, at: index, only: keys), points / count)
                }
            }
        }
    }

    let blocks: [Block]
    /// Number of runs.
    public let count: Int
    /// Number of coupling groups.
    public let groupCount: Int

    /// The first index, 0.
    public var startIndex: Int { 0 }
    /// One past the last index.
    public var endIndex: Int { count }

    init(blocks: [Block]) {
        self.blocks = blocks
        count = blocks.last.map { $0.start + $0.count } ?? 0
        groupCount = blocks.last.map { $0.groupStart + $0.groupCount } ?? 0
    }

    /// Run `position` of the sweep.
    public subscript(position: Int) -> PlannedRun {
        precondition(position >= 0 && position < count, "run index out of range")
        let block = blocks[Self.last(in: blocks.count) { blocks[$0].start <= position }]
        let local = position - block.start
        let point = local / block.replicates
        let configuration = block.configuration(point: point)
        let group: Int
        if let before = block.groupsBefore {
            let coupled = before[point + 1] - before[point] == 1
            group = before[point] + (coupled ? 0 : local % block.replicates)
        } else {
            group = block.coupled ? point : local
        }
        return PlannedRun(
            id: block.prefix + "_" + String(local + 1), configuration: configuration,
            couplingGroup: block.groupStart + group, point: block.pointStart + point)
    }

    /// The indices of the runs of coupling group `group`.
    public func runs(ofGroup group: Int) -> Range<Int> {
        precondition(group >= 0 && group < groupCount, "coupling group out of range")
        let block = blocks[Self.last(in: blocks.count) { blocks[$0].groupStart <= group }]
        let local = group - block.groupStart
        guard let before = block.groupsBefore else {
            return block.coupled
                ? block.start + local * block.replicates..<block.start + (local + 1) * block.replicates
                : block.start + local..<block.start + local + 1
        }
        let point = Self.last(in: block.points) { before[$0] <= local }
        let first = block.start + point * block.replicates
        return before[point + 1] - before[point] == 1
            ? first..<first + block.replicates : first + (local - before[point])..<first + (local - before[point]) + 1
    }

    /// The largest index in 0..<count for which `isBefore` holds (it holds for 0, and for
    /// a prefix of the indices).
    private static func last(in count: Int, where isBefore: (Int) -> Bool) -> Int {
        var (low, high) = (0, count - 1)
        while low < high {
            let middle = (low + high + 1) / 2
            if isBefore(middle) { low = middle } else { high = middle - 1 }
        }
        return low
    }

    /// The sum over all runs of `value`, which depends only on the parameters `keys`;
    /// saturating at `Int.max`, since a server may allow millions of huge runs.
    public func total(over keys: Set<ParameterKey>, _ value: (RunConfiguration) -> Int) -> Int {
        var total = 0
        aggregate(over: keys) { configuration, runs in
            let (product, overflow) = value(configuration).multipliedReportingOverflow(by: runs)
            let (sum, overflowed) = total.addingReportingOverflow(product)
            total = overflow || overflowed ? .max : sum
        }
        return total
    }

    /// Calls `body` once per distinct combination of the values of `keys` in each group,
    /// with the configuration of one such point and the number of runs sharing it: sums over
    /// all runs of what depends on `keys` alone, in time independent of the number of runs.
    func aggregate(over keys: Set<ParameterKey>, _ body: (RunConfiguration, Int) throws -> Void) rethrows {
        for block in blocks {
            try Block.combinations(block.fixed, block.design, over: keys, points: block.count, body)
        }
    }
}

/// A sweep's coupling groups in order, each the list of its runs, computed when asked for.
public struct CouplingGroups: RandomAccessCollection, Sendable {
    let runs: SweepRuns

    /// The first index, 0.
    public var startIndex: Int { 0 }
    /// One past the last index.
    public var endIndex: Int { runs.groupCount }

    /// Coupling group `position`'s runs, in order.
    public subscript(position: Int) -> [PlannedRun] { runs.runs(ofGroup: position).map { runs[$0] } }
}
