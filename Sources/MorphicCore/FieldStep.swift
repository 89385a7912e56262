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
    let before: UnsafePointer<UInt64>
    let after: UnsafeMutablePointer<UInt64>
    /// Threads the step may use (``Simulation/threads``), and the fewest rows a band may
    /// have (nil: enough for some 100 µs of work).
    var threads = 1
    var minimumBandRows: Int? = nil

    var counts = Counts()
    /// Each live cell's window (of at least `min_form_cells` live cells) and next state,
    /// `window << 1 | next`, when habits are collected.
    var habits: [UInt64] = []
    /// Per cell, when not empty: 1 where the field took the cell and agreed with Life, 2
    /// where it overrode Life.
    var mask: [UInt8] = []
    /// Room for the step's tables (``apply()``), lent by the run from step to step.
    var tables: [Double] = []

    /// The kernel: for every cell whose k×k window is not empty, the crystal of greatest
    /// influence among those similar enough takes the cell with that probability.
    ///
    /// Everything that does not depend on the cell is worked out first: each crystal's
    /// influence for each similarity value (-1 where the similarity does not pass: a
    /// crystal that passes always beats none, and the first of equals wins, as in the
    /// model), and, for each number of live cells in a window, the greatest influence any
    /// crystal can have on it (similarity is bounded by the two counts alone), so that most
    /// cells are settled by their draw alone. Each cell's draw is a pure function of the
    /// cell and the step, so drawing it where no crystal qualifies changes nothing.
    ///
    /// With `threads` > 1, bands of rows go to several threads: every cell's outcome depends
    /// only on S_t and its own position, counts are sums, and habits are joined in row order,
    /// so the result is the same as on one.
    mutating func apply() {
        // Taken out while the kernel reads the rest: no copy of them, and no overlap (a
        // mutating kernel that called a reading one from a closure would copy the step).
        var (counts, habits, mask, tables) = (self.counts, self.habits, self.mask, self.tables)
        (self.counts, self.habits, self.mask, self.tables) = (Counts(), [], [], [])
        run(counts: &counts, habits: &habits, mask: &mask, tables: &tables)
        (self.counts, self.habits, self.mask, self.tables) = (counts, habits, mask, tables)
    }

    /// ``apply()`` on the arrays it fills, lent by the step: `tables` is room for the
    /// step's tables, grown when short and kept by the run (on a small grid a fresh one,
    /// too large for the stack, cost a tenth of the step).
    private func run(counts: inout Counts, habits: inout [UInt64], mask: inout [UInt8], tables: inout [Double]) {
        let n = configuration.gridSize
        let k = configuration.formSize
        let cells = k * k
        let slots = field.count
        let hamming = similarity.measure == .hamming
        let values = similarity.powers.count
        let size = slots * values + cells + 1 + values
        if tables.count < size { tables = [Double](repeating: -1, count: size) }
        tables.withUnsafeMutableBufferPointer { tables in
            let buffer = UnsafeMutableBufferPointer(rebasing: tables[..<size])
            let influence = buffer.baseAddress!
            let bound = influence + slots * values
            let farthest = bound + cells + 1
            buffer.update(repeating: -1)
            // The greatest influence any crystal can have on a window of each population (-1:
            // none can pass): the live cells a window shares with a form range from
            // max(0, live + form - k²) to min(live, form), and fix the similarity. For Hamming
            // the distance is then at least |live - form|, so the greatest influence at that
            // distance or more bounds it (a step's fixed cost, which small grids feel).
            field.prefactors.withUnsafeBufferPointer { prefactors in
                field.decays.withUnsafeBufferPointer { decays in
                    similarity.powers.withUnsafeBufferPointer { powers in
                        similarity.passes.withUnsafeBufferPointer { passes in
                            field.forms.withUnsafeBufferPointer { forms in
                                for slot in 0..<slots {
                                    let own = influence + slot &* values
                                    let formCells = forms[slot].nonzeroBitCount
                                    if hamming {
                                        // Distances 0..<passing pass, the rest stay -1: only
                                        // those are worked out, and only the populations
                                        // within that distance of the form's get a bound.
                                        let passing = similarity.passing
                                        for index in 0..<passing {
                                            own[index] = prefactors[slot] * powers[index] * decays[slot]
                                        }
                                        var beyond = -1.0
                                        for distance in (0..<passing).reversed() {
                                            beyond = own[distance] > beyond ? own[distance] : beyond
                                            farthest[distance] = beyond
                                        }
                                        var live = max(1, formCells &- passing &+ 1)
                                        while live <= min(cells, formCells &+ passing &- 1) {
                                            let reach = farthest[abs(live &- formCells)]
                                            bound[live] = reach > bound[live] ? reach : bound[live]
                                            live &+= 1
                                        }
                                    } else {
                                        for index in 0..<values where passes[index] {
                                            own[index] = prefactors[slot] * powers[index] * decays[slot]
                                        }
                                        for live in 1...cells {
                                            for both in max(0, live + formCells - cells)...min(live, formCells) {
                                                bound[live] = max(bound[live], own[both << 6 | (live + formCells - both)])
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            var ceiling = -1.0
            for live in 0...cells { ceiling = max(ceiling, bound[live]) }
            let bands = RowBands.count(rows: n, threads: threads, minimumRows: minimumBandRows ?? 32768 / n)
            // An empty array's buffer may still have an address: no mask is nil.
            let capturing = !mask.isEmpty
            guard bands > 1 else {
                // One band (every small grid): straight into this step's counts and habits.
                mask.withUnsafeMutableBufferPointer { mask in
                    rows(
                        0..<n, influence: influence, bound: bound, ceiling: ceiling,
                        mask: capturing ? mask.baseAddress : nil, counts: &counts, habits: &habits)
                }
                return
            }
            var results = [(counts: Counts, habits: [UInt64])](repeating: (Counts(), []), count: bands)
            let step = self
            let tables = Tables(influence: influence, bound: bound)
            mask.withUnsafeMutableBufferPointer { mask in
                results.withUnsafeMutableBufferPointer { results in
                    RowBands.run(rows: n, bands: bands) { band, rows in
                        step.rows(
                            rows, influence: tables.influence, bound: tables.bound, ceiling: ceiling,
                            mask: capturing ? mask.baseAddress : nil, counts: &results[band].counts,
                            habits: &results[band].habits)
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
    }

    /// The tables of a step, read by every band.
    private struct Tables: @unchecked Sendable {
        let influence: UnsafePointer<Double>
        let bound: UnsafePointer<Double>
        init(influence: UnsafeMutablePointer<Double>, bound: UnsafeMutablePointer<Double>) {
            self.influence = UnsafePointer(influence)
            self.bound = UnsafePointer(bound)
        }
    }

    /// The field on rows `band`, given each crystal's `influence` by similarity value, the
    /// greatest influence (`bound`) on a window of each population and the greatest of those
    /// (`ceiling`); `mask`, when not nil, receives the cells the field took. Sets `counts`
    /// and appends to `habits`.
    ///
    /// Only cells with a live cell in their window are visited, found 64 at a time from
    /// the rows' bits. A cell's draw comes first: a crystal can take it only when the draw
    /// is below the influence, and it counts as a resonance only above the resonance
    /// threshold, so where the draw is at least the greatest influence any crystal can
    /// have (over all windows, then over windows of this one's population) and that is
    /// not above the threshold, no crystal is looked at. Where they are, the winner and
    /// the counts are worked out without branches on the cell's data: such branches go
    /// either way at random and cost more than the work.
    private func rows(
        _ band: Range<Int>, influence: UnsafePointer<Double>, bound: UnsafePointer<Double>, ceiling: Double,
        mask: UnsafeMutablePointer<UInt8>?, counts: inout Counts, habits: inout [UInt64]
    ) {
        let n = configuration.gridSize
        let k = configuration.formSize
        let r = k / 2
        let minimumCells = configuration.minFormCells
        let resonance = configuration.resonanceThreshold
        let slots = field.count
        let random = CounterRandom.prefix(seed: configuration.seed!, stream: .influence, UInt64(step))
        let hamming = similarity.measure == .hamming
        let values = similarity.powers.count
        let hopeless = configuration.fieldStrength == 0 || ceiling < 0
        let habitsWanted = collectHabits
        let layout = self.layout
        var applied = 0
        var overridden = 0
        var resonances = 0
        // One more slot, where cells the field does not take count their nothing.
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 2 &* (slots &+ 1)) { tallies in
            tallies.initialize(repeating: 0)
            let activations = tallies.baseAddress!
            let overrides = activations + (slots &+ 1)
            defer {
                // Written over the last step's when the field has as many slots (nearly
                // always): emptying and refilling an array costs more than this small copy.
                Self.store(UnsafeBufferPointer(start: activations, count: slots), in: &counts.slotActivations)
                Self.store(UnsafeBufferPointer(start: overrides, count: slots), in: &counts.slotOverrides)
            }
            guard !hopeless || habitsWanted else { return }
            let ceilingBits = CounterRandom.threshold(below: ceiling)
            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 64 &+ slots &+ 1 &+ k) { scratch in
                let draws = scratch.baseAddress!
                // Each slot's outcome, and nothing for the extra one.
                let outcomes = draws + 64
                // The window's k rows around the current word, each from r columns left of
                // the word's first cell (``windowRows(row:word:radius:into:)``).
                let near = outcomes + (slots &+ 1)
                for slot in 0..<slots { outcomes[slot] = UInt64(field.outcomes[slot]) }
                outcomes[slots] = 0
                field.forms.withUnsafeBufferPointer { forms in
                    for y in band {
                        let line = after + layout.row(y)
                        let current = before + layout.row(y)
                        for j in 1...layout.lastWord {
                            var cells =
                                r == 1
                                ? occupied(row: y, word: j, radius: 1)
                                : r == 2 ? occupied(row: y, word: j, radius: 2) : occupied(row: y, word: j, radius: 3)
                            if j == layout.lastWord { cells &= layout.lastMask }
                            // The cells a crystal might take or that might resonate, by
                            // their draws: a mask, so that no branch waits on a draw.
                            var hopeful: UInt64 = 0
                            if !hopeless {
                                var left = cells
                                while left != 0 {
                                    let bit = left.trailingZeroBitCount
                                    left &= left &- 1
                                    let index = UInt64(truncatingIfNeeded: y &* n &+ (j &- 1) &* 64 &+ bit)
                                    let draw = CounterRandom.mix64(random ^ index)
                                    draws[bit] = draw
                                    // Below the ceiling exactly when the difference is
                                    // negative: both are below 2^54.
                                    hopeful |= ((draw &>> 11 &- ceilingBits) &>> 63) &<< UInt64(bit)
                                }
                                if ceiling > resonance { hopeful = cells }
                            }
                            var visit = hopeful | (habitsWanted ? cells & current[j] : 0)
                            if visit != 0 {
                                switch r {
                                case 1: windowRows(row: y, word: j, radius: 1, into: near)
                                case 2: windowRows(row: y, word: j, radius: 2, into: near)
                                default: windowRows(row: y, word: j, radius: 3, into: near)
                                }
                            }
                            while visit != 0 {
                                let bit = visit.trailingZeroBitCount
                                visit &= visit &- 1
                                let x = (j &- 1) &* 64 &+ bit
                                // A window that ends inside the word is read from its rows
                                // with one shift each (every cell of a grid up to 60 wide).
                                let window: UInt64
                                if bit &+ k <= 64 {
                                    window = Self.window(near, bit: bit, side: k)
                                } else {
                                    window = layout.window(before, x: x, y: y, radius: r)
                                }
                                let live = window.nonzeroBitCount
                                let shift = UInt64(bit)
                                let draw = CounterRandom.unit(fromBits: draws[bit])
                                if hopeful &>> shift & 1 != 0 && (draw < bound[live] || bound[live] > resonance) {
                                    var winner = slots
                                    var best = -1.0
                                    // The first of equals wins. One loop for each measure:
                                    // the measure is not asked again for every crystal.
                                    if hamming {
                                        for slot in 0..<slots {
                                            let value = influence[slot &* values &+ (window ^ forms[slot]).nonzeroBitCount]
                                            let better = value > best
                                            best = better ? value : best
                                            winner = better ? slot : winner
                                        }
                                    } else {
                                        for slot in 0..<slots {
                                            let form = forms[slot]
                                            let index = (window & form).nonzeroBitCount &<< 6 | (window | form).nonzeroBitCount
                                            let value = influence[slot &* values &+ index]
                                            let better = value > best
                                            best = better ? value : best
                                            winner = better ? slot : winner
                                        }
                                    }
                                    let taken = draw < best
                                    resonances &+= best > resonance ? 1 : 0
                                    let conway = line[j] &>> shift & 1
                                    let next = taken ? outcomes[winner] : conway
                                    line[j] = line[j] & ~(1 &<< shift) | next &<< shift
                                    let slot = taken ? winner : slots
                                    let differs = next != conway ? 1 : 0
                                    activations[slot] &+= 1
                                    overrides[slot] &+= differs
                                    applied &+= taken ? 1 : 0
                                    overridden &+= taken ? differs : 0
                                    if let mask, taken { mask[y &* n &+ x] = UInt8(1 &+ differs) }
                                }
                                if habitsWanted && live >= minimumCells && current[j] &>> shift & 1 == 1 {
                                    habits.append(window << 1 | line[j] &>> shift & 1)
                                }
                            }
                        }
                    }
                }
            }
        }
        counts.applied = applied
        counts.overrides = overridden
        counts.resonances = resonances
    }

    /// The k×k window (k = `side`: 3, 5 or 7) of the cell at bit `bit` of a word, from the
    /// word's rows (``windowRows(row:word:radius:into:)``), when `bit + k` ≤ 64. Each side
    /// its own unrolled code: a loop over a side known only at run time cost a window
    /// three times as many instructions.
    @inline(__always)
    private static func window(_ rows: UnsafePointer<UInt64>, bit: Int, side k: Int) -> UInt64 {
        let shift = UInt64(bit)
        @inline(__always) func row(_ dy: Int, _ mask: UInt64, _ place: UInt64) -> UInt64 {
            (rows[dy] &>> shift & mask) &<< place
        }
        switch k {
        case 3:
            return row(0, 0x7, 0) | row(1, 0x7, 3) | row(2, 0x7, 6)
        case 5:
            return row(0, 0x1F, 0) | row(1, 0x1F, 5) | row(2, 0x1F, 10) | row(3, 0x1F, 15) | row(4, 0x1F, 20)
        default:
            return row(0, 0x7F, 0) | row(1, 0x7F, 7) | row(2, 0x7F, 14) | row(3, 0x7F, 21) | row(4, 0x7F, 28)
                | row(5, 0x7F, 35) | row(6, 0x7F, 42)
        }
    }

    /// Makes `array` a copy of `values`.
    @inline(__always)
    private static func store(_ values: UnsafeBufferPointer<Int>, in array: inout [Int]) {
        guard array.count == values.count else { return array = Array(values) }
        array.withUnsafeMutableBufferPointer { array in
            for index in values.indices { array[index] = values[index] }
        }
    }

    /// Rows y − r … y + r of S_t around word j, each from column 64(j − 1) − r on (bit i is
    /// column 64(j − 1) − r + i): the window of the word's cell at bit b is then bits
    /// b … b + 2r of each, when b + 2r + 1 ≤ 64.
    @inline(__always)
    private func windowRows(row y: Int, word j: Int, radius r: Int, into rows: UnsafeMutablePointer<UInt64>) {
        let shift = UInt64(r)
        for dy in 0...(2 &* r) {
            let line = before + layout.row(y &- r &+ dy)
            rows[dy] = line[j] &<< shift | line[j &- 1] &>> (64 &- shift)
        }
    }

    /// The cells of word j of row y whose (2r+1)×(2r+1) window holds a live cell of S_t:
    /// the rows' words ORed, then spread r columns each way. Called with a constant radius,
    /// so that its loops unroll: on a small grid, each row's look at its words cost more
    /// than the few cells it found.
    @inline(__always)
    private func occupied(row y: Int, word j: Int, radius r: Int) -> UInt64 {
        var (left, middle, right): (UInt64, UInt64, UInt64) = (0, 0, 0)
        for dy in -r...r {
            let line = before + layout.row(y &+ dy)
            left |= line[j &- 1]
            middle |= line[j]
            right |= line[j &+ 1]
        }
        var cells = middle
        for dx in 1...r {
            let shift = UInt64(dx)
            cells |= middle &<< shift | left &>> (64 &- shift) | middle &>> shift | right &<< (64 &- shift)
        }
        return cells
    }
}
