import MorphicCore

/// Which part of a dataset a run belongs to for learning: about 80 % `train`, 10 %
/// `validation`, 10 % `test`, drawn per parameter point so that the replicates of a point
/// never straddle two parts, and from the sweep seed alone, so the split is the same on any
/// machine and can be computed again from `features.csv`'s `point`.
///
/// With `u = unit(mix64(mix64(mix64(seed) ^ fnv1a64("split")) ^ point))` (CounterRandom's
/// functions; `point` as an unsigned 64-bit integer), a point is `train` when u < 0.8,
/// `validation` when u < 0.9, `test` otherwise.
public enum DatasetSplit: String, CaseIterable, Sendable {
    /// Fit on these.
    case train
    /// Tune on these.
    case validation
    /// Report on these, once.
    case test

    /// The split of parameter point `point` (``PlannedRun/point``) of a sweep seeded `sweepSeed`.
    public init(point: Int, sweepSeed: UInt64) {
        let u = CounterRandom.unit(
            fromBits: CounterRandom.mix64(
                CounterRandom.mix64(CounterRandom.mix64(sweepSeed) ^ CounterRandom.fnv1a64("split")) ^ UInt64(point)))
        self = u < 0.8 ? .train : u < 0.9 ? .validation : .test
    }

    /// The split of a planned run of a sweep seeded `sweepSeed`.
    public init(_ run: PlannedRun, sweepSeed: UInt64) { self.init(point: run.point, sweepSeed: sweepSeed) }

    /// Runs of `definition` in each split, in the order of ``allCases``.
    public static func counts(_ definition: SweepDefinition) -> [Int] {
        countsByMode(definition).map { $0.values.reduce(0, +) }
    }

    /// Runs of `definition` of each mode in each split, splits in the order of ``allCases``.
    public static func countsByMode(_ definition: SweepDefinition) -> [[Mode: Int]] {
        var counts: [[Mode: Int]] = [[:], [:], [:]]
        for block in definition.runs.blocks {
            let modeVaries = block.design.keys.contains(.mode)
            for point in 0..<block.points {
                let split = DatasetSplit(point: block.pointStart + point, sweepSeed: definition.seed)
                let mode =
                    modeVaries
                    ? SweepRuns.Block.configuration(block.fixed, block.design, at: point, only: [.mode]).mode
                    : block.fixed.mode
                counts[allCases.firstIndex(of: split)!][mode, default: 0] += block.replicates
            }
        }
        return counts
    }
}
