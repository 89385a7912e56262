/// Everything that bounds training a reference and answering a posterior: its time, its
/// memory and the least data it needs. A reference outside these is refused with an error
/// naming the limit.
public struct InferenceLimits: Hashable, Sendable {
    /// Most runs a reference may hold. Default 200,000: the forests keep each tree's in-bag
    /// indices (4 bytes a run a tree), so 200,000 runs × 100 trees × 4 forests is 320 MB,
    /// the most one server should give one reference.
    public var maximumRuns = 200_000
    /// Fewest `train` runs with a defined value for a parameter or a field label. Default
    /// 50: below that a leaf of five runs is a tenth of the prior, not a posterior.
    public var minimumTrainingRuns = 50
    /// Fewest `validation` runs (the interval widths are calibrated on them) and `test` runs
    /// (coverage is measured on them). Default 10: with fewer, a 50 % interval's coverage is
    /// one coin toss more or less.
    public var minimumHeldOutRuns = 10
    /// Trees per forest. Default 100: quantiles from 100 trees move by less than a tenth of a
    /// leaf's spread from one forest seed to the next, and a 5,000-run reference trains in
    /// about a second.
    public var trees = 100
    /// Fewest in-bag runs in a leaf. Default 5: a leaf is a small sample of the posterior
    /// (Meinshausen 2006 uses 5 for quantile regression forests).
    public var minimumLeafSize = 5
    /// Deepest a tree grows. Default 40: never reached at the default leaf size below about
    /// 10^12 runs; it bounds the recursion.
    public var maximumDepth = 40
    /// Bins a feature's values are cut into for split search (quantiles of the training
    /// values). Default 64: finer bins changed no figure of the calibration table.
    public var bins = 64
    /// Posterior draws returned per parameter. Default 200.
    public var draws = 200
    /// Most runs of a dataset whose card (`DATASET.md`) reports its calibration as a
    /// reference. Default 20,000: training and measuring then adds seconds to an assembly
    /// that simulated those runs for minutes; a larger dataset's card says the figures were
    /// left out and why, and `morphic calibrate` or the server measure them on request.
    public var cardMaximumRuns = 20_000
    /// Trained references kept in memory by a server. Default 4: a 5,000-run reference's
    /// forests take about 8 MB.
    public var cachedReferences = 4
    /// Runs of the trained references kept, all together. Default 200,000: a reference takes
    /// about 4.5 KB a run in memory (a 100,000-run one took a server from 33 to 488 MB), so
    /// four of the largest would take some 3.6 GB; the most recently used is kept whatever
    /// its size.
    public var cachedReferenceRuns = 200_000
    /// Run maps (or their refusals) kept in memory by a server, besides those being computed.
    /// Default 16: a map holds each run's id and two coordinates, about 5 MB at 100,000 runs,
    /// and every sweep view open asks for its own, so fewer made a few tabs evict each other's
    /// maps before they were read.
    public var cachedMaps = 16

    /// The defaults above.
    public init() {}
}
