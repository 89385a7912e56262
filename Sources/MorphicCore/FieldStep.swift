/// One step of the morphic field over a grid (docs/model.md section 4): what its kernel
/// reads, and what it counts and collects.
///
/// Sendable as a part of a run: the addresses it holds are set only while its kernel runs,
/// on the run's own planes.
struct FieldStep: @unchecked Sendable {
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
    /// The crystals; a run keeps one step and refills them each step.
    var field: MorphicField
    let similarity: SimilarityTable
    /// The step, t.
    var step: Int
    /// Whether this step's habits are collected for crystallization.
    var collectHabits: Bool
    /// S_t, and S_{t+1} as Life made it, which the field overwrites where it takes a cell: set
    /// only while the kernel runs (a run keeps its step, and its planes move when it is copied).
    var planes: (before: UnsafePointer<UInt64>, after: UnsafeMutablePointer<UInt64>)? = nil
    /// S_t, while the kernel runs; read unchecked, as the planes are set for every call.
    var before: UnsafePointer<UInt64> { planes.unsafelyUnwrapped.before }
    /// S_{t+1}, while the kernel runs.
    var after: UnsafeMutablePointer<UInt64> { planes.unsafelyUnwrapped.after }
    /// Threads the step may use (``Simulation/threads``), and the fewest rows a band may
    /// have (nil: enough for some 100 µs of work).
    var threads = 1
    var minimumBandRows: Int? = nil
    /// Whether the draws are made four at a time (``Simulation/vectorDraws``).
    var vectorDraws = false

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
    ///
    /// The bounds come first and each slot's influences after them, so that a slot's entries
    /// stay where they are whatever the number of slots: those whose similarity does not
    /// pass are -1 from the table's making and never written, and only the bounds are
    /// cleared each step (clearing them all cost a small grid's step a tenth of its time,
    /// a Jaccard field's 4,096 entries a slot far more).
    private func run(counts: inout Counts, habits: inout [UInt64], mask: inout [UInt8], tables: inout [Double]) {
        let n = configuration.gridSize
        let k = configuration.formSize
        let cells = k * k
        let slots = field.count
        let hamming = similarity.measure == .hamming
        let values = similarity.powers.count
        let size = cells + 1 + values + slots * values
        if tables.count < size { tables = [Double](repeating: -1, count: size) }
        tables.withUnsafeMutableBufferPointer { tables in
            let bound = tables.baseAddress!
            let farthest = bound + cells + 1
            let influence = farthest + values
            UnsafeMutableBufferPointer(start: bound, count: cells + 1).update(repeating: -1)
            // The greatest influence any crystal can have on a window of each population (-1:
            // none can pass): the live cells a window shares with a form range from
            // max(0, live + form - k²) to min(live, form), and fix the similarity. For Hamming
            // the distance is then at least |live - form|, so the greatest influence at that
            // distance or more bounds it (a step's fixed cost, which small grids feel).
            var ceiling = -1.0
            field.prefactors.withUnsafeBufferPointer { prefactors in
                field.decays.withUnsafeBufferPointer { decays in
                    similarity.powers.withUnsafeBufferPointer { powers in
                        field.forms.withUnsafeBufferPointer { forms in
                            if hamming {
                                ceiling = Self.hammingTables(
                                    slots: slots, cells: cells, values: values, passing: similarity.passing,
                                    falling: similarity.fallsWithDistance, gridCells: n * n,
                                    resonance: configuration.resonanceThreshold, forms: forms.baseAddress,
                                    prefactors: prefactors.baseAddress, decays: decays.baseAddress,
                                    powers: powers.baseAddress!, influence: influence, bound: bound, farthest: farthest)
                                return
                            }
                            similarity.passes.withUnsafeBufferPointer { passes in
                                for slot in 0..<slots {
                                    let own = influence + slot &* values
                                    let formCells = forms[slot].nonzeroBitCount
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
                            for live in 0...cells { ceiling = max(ceiling, bound[live]) }
                        }
                    }
                }
            }
            let bands = RowBands.count(rows: n, threads: threads, minimumRows: minimumBandRows ?? 32768 / n)
            // An empty array's buffer may still have an address: no mask is nil.
            let capturing = !mask.isEmpty
            guard bands > 1 else {
                // One band (every small grid): straight into this step's counts and habits. An
                // empty mask is not asked for its buffer: that makes it a new one.
                guard capturing else {
                    return rows(
                        0..<n, influence: influence, bound: bound, ceiling: ceiling, mask: nil, counts: &counts,
                        habits: &habits)
                }
                mask.withUnsafeMutableBufferPointer { mask in
                    rows(
                        0..<n, influence: influence, bound: bound, ceiling: ceiling, mask: mask.baseAddress,
                        counts: &counts, habits: &habits)
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

    /// The Hamming part of ``run(counts:habits:mask:tables:)``: each slot's influence at the
    /// distances that pass (0..<`passing`; the rest stay -1), the bound on each population, and
    /// the greatest bound, returned. Distances 0..<passing pass, so only populations within
    /// that distance of the form's get a bound; the greatest influence at a distance or more is
    /// the influence at that distance when `falling` (the powers fall with distance, as they
    /// nearly always do, and so do products of them rounded alike), else the suffix maximum
    /// kept in `farthest`. Those are largest at the population nearest the form's, so the
    /// greatest bound is read there instead of searched for.
    ///
    /// When so few draws can pass the ceiling that weighing every crystal for each of them
    /// costs less than the bounds, each bound is left infinite: a draw that passes the ceiling
    /// is then weighed whole, which decides it exactly as a bound would have (the bounds cost
    /// a small grid's step, whose old crystals have little influence left, more than its few
    /// such draws).
    private static func hammingTables(
        slots: Int, cells: Int, values: Int, passing: Int, falling: Bool, gridCells: Int, resonance: Double,
        forms: UnsafePointer<UInt64>?, prefactors: UnsafePointer<Double>?, decays: UnsafePointer<Double>?,
        powers: UnsafePointer<Double>, influence: UnsafeMutablePointer<Double>, bound: UnsafeMutablePointer<Double>,
        farthest: UnsafeMutablePointer<Double>
    ) -> Double {
        guard slots > 0, passing > 0, let forms, let prefactors, let decays else { return -1 }
        var ceiling = -1.0
        if falling {
            for slot in 0..<slots {
                let own = influence + slot &* values
                let (prefactor, decay) = (prefactors[slot], decays[slot])
                for index in 0..<passing { own[index] = prefactor * powers[index] * decay }
                let formCells = forms[slot].nonzeroBitCount
                guard max(1, formCells &- passing &+ 1) <= min(cells, formCells &+ passing &- 1) else { continue }
                let nearest = own[max(1, formCells) &- formCells]
                ceiling = nearest > ceiling ? nearest : ceiling
            }
            // About ceiling · gridCells draws pass it at most, each weighed at a few
            // instructions a slot; the bounds cost some ten a slot and distance. (Above the
            // resonance threshold every occupied cell is weighed, and the bounds pay.)
            if ceiling >= 0 && ceiling <= resonance && ceiling * Double(gridCells) < Double(2 &* passing) {
                UnsafeMutableBufferPointer(start: bound + 1, count: cells).update(repeating: .infinity)
                return ceiling
            }
        }
        for slot in 0..<slots {
            let own = influence + slot &* values
            let formCells = forms[slot].nonzeroBitCount
            var reach = own
            if !falling {
                let (prefactor, decay) = (prefactors[slot], decays[slot])
                for index in 0..<passing { own[index] = prefactor * powers[index] * decay }
                var beyond = -1.0
                for distance in (0..<passing).reversed() {
                    beyond = own[distance] > beyond ? own[distance] : beyond
                    farthest[distance] = beyond
                }
                reach = farthest
            }
            let low = max(1, formCells &- passing &+ 1)
            let high = min(cells, formCells &+ passing &- 1)
            guard low <= high else { continue }
            if !falling {
                let nearest = reach[max(1, formCells) &- formCells]
                ceiling = nearest > ceiling ? nearest : ceiling
            }
            for live in low...high {
                let value = reach[abs(live &- formCells)]
                bound[live] = value > bound[live] ? value : bound[live]
            }
        }
        return ceiling
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
        let vectorDraws = self.vectorDraws
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
            // A grid of one word a row has each row's cells spread r columns either way once,
            // and a row's occupied cells ORed from the 2r + 1 spreads around it (reading the k
            // rows' words again for every row cost a small grid a third of its field step).
            let narrow = layout.lastWord == 1
            let spreadRows = narrow ? band.count &+ 2 &* r : 0
            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 64 &+ slots &+ 1 &+ k &+ spreadRows) { scratch in
                let draws = scratch.baseAddress!
                // Each slot's outcome, and nothing for the extra one.
                let outcomes = draws + 64
                // The window's k rows around the current word, each from r columns left of
                // the word's first cell (``windowRows(row:word:radius:into:)``).
                let near = outcomes + (slots &+ 1)
                // Row band.lowerBound - r + i spread, at i.
                let spreads = near + k
                for slot in 0..<slots { outcomes[slot] = UInt64(field.outcomes[slot]) }
                outcomes[slots] = 0
                if narrow {
                    switch r {
                    case 1: narrowOccupied(band, radius: 1, into: spreads)
                    case 2: narrowOccupied(band, radius: 2, into: spreads)
                    default: narrowOccupied(band, radius: 3, into: spreads)
                    }
                }
                field.forms.withUnsafeBufferPointer { forms in
                    for y in band {
                        let line = after + layout.row(y)
                        let current = before + layout.row(y)
                        for j in 1...layout.lastWord {
                            var cells: UInt64
                            if narrow {
                                cells = spreads[y &- band.lowerBound]
                            } else {
                                cells = occupied(row: y, word: j)
                            }
                            if j == layout.lastWord { cells &= layout.lastMask }
                            // The cells a crystal might take or that might resonate, by
                            // their draws: a mask, so that no branch waits on a draw.
                            var hopeful: UInt64 = 0
                            if !hopeless {
                                if vectorDraws {
                                    // Every cell up to the last occupied one, four at a time:
                                    // the draws of a quarter of a word cost what one cell's did.
                                    if cells != 0 {
                                        hopeful =
                                            CounterRandom.drawWord(
                                                prefix: random,
                                                first: UInt64(truncatingIfNeeded: y &* n &+ (j &- 1) &* 64),
                                                count: 64 &- cells.leadingZeroBitCount, below: ceilingBits, into: draws)
                                            & cells
                                    }
                                } else {
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
                                }
                                if ceiling > resonance { hopeful = cells }
                            }
                            var visit = hopeful | (habitsWanted ? cells & current[j] : 0)
                            if visit != 0 { windowRows(row: y, word: j, radius: r, into: near) }
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
    /// Not inlined: on a small grid few words have a cell to visit, and inlined its rows'
    /// addresses were worked out for every row whether needed or not.
    @inline(never)
    private func windowRows(row y: Int, word j: Int, radius r: Int, into rows: UnsafeMutablePointer<UInt64>) {
        let shift = UInt64(r)
        for dy in 0...(2 &* r) {
            let line = before + layout.row(y &- r &+ dy)
            rows[dy] = line[j] &<< shift | line[j &- 1] &>> (64 &- shift)
        }
    }

    /// ``occupied(row:word:radius:)`` for each row of `band` of a grid of one word a row, into
    /// `rows` (row band.lowerBound at 0), which holds band.count + 2r words: each row's word
    /// spread r columns either way once (its halo words' nearest cells brought in), then the
    /// 2r + 1 spreads around each row ORed. Called with a constant radius, so that its loops
    /// unroll.
    @inline(__always)
    private func narrowOccupied(_ band: Range<Int>, radius r: Int, into rows: UnsafeMutablePointer<UInt64>) {
        for i in 0..<(band.count &+ 2 &* r) {
            let line = before + layout.row(band.lowerBound &- r &+ i)
            let (left, middle, right) = (line[0], line[1], line[2])
            var cells = middle
            for dx in 1...r {
                let shift = UInt64(dx)
                cells |= middle &<< shift | left &>> (64 &- shift) | middle &>> shift | right &<< (64 &- shift)
            }
            rows[i] = cells
        }
        // Row i's window rows are spreads i ... i + 2r: read ahead of the writes.
        for i in 0..<band.count {
            var cells = rows[i]
            for dy in 1...(2 &* r) { cells |= rows[i &+ dy] }
            rows[i] = cells
        }
    }

    /// ``occupied(row:word:radius:)`` with this step's radius. Not inlined: inlined, its rows'
    /// addresses were worked out for every row, and a grid of one word a row needs none.
    @inline(never)
    private func occupied(row y: Int, word j: Int) -> UInt64 {
        switch configuration.formSize {
        case 3: occupied(row: y, word: j, radius: 1)
        case 5: occupied(row: y, word: j, radius: 2)
        default: occupied(row: y, word: j, radius: 3)
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
