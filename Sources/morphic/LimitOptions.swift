import ArgumentParser
import MorphicData

/// How much work a definition may ask for: the built-in limits unless raised, so that a
/// cluster task or a merge accepts what the server that accepted the sweep allowed.
struct LimitOptions: ParsableArguments {
    @Option(parsing: .unconditional, help: "Most runs in the sweep.")
    var maxRuns = SweepLimits().maximumRuns

    @Option(parsing: .unconditional, help: "Most cell updates (cells × generations, all runs).")
    var maxCellSteps = SweepLimits().maximumCellSteps

    @Option(parsing: .unconditional, help: "Most bytes the dataset is estimated to take on disk.")
    var maxSweepBytes = SweepLimits().maximumEstimatedBytes

    @Option(parsing: .unconditional, help: "Most bytes of grid snapshots (frames.npz).")
    var maxSnapshotBytes = SweepLimits().maximumSnapshotBytes

    func validate() throws {
        for (flag, value) in [
            ("--max-runs", maxRuns), ("--max-cell-steps", maxCellSteps), ("--max-sweep-bytes", maxSweepBytes),
            ("--max-snapshot-bytes", maxSnapshotBytes),
        ] where value < 1 {
            throw ValidationError("\(flag) must be at least 1, not \(value)")
        }
    }

    /// The limits the flags describe.
    var limits: SweepLimits {
        SweepLimits(
            maximumRuns: maxRuns, maximumCellSteps: maxCellSteps, maximumEstimatedBytes: maxSweepBytes,
            maximumSnapshotBytes: maxSnapshotBytes)
    }
}
