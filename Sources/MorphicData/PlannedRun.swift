import MorphicCore

/// One run of an expanded sweep.
public struct PlannedRun: Hashable, Sendable {
    /// `<prefix>_<n>`.
    public let id: String
    /// The run's parameters; `seed` is nil unless the definition set it (then derived).
    public let configuration: RunConfiguration
    /// Index of the coupling group (replicates of one grid point with κ > 0 share one);
    /// uncoupled runs are groups of their own.
    public let couplingGroup: Int
    /// Index of the run's parameter point in the sweep (0, 1, …, counted across groups);
    /// the replicates of one point share it.
    public let point: Int

    /// The file holding the run's record.
    public var fileName: String { id + ".json" }
}
