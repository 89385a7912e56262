/// How much work one sweep may ask for. A definition over a limit is refused whole. Every
/// limit counts a group's runs alike whether they come from a grid, a sample or a list of
/// points: a sample's `count` and a list's length are themselves held to ``maximumRuns``, and
/// parameters drawn or listed per point (a grid size, a number of generations) are summed
/// point by point.
public struct SweepLimits: Hashable, Sendable {
    /// Most runs in one sweep. Default 100,000: a 10,000-run sweep of 25×25 grids takes
    /// seconds, and ten times that still fits comfortably in a manifest.
    public var maximumRuns = 100_000
    /// Most cell updates (cells × generations, summed over runs) in one sweep. Default
    /// 2×10^11: about an hour of one core at the core's morphic throughput, so a mistyped
    /// grid size cannot occupy a server for days.
    public var maximumCellSteps = 200_000_000_000
    /// Most bytes a sweep's dataset may be estimated to take on disk (run records, tables
    /// and archive: ``estimatedBytes(generations:)`` per run). Default 32 GiB: 100,000 runs
    /// of 500 generations fit; a definition of long runs that would fill a disk does not.
    public var maximumEstimatedBytes = 32 << 30
    /// Most bytes of grid snapshots (`frames.npz`, one bit per cell per snapshot) in one
    /// sweep. Default 1 GiB: 1,000 runs of 256² snapshotted every 10 of 200 generations
    /// take 170 MiB; snapshots of every step of large grids are refused.
    public var maximumSnapshotBytes = 1 << 30
    /// Most cells (grid cells × frames) one frames request may ask for. Default 2^26: 256
    /// frames of 512² — 24 MiB of bitmaps.
    public var maximumFrameCells = 1 << 26
    /// Most cell updates one frames request may take to recompute (its run's coupling group,
    /// up to the last frame). Default 10^9: under a minute of one core at the morphic rate.
    public var maximumFrameCellSteps = 1_000_000_000

    /// Most bytes of a definition file read from disk: 1 MiB, and 1 KiB for each run
    /// ``maximumRuns`` allows (a listed point takes a few dozen). Past it the file is refused
    /// before it is read (a 300 MB one once took 0.9 GB to refuse); the server's request
    /// bodies are held to its `max_body_bytes`.
    public var maximumDefinitionFileBytes: Int { (1 << 20) + min(maximumRuns, Int.max >> 11) * 1024 }

    /// A generous estimate of the disk bytes one run of `generations` steps takes: its
    /// record (about 100 bytes per generation), its rows in `timeseries.csv` (about 80) and
    /// their share of the archive, plus a fixed part for the configuration and crystals.
    public static func estimatedBytes(generations: Int) -> Int { 4096 + 256 * (generations + 1) }

    /// The bytes of one run's snapshots: states 0, every, 2·every, … ≤ generations, each
    /// `gridSize` rows of ⌈gridSize / 8⌉ bytes.
    public static func snapshotBytes(gridSize: Int, generations: Int, every: Int) -> Int {
        (generations / every + 1) * gridSize * ((gridSize + 7) / 8)
    }

    /// The defaults above.
    public init() {}

    /// Custom limits.
    public init(
        maximumRuns: Int, maximumCellSteps: Int, maximumEstimatedBytes: Int = .max, maximumSnapshotBytes: Int = .max
    ) {
        self.maximumRuns = maximumRuns
        self.maximumCellSteps = maximumCellSteps
        self.maximumEstimatedBytes = maximumEstimatedBytes
        self.maximumSnapshotBytes = maximumSnapshotBytes
    }

    /// `bytes` for a message: in MiB from one MiB up, else in KiB or bytes, to a tenth where
    /// that shows a difference (a limit of 1,000 bytes read "0 MiB", 1.5 MiB "1 MiB").
    static func size(_ bytes: Int) -> String {
        func scaled(_ unit: Int, _ name: String) -> String {
            let tenths = (bytes * 10 + unit / 2) / unit
            return (tenths % 10 == 0 ? "\(tenths / 10)" : "\(tenths / 10).\(tenths % 10)") + " " + name
        }
        if bytes >= 1 << 20 { return scaled(1 << 20, "MiB") }
        if bytes >= 1 << 10 { return scaled(1 << 10, "KiB") }
        return bytes == 1 ? "1 byte" : "\(bytes) bytes"
    }
}
