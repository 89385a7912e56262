/// One step of the language model's table over a grid (docs/model.md section 7): each cell
/// follows the table with probability φ, else keeps what Life made of it.
struct TableStep {
    let layout: Plane
    /// The table's 512 entries, 0 or 1.
    let table: [UInt8]
    /// φ.
    let fieldStrength: Double
    /// The run's seed and the step, t, that fix every cell's draw.
    let seed: UInt64
    let step: Int
    /// S_t, and S_{t+1} as Life made it, which the table overwrites where it takes a cell.
    let before: UnsafePointer<UInt64>
    let after: UnsafeMutablePointer<UInt64>
    /// Whether the draws are made four at a time (``Simulation/vectorDraws``).
    let vectorDraws: Bool

    /// Cells taken (applied) and taken against Life (overrides).
    var counts = FieldStep.Counts()
    /// Per cell, when not empty: 1 where the table took the cell and agreed with Life, 2
    /// where it overrode Life.
    var mask: [UInt8] = []

    /// The kernel, a word of 64 cells at a time: the draws make a mask of the cells taken
    /// (integers compared, no branch on a draw), the taken cells look their window up in
    /// the table, and the word is merged and counted with whole-word logic.
    mutating func apply() {
        let n = layout.size
        let threshold = CounterRandom.threshold(below: fieldStrength)
        let random = CounterRandom.prefix(seed: seed, stream: .llm, UInt64(step))
        let capturing = !mask.isEmpty
        // Room for a word's draws, which only the mask of the cells taken is made from.
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 64) { scratch in
            let draws = scratch.baseAddress!
            for y in 0..<n {
                let line = after + layout.row(y)
                for j in 1...layout.lastWord {
                    var cells: UInt64 = j == layout.lastWord ? layout.lastMask : ~0
                    var taken: UInt64 = 0
                    if vectorDraws {
                        taken = CounterRandom.drawWord(
                            prefix: random, first: UInt64(truncatingIfNeeded: y &* n &+ (j &- 1) &* 64),
                            count: 64 &- cells.leadingZeroBitCount, below: threshold, into: draws)
                    } else {
                        while cells != 0 {
                            let bit = cells.trailingZeroBitCount
                            cells &= cells &- 1
                            let draw = CounterRandom.mix64(random ^ UInt64(y &* n &+ (j &- 1) &* 64 &+ bit))
                            taken |= (draw &>> 11 < threshold ? 1 : 0) &<< UInt64(bit)
                        }
                    }
                    var next: UInt64 = 0
                    var left = taken
                    while left != 0 {
                        let bit = left.trailingZeroBitCount
                        left &= left &- 1
                        let window = layout.window(before, x: (j &- 1) &* 64 &+ bit, y: y, radius: 1)
                        next |= UInt64(table[Int(truncatingIfNeeded: window)]) &<< UInt64(bit)
                    }
                    let conway = line[j]
                    let overridden = (next ^ conway) & taken
                    counts.applied &+= taken.nonzeroBitCount
                    counts.overrides &+= overridden.nonzeroBitCount
                    line[j] = conway & ~taken | next
                    if capturing {
                        var left = taken
                        while left != 0 {
                            let bit = left.trailingZeroBitCount
                            left &= left &- 1
                            mask[y &* n &+ (j &- 1) &* 64 &+ bit] = overridden &>> UInt64(bit) & 1 == 0 ? 1 : 2
                        }
                    }
                }
            }
        }
    }
}
