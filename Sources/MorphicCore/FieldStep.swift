/// One step of the morphic field over a grid (docs/model.md section 4): what its kernel
/// reads, and what it counts and collects.
struct FieldStep {
    /// What a step counted.
    struct Counts {
        var applied = 0
        var overrides = 0
        var resonances = 0
        /// Per field slot: applied influences and overrides.
        var slotActivations: [Int] = []
        var slotOverrides: [Int] = []

        /// Adds the counts of another band of the same step.
        mutating func add(_ other: Counts) {
            applied += other.applied
            overrides += other.overrides
            resonances += other.resonances
            for slot in slotActivations.indices {
                slotActivations[slot] += other.slotActivations[slot]
                slotOverrides[slot] += other.slotOverrides[slot]
            }
        }
    }

    let configuration: RunConfiguration
    let layout: Plane
    let field: MorphicField
    let similarity: SimilarityTable
    /// The step, t.
    let step: Int
    /// Whether this step's habits are collected for crystallization.
    let collectHabits: Bool
    /// S_t, and S_{t+1} as Life made it, which the field overwrites where it takes a cell.
    let before: UnsafePointer<UInt8>
    let after: UnsafeMutablePointer<UInt8>
    /// Room for ``Plane/rowCodes(_:radius:into:)`` of S_t.
    let codes: UnsafeMutablePointer<UInt64>
    /// Threads the step may use (``Simulation/threads``).
    var threads = 1

    var counts = Counts()
    /// Each live cell's window (of at least `min_form_cells` live cells) and next state,
    /// `window << 1 | next`, when habits are collected.
    var habits: [UInt64] = []
    /// Per cell, when not empty: 1 where the field took the cell and agreed with Life, 2
    /// where it overrode Life.
    var mask: [UInt8] = []

    /// The kernel: for every cell whose k×k window is not empty, the crystal of greatest
    /// influence among those similar enough takes the cell with that probability.
    ///
    /// Everything that does not depend on the cell is worked out first: each crystal's
    /// influence for each similarity value (-1 where the similarity does not pass: a
    /// crystal that passes always beats none, and the first of equals wins, as in the
    /// model), and, for each number of live cells in a window, whether any crystal can pass
    /// at all (similarity is bounded by the two counts alone), so most windows are passed
    /// over after one popcount. Randomness is drawn only where a crystal qualifies.
    ///
    /// With `threads` > 1, bands of rows go to several threads: every cell's outcome depends
    /// only on S_t and its own position, counts are sums, and habits are joined in row order,
    /// so the result is the same as on one.
    mutating func apply() {
        let n = configuration.gridSize
        let k = configuration.formSize
        let cells = k * k
        let slots = field.count
        let hamming = similarity.measure == .hamming
        let values = similarity.powers.count
        var influence = [Double](repeating: -1, count: slots * values)
        var reachable = [Bool](repeating: false, count: cells + 1)
        for slot in 0..<slots {
            for index in 0..<values where similarity.passes[index] {
                influence[slot * values + index] = field.prefactors[slot] * similarity.powers[index] * field.decays[slot]
            }
            let formCells = field.forms[slot].nonzeroBitCount
            for live in 1...cells {
                let bound =
                    hamming ? abs(live - formCells) : min(live, formCells) << 6 | max(live, formCells)
                if similarity.passes[bound] { reachable[live] = true }
            }
        }
        layout.rowCodes(before, radius: k / 2, into: codes)
        let bands = RowBands.count(rows: n, threads: threads, minimumRows: 32)
        var results = [(counts: Counts, habits: [UInt64])](repeating: (Counts(), []), count: bands)
        let step = self
        // An empty array's buffer may still have an address: no mask is nil.
        let capturing = !mask.isEmpty
        mask.withUnsafeMutableBufferPointer { mask in
            results.withUnsafeMutableBufferPointer { results in
                RowBands.run(rows: n, bands: bands) { band, rows in
                    results[band] = step.rows(
                        rows, influence: influence, reachable: reachable, mask: capturing ? mask.baseAddress : nil)
                }
            }
        }
        counts = results[0].counts
        habits += results[0].habits
        for result in results.dropFirst() {
            counts.add(result.counts)
            habits += result.habits
        }
    }

    /// The field on rows `band`, given each crystal's `influence` by similarity value and
    /// the window populations at which any crystal is `reachable`; `mask`, when not nil,
    /// receives the cells the field took.
    private func rows(
        _ band: Range<Int>, influence: [Double], reachable: [Bool], mask: UnsafeMutablePointer<UInt8>?
    ) -> (Counts, [UInt64]) {
        let n = configuration.gridSize
        let k = configuration.formSize
        let minimumCells = configuration.minFormCells
        let resonance = configuration.resonanceThreshold
        let slots = field.count
        let influencing = slots > 0 && configuration.fieldStrength > 0
        let random = CounterRandom.prefix(seed: configuration.seed!, stream: .influence, UInt64(step))
        let hamming = similarity.measure == .hamming
        let values = similarity.powers.count
        var counts = Counts()
        counts.slotActivations = Array(repeating: 0, count: slots)
        counts.slotOverrides = Array(repeating: 0, count: slots)
        var habits: [UInt64] = []
        let habitsWanted = collectHabits
        influence.withUnsafeBufferPointer { influence in
            field.forms.withUnsafeBufferPointer { forms in
                for y in band {
                    for x in 0..<n {
                        var window: UInt64 = 0
                        for row in 0..<k { window |= codes[(y &+ row) &* n &+ x] &<< UInt64(row &* k) }
                        let live = window.nonzeroBitCount
                        let offset = layout.offset(x: x, y: y)
                        let conway = after[offset]
                        var next = conway
                        if influencing && live > 0 && reachable[live] {
                            var winner = -1
                            var best = -1.0
                            for slot in 0..<slots {
                                let form = forms[slot]
                                let index =
                                    hamming
                                    ? (window ^ form).nonzeroBitCount
                                    : (window & form).nonzeroBitCount &<< 6 | (window | form).nonzeroBitCount
                                let value = influence[slot &* values &+ index]
                                if value > best {
                                    winner = slot
                                    best = value
                                }
                            }
                            if winner >= 0 {
                                if best > resonance { counts.resonances += 1 }
                                let bits = CounterRandom.mix64(random ^ UInt64(y &* n &+ x))
                                if CounterRandom.unit(fromBits: bits) < best {
                                    next = field.outcomes[winner]
                                    after[offset] = next
                                    counts.applied += 1
                                    counts.slotActivations[winner] += 1
                                    if next != conway {
                                        counts.overrides += 1
                                        counts.slotOverrides[winner] += 1
                                    }
                                    if let mask { mask[y &* n &+ x] = next != conway ? 2 : 1 }
                                }
                            }
                        }
                        if habitsWanted && before[offset] == 1 && live >= minimumCells {
                            habits.append(window << 1 | UInt64(next))
                        }
                    }
                }
            }
        }
        return (counts, habits)
    }
}
