/// How much work one sweep may ask for. A definition over a limit is refused whole.
public struct SweepLimits: Hashable, Sendable {
    /// Most runs in one sweep. Default 100,000: a 10,000-run sweep of 25×25 grids takes
    /// seconds, and ten times that still fits comfortably in a manifest.
    public var maximumRuns = 100_000
    /// Most cell updates (cells × generations, summed over runs) in one sweep. Default
    /// 2×10^11: about an hour of one core at the core's morphic throughput, so a mistyped
    /// grid size cannot occupy a server for days.
    public var maximumCellSteps = 200_000_000_000

    /// The defaults above.
    public init() {}

    /// Custom limits.
    public init(maximumRuns: Int, maximumCellSteps: Int) {
        self.maximumRuns = maximumRuns
        self.maximumCellSteps = maximumCellSteps
    }
}
