import Foundation
import MorphicCore

/// A run's grid states computed again on demand, with the cells the field decided: every run
/// is a pure function of its configuration, so no frame needs to be stored.
///
/// Frame g holds S_g and, for g ≥ 1, the cells the field took in step g − 1 (the step that
/// made S_g): `taken` where it agreed with Life, `overridden` where it did not. Their counts
/// are the run's `morphic_influence_rate` × cells (taken + overridden) and `override_rate` ×
/// cells at entry g − 1.
public struct RunFrames: Sendable {
    /// One frame; every array is row-major, one byte (0 or 1) per cell.
    public struct Frame: Sendable, Equatable {
        /// The generation g of S_g.
        public let generation: Int
        /// The state S_g.
        public let state: [UInt8]
        /// Cells the field took in step g − 1 and set as Life would have.
        public let taken: [UInt8]
        /// Cells the field took in step g − 1 against Life.
        public let overridden: [UInt8]
    }

    /// The grid's side.
    public let gridSize: Int
    /// The frames, in order.
    public let frames: [Frame]

    /// The generations `from`, `from + every`, … up to `to`.
    public static func generations(from: Int, to: Int, every: Int) -> StrideThrough<Int> {
        stride(from: from, through: to, by: every)
    }

    /// Computes the frames of member `member` of a coupling group (the group is computed
    /// together, as the sweep computed it). `llmTable` is the table of `llm_control` runs.
    /// - Throws: `CancellationError` when `isCancelled` says so between steps.
    public init(
        group: [PlannedRun], member: Int, sweepSeed: UInt64, llmTable: RuleTable?, from: Int, to: Int, every: Int,
        isCancelled: () -> Bool = { false }
    ) throws {
        var simulations = try Simulation.group(group, sweepSeed: sweepSeed, llmTable: llmTable)
        simulations[member].capturesFieldMask = true
        try self.init(ensemble: Ensemble(simulations), member: member, from: from, to: to, every: every, isCancelled: isCancelled)
    }

    /// Computes the frames of a lone run from its configuration (seed set).
    public init(
        configuration: RunConfiguration, llmTable: RuleTable?, from: Int, to: Int, every: Int,
        isCancelled: () -> Bool = { false }
    ) throws {
        var simulation = try Simulation(configuration: configuration, llmTable: llmTable)
        simulation.capturesFieldMask = true
        try self.init(ensemble: Ensemble([simulation]), member: 0, from: from, to: to, every: every, isCancelled: isCancelled)
    }

    private init(ensemble start: Ensemble, member: Int, from: Int, to: Int, every: Int, isCancelled: () -> Bool) throws {
        var ensemble = start
        let n = ensemble.members[member].configuration.gridSize
        let empty = [UInt8](repeating: 0, count: n * n)
        var frames: [Frame] = []
        var wanted = Array(Self.generations(from: from, to: to, every: every)).makeIterator()
        var next = wanted.next()
        var generation = 0
        while let target = next {
            while generation < target {
                if isCancelled() { throw CancellationError() }
                ensemble.step()
                generation += 1
            }
            let simulation = ensemble.members[member]
            let mask = generation == 0 ? empty : simulation.fieldMask
            frames.append(
                Frame(
                    generation: generation, state: simulation.state, taken: mask.map { $0 == 1 ? 1 : 0 },
                    overridden: mask.map { $0 == 2 ? 1 : 0 }))
            next = wanted.next()
        }
        gridSize = n
        self.frames = frames
    }

    /// The binary form the frames endpoint sends (`application/octet-stream`), all integers
    /// little-endian:
    ///
    /// - 16-byte header: `MLFR`, version 1 (u8), 3 zero bytes, grid size (u32), frame count (u32);
    /// - then per frame: its generation (u32), then three bitmaps of ⌈cells / 8⌉ bytes each —
    ///   the state, the cells taken (agreeing with Life), the cells overridden — packed
    ///   row-major across the whole grid, eight cells a byte, most significant bit first.
    public var encoded: [UInt8] {
        let cells = gridSize * gridSize
        let bitmap = (cells + 7) / 8
        var out: [UInt8] = Array("MLFR".utf8) + [1, 0, 0, 0]
        out.reserveCapacity(16 + frames.count * (4 + 3 * bitmap))
        out.le32(gridSize)
        out.le32(frames.count)
        for frame in frames {
            out.le32(frame.generation)
            for cells in [frame.state, frame.taken, frame.overridden] {
                var packed = [UInt8](repeating: 0, count: bitmap)
                for (index, cell) in cells.enumerated() where cell != 0 { packed[index >> 3] |= 0x80 >> UInt8(index & 7) }
                out += packed
            }
        }
        return out
    }

    /// The frames as a numpy `.npz`: `generation` (int64 [frames]) and `state`, `taken`,
    /// `overridden` (uint8 [frames, grid, ⌈grid / 8⌉], rows packed as in `frames.npz`).
    public func writeArrays(to path: String) throws {
        let archive = try ZipWriter(path: path)
        let generations = try archive.begin("generation.npy")
        var bytes = NumpyArray.header(.int64, shape: [frames.count])
        for frame in frames { bytes.le64(frame.generation) }
        try generations.write(bytes)
        try archive.end(generations)
        for name in ["state", "taken", "overridden"] {
            let member = try archive.begin(name + ".npy")
            try member.write(NumpyArray.header(.uint8, shape: [frames.count, gridSize, (gridSize + 7) / 8]))
            for frame in frames {
                let cells = name == "state" ? frame.state : name == "taken" ? frame.taken : frame.overridden
                try member.write(Snapshots.packed(cells, size: gridSize))
            }
            try archive.end(member)
        }
        try archive.finish()
    }
}
