import Foundation

/// One run of the morphic Life model (docs/model.md), advanced a step at a time.
///
/// A run is a pure function of its configuration: the same configuration gives the same
/// result on any machine, in any order. Callers step it so that they can report progress
/// and stop between steps; ``Ensemble`` steps coupled runs in lockstep.
public struct Simulation: Sendable {
    /// The configuration, with `seed` set to the seed in use.
    public let configuration: RunConfiguration
    /// Steps done so far.
    public private(set) var generation = 0
    /// The run's own crystals, by id.
    public private(set) var crystals: [Crystal] = []
    /// Live cells in the initial state.
    public let initialPopulation: Int
    /// When set, each step records in ``fieldMask`` which cells the field decided (for
    /// replay); it changes nothing else.
    public var capturesFieldMask = false
    /// After a step with ``capturesFieldMask`` set, per cell (row-major): 0 where Life decided,
    /// 1 where the field (a crystal, or the model's table) took the cell and agreed with Life,
    /// 2 where it overrode Life. Empty otherwise.
    public private(set) var fieldMask: [UInt8] = []
    /// Threads a step may use, in bands of rows (a large single run; the runs of a sweep use
    /// one each). Results are the same whatever the number.
    public var threads = 1
    /// The fewest rows a band of a step may have; nil leaves it to each kernel, which
    /// splits only grids large enough to gain. The tests lower it to split small grids.
    var minimumBandRows: Int? = nil
    /// Whether a step's draws are made a word at a time, four cells at once, where the
    /// processor can (``CounterRandom/drawsFourAtATime``); the same bits either way. The
    /// tests turn it off to hold the one-at-a-time draws to the same references.
    var vectorDraws = CounterRandom.drawsFourAtATime

    /// States S_{t-9} ... S_{t+1} stay in memory: convergence looks back 8 states.
    private static let history = 10
    private let layout: Plane
    private var planes: [UInt64]
    private let llmTable: RuleTable?
    private let similarity: SimilarityTable
    private var nextCrystalID = 1
    private var series = Series()
    private var populations: [Int]
    private var convergence: Int?
    /// Once a classical run's state repeats one `period` steps back: Life alone decides a
    /// classical run, so every later state is the one `period` steps before it, and is
    /// copied, its measurements repeated, rather than computed (the same bits; most of the
    /// plan's classical runs settle within their first half). Not with a test's kernel,
    /// which is held to computing every step.
    private var period: Int?
    private var totalOverrides = 0
    /// The kernels of a step: ``Plane/step(_:into:rule:torus:threads:minimumBandRows:)``, ``FieldStep/apply()``
    /// and ``TableStep/apply()`` when nil (called directly: a closure held by the run was
    /// retained and released every step, which a small grid felt).
    /// The tests put the straightforward ones they keep as references in their place.
    var lifeKernel: LifeKernel? = nil
    var fieldKernel: (@Sendable (inout FieldStep) -> Void)? = nil
    var tableKernel: (@Sendable (inout TableStep) -> Void)? = nil
    /// A Life kernel: the plane, S_t, S_{t+1}, the rule, the torus, threads and the fewest rows
    /// a band may have, to the population, pattern diversity and complexity of S_t.
    typealias LifeKernel = @Sendable (
        Plane, UnsafePointer<UInt64>, UnsafeMutablePointer<UInt64>, LifeRule, Bool, Int, Int?
    ) -> (population: Int, diversity: Int, complexity: Double)
    private var habitTable: [UInt64] = []
    /// States whose complexity waits to be worked out with others' (at most this many).
    private static let deferredStates = 8
    /// The kept blocks (``Plane/keptBlocks`` bytes a state) of the states recorded since the
    /// last complexities were worked out, and room for the state being measured; empty on
    /// a grid that keeps none. A state's complexity is two chains of dependent additions;
    /// ``Plane/complexities(_:states:into:)`` overlaps several states' chains.
    private var pendingBlocks: [UInt8]
    /// States recorded whose complexity is not yet in ``series`` (it holds NaN for them).
    private var pendingStates = 0
    /// The field step, kept from step to step with its arrays (the field, the counts, the
    /// habits, the tables), which each step refills in place: making a step and handing
    /// it the arrays, then taking them back, cost a small grid a sixth of its step.
    private var fieldStep: FieldStep
    private var decays = MorphicField.Decays()

    /// Prepares a run in its initial state.
    ///
    /// - Parameters:
    ///   - configuration: a configuration; its `seed`, when nil, is derived from `sweepSeed`
    ///     and `runID` (docs/model.md section 2).
    ///   - llmTable: the language model's table; required in `llm_control` mode.
    public init(
        configuration: RunConfiguration, runID: String = "", sweepSeed: UInt64 = 0, llmTable: RuleTable? = nil
    ) throws(ConfigurationError) {
        try self.init(
            configuration: configuration, runID: runID, sweepSeed: sweepSeed, llmTable: llmTable, initialCells: nil)
    }

    /// Prepares a run from a given initial state (row-major, 1 alive) instead of a random one.
    init(
        configuration: RunConfiguration, runID: String = "", sweepSeed: UInt64 = 0, llmTable: RuleTable? = nil,
        initialCells: [UInt8]?
    ) throws(ConfigurationError) {
        var configuration = try configuration.validated()
        let seed = configuration.seed ?? CounterRandom.runSeed(sweepSeed: sweepSeed, runID: runID)
        configuration.seed = seed
        if configuration.mode == .llmControl && llmTable == nil {
            throw ConfigurationError(key: "mode", message: "llm_control needs the language model's rule table")
        }
        self.configuration = configuration
        self.llmTable = configuration.mode == .llmControl ? llmTable : nil
        similarity = SimilarityTable(configuration)
        let layout = Plane(size: configuration.gridSize)
        self.layout = layout
        var planes = [UInt64](repeating: 0, count: layout.wordCount * Self.history)
        let n = configuration.gridSize
        let density = configuration.initialDensity
        let prefix = CounterRandom.prefix(seed: seed, stream: .initial, 0)
        let alive = CounterRandom.threshold(below: density)
        let torus = configuration.boundary == .torus
        let population = planes.withUnsafeMutableBufferPointer { planes in
            let cells = planes.baseAddress!
            var population = 0
            for y in 0..<n {
                let line = cells + layout.row(y)
                for x in 0..<n {
                    let index = y &* n &+ x
                    let alive =
                        if let initialCells {
                            initialCells[index] == 1
                        } else {
                            CounterRandom.mix64(prefix ^ UInt64(index)) &>> 11 < alive
                        }
                    // Without a branch: one that goes either way at random costs more than the draw.
                    line[(x &+ 64) &>> 6] |= UInt64(alive ? 1 : 0) &<< UInt64(x & 63)
                }
                for word in 1...layout.lastWord { population &+= line[word].nonzeroBitCount }
            }
            if torus { layout.wrapHalo(cells) }
            return population
        }
        self.planes = planes
        initialPopulation = population
        pendingBlocks = [UInt8](repeating: 0, count: Self.deferredStates * layout.keptBlocks)
        fieldStep = FieldStep(
            configuration: configuration, layout: layout, field: MorphicField(), similarity: similarity, step: 0,
            collectHabits: false)
        // Each series gets one entry a step: room for all of them now, rather than copies as
        // they grow.
        let steps = configuration.generations
        populations = [population]
        populations.reserveCapacity(steps + 1)
        for keyPath in [\Series.complexity, \.volatility, \.morphicInfluenceRate, \.overrideRate]
            as [WritableKeyPath<Series, [Double]>]
        {
            series[keyPath: keyPath].reserveCapacity(steps)
        }
        for keyPath in [\Series.population, \.patternDiversity, \.resonanceEvents, \.crystalCount]
            as [WritableKeyPath<Series, [Int]>]
        {
            series[keyPath: keyPath].reserveCapacity(steps)
        }
    }

    /// The current state S_t, t = ``generation``: row-major, 1 for alive.
    public var state: [UInt8] {
        let n = configuration.gridSize
        let layout = self.layout
        let base = Self.slot(generation) * layout.wordCount
        return planes.withUnsafeBufferPointer { planes in
            [UInt8](unsafeUninitializedCapacity: n * n) { cells, count in
                for y in 0..<n {
                    for x in 0..<n { cells[y &* n &+ x] = layout.cell(planes.baseAddress! + base, x: x, y: y) }
                }
                count = n * n
            }
        }
    }

    /// Whether every generation has been computed.
    public var isFinished: Bool { generation == configuration.generations }

    /// Computes step t = ``generation``, turning S_t into S_{t+1}.
    ///
    /// - Parameter partners: the crystals of the other runs of this run's coupling group as
    ///   they stood at the start of the step (empty for an uncoupled run).
    /// - Returns: the uses of partner crystals, to be credited to their owners.
    @discardableResult
    public mutating func step(partners: [PartnerCrystal] = []) -> [Credit] {
        precondition(!isFinished, "the run has finished")
        let t = generation
        let configuration = self.configuration
        let layout = self.layout
        let source = Self.slot(t) * layout.wordCount
        let target = Self.slot(t + 1) * layout.wordCount
        let torus = configuration.boundary == .torus

        let measured = period == nil ? applyRule(source: source, target: target) : repeatState(t)
        if t > 0 { record(state: t, measured) }

        var counts = (applied: 0, overrides: 0, resonances: 0)
        var credits: [Credit] = []
        let due =
            configuration.mode == .morphic && configuration.crystalCount > 0
            && (t + 1) % configuration.crystallizationInterval == 0
        if capturesFieldMask { fieldMask = [UInt8](repeating: 0, count: configuration.cellCount) }
        switch configuration.mode {
        case .classical:
            break
        case .morphic:
            fieldStep.field.refill(
                own: crystals, partners: partners, configuration: configuration, step: t, decays: &decays)
            if fieldStep.field.count > 0 || due {
                applyField(step: t, source: source, target: target, collectHabits: due)
                counts = (fieldStep.counts.applied, fieldStep.counts.overrides, fieldStep.counts.resonances)
                credits = settle(step: t)
                if due { crystallize(after: t) }
            }
        case .llmControl:
            let made = applyTable(step: t, source: source, target: target)
            counts = (made.applied, made.overrides, made.resonances)
        }
        if torus {
            planes.withUnsafeMutableBufferPointer { layout.wrapHalo($0.baseAddress! + target) }
        }
        let cells = Double(configuration.cellCount)
        series.morphicInfluenceRate.append(Double(counts.applied) / cells)
        series.overrideRate.append(Double(counts.overrides) / cells)
        series.resonanceEvents.append(counts.resonances)
        totalOverrides += counts.overrides
        series.crystalCount.append(crystals.count)
        generation += 1

        if isFinished {
            let final = Self.slot(t + 1) * layout.wordCount
            let scratch = Self.slot(t + 2) * layout.wordCount
            record(state: t + 1, period == nil ? applyRule(source: final, target: scratch) : repeatState(t + 1))
            workOutComplexities()
        }
        return credits
    }

    /// Credits this run's crystal with uses made by a partner run.
    public mutating func credit(_ credit: Credit) {
        guard let index = crystals.firstIndex(where: { $0.id == credit.crystalID }) else { return }
        crystals[index].activations += credit.activations
        crystals[index].overrides += credit.overrides
        crystals[index].lastUsed = max(crystals[index].lastUsed ?? credit.step, credit.step)
    }

    /// Runs every remaining step alone (no partners).
    public mutating func runToEnd() {
        while !isFinished { step() }
    }

    /// The run's results; only once it has finished.
    public var result: RunResult {
        precondition(isFinished, "the run has not finished")
        return RunResult(
            configuration: configuration, initialPopulation: initialPopulation, series: series,
            summary: Summary(series: series, totalOverrides: totalOverrides, convergenceGeneration: convergence),
            crystals: crystals, llmTable: llmTable)
    }

    private static func slot(_ state: Int) -> Int { state % history }

    /// Applies the Life rule to the state at word offset `source`, writing `target`, and
    /// returns the population, pattern diversity and complexity of the source state.
    private mutating func applyRule(source: Int, target: Int) -> (population: Int, diversity: Int, complexity: Double) {
        let layout = self.layout
        let torus = configuration.boundary == .torus
        let rule = configuration.rule
        let threads = self.threads
        let minimumBandRows = self.minimumBandRows
        if let kernel = lifeKernel {
            return planes.withUnsafeMutableBufferPointer { cells in
                kernel(
                    layout, cells.baseAddress! + source, cells.baseAddress! + target, rule, torus, threads,
                    minimumBandRows)
            }
        }
        // The blocks go to the room after those of the states recorded so far.
        let room = pendingStates * layout.keptBlocks
        return planes.withUnsafeMutableBufferPointer { cells in
            pendingBlocks.withUnsafeMutableBufferPointer { blocks in
                layout.step(
                    cells.baseAddress! + source, into: cells.baseAddress! + target, rule: rule, torus: torus,
                    threads: threads, minimumBandRows: minimumBandRows,
                    deferring: blocks.isEmpty ? nil : blocks.baseAddress! + room)
            }
        }
    }

    /// For a run whose states repeat (``period``): writes S_{t+1} as the state `period` steps
    /// before it, and returns the measurements of S_t, those of the state `period` before.
    private mutating func repeatState(_ t: Int) -> (population: Int, diversity: Int, complexity: Double) {
        let period = self.period!
        let words = layout.wordCount
        let (from, to) = (Self.slot(t + 1 - period) * words, Self.slot(t + 1) * words)
        planes.withUnsafeMutableBufferPointer { cells in
            (cells.baseAddress! + to).update(from: cells.baseAddress! + from, count: words)
        }
        // S_t is in the series at t - 1, so the state `period` before it at t - 1 - period.
        let earlier = t - 1 - period
        return (series.population[earlier], series.patternDiversity[earlier], series.complexity[earlier])
    }

    /// Puts the complexities of the states recorded since the last call into ``series``.
    private mutating func workOutComplexities() {
        guard pendingStates > 0 else { return }
        let (layout, states) = (self.layout, pendingStates)
        pendingStates = 0
        let first = series.complexity.count - states
        pendingBlocks.withUnsafeBufferPointer { blocks in
            series.complexity.withUnsafeMutableBufferPointer { complexity in
                layout.complexities(blocks.baseAddress!, states: states, into: complexity.baseAddress! + first)
            }
        }
    }

    /// Records the measurements of S_j (generation j − 1) and checks whether it repeats an
    /// earlier state.
    private mutating func record(state j: Int, _ measured: (population: Int, diversity: Int, complexity: Double)) {
        let layout = self.layout
        let offset = Self.slot(j) * layout.wordCount
        let previous = populations[j - 1]
        populations.append(measured.population)
        series.population.append(measured.population)
        series.patternDiversity.append(measured.diversity)
        series.volatility.append(Double(abs(measured.population - previous)) / Double(max(1, previous)))
        series.complexity.append(measured.complexity)
        // A state measured by the kernel of this file keeps its blocks for later.
        if lifeKernel == nil && !pendingBlocks.isEmpty && period == nil {
            pendingStates += 1
            if pendingStates == Self.deferredStates { workOutComplexities() }
        }

        guard convergence == nil else { return }
        for p in 1...8 where j - p >= 0 && populations[j - p] == measured.population {
            let other = Self.slot(j - p) * layout.wordCount
            // Halos are the grid's own copies or zero, so equal planes are equal grids.
            let same = planes.withUnsafeBufferPointer {
                memcmp($0.baseAddress! + offset, $0.baseAddress! + other, layout.wordCount * 8) == 0
            }
            if same {
                convergence = j - 1
                if configuration.mode == .classical && lifeKernel == nil {
                    // Repeated states take their complexities from the series: all in it first.
                    workOutComplexities()
                    period = p
                }
                return
            }
        }
    }

    typealias StepCounts = FieldStep.Counts

    /// docs/model.md section 4: lets the winning crystal of each non-empty window take the cell,
    /// and collects the habits that crystallization will choose from, in ``fieldStep`` (its
    /// field already refilled).
    private mutating func applyField(step t: Int, source: Int, target: Int, collectHabits: Bool) {
        fieldStep.step = t
        fieldStep.collectHabits = collectHabits
        fieldStep.threads = threads
        fieldStep.minimumBandRows = minimumBandRows
        fieldStep.vectorDraws = vectorDraws
        fieldStep.habits.removeAll(keepingCapacity: true)
        (fieldStep.counts.applied, fieldStep.counts.overrides, fieldStep.counts.resonances) = (0, 0, 0)
        let capturing = capturesFieldMask
        if capturing {
            fieldStep.mask = [UInt8](repeating: 0, count: configuration.cellCount)
        } else if !fieldStep.mask.isEmpty {
            fieldStep.mask = []
        }
        Self.run(fieldKernel, on: &fieldStep, planes: &planes, source: source, target: target)
        if capturing { fieldMask = fieldStep.mask }
    }

    /// Runs `kernel` (or ``FieldStep/apply()``) on `step` with S_t and S_{t+1} at word offsets
    /// `source` and `target` of `planes`; the step keeps no address after it.
    private static func run(
        _ kernel: (@Sendable (inout FieldStep) -> Void)?, on step: inout FieldStep, planes: inout [UInt64], source: Int,
        target: Int
    ) {
        planes.withUnsafeMutableBufferPointer { cells in
            step.planes = (UnsafePointer(cells.baseAddress! + source), cells.baseAddress! + target)
            if let kernel { kernel(&step) } else { step.apply() }
            step.planes = nil
        }
    }

    /// Credits own crystals with this step's uses and returns the partners' share.
    private mutating func settle(step t: Int) -> [Credit] {
        var credits: [Credit] = []
        let slots = fieldStep.field.count
        for slot in 0..<slots where fieldStep.counts.slotActivations[slot] > 0 {
            let (activations, overrides) = (
                fieldStep.counts.slotActivations[slot], fieldStep.counts.slotOverrides[slot]
            )
            if let owner = fieldStep.field.owners[slot] {
                credits.append(
                    Credit(
                        owner: owner, crystalID: fieldStep.field.ids[slot], activations: activations,
                        overrides: overrides,
                        step: t))
            } else {
                crystals[slot].activations += activations
                crystals[slot].overrides += overrides
                crystals[slot].lastUsed = t
            }
        }
        return credits
    }

    /// docs/model.md section 7: each cell follows the language model's table with probability φ.
    private mutating func applyTable(step t: Int, source: Int, target: Int) -> StepCounts {
        guard let table = llmTable?.entries else { return StepCounts() }
        let layout = self.layout
        let configuration = self.configuration
        let kernel = tableKernel
        let capturing = capturesFieldMask
        let vectorDraws = self.vectorDraws
        let (counts, mask) = planes.withUnsafeMutableBufferPointer { cells in
            var step = TableStep(
                layout: layout, table: table, fieldStrength: configuration.fieldStrength, seed: configuration.seed!,
                step: t, before: UnsafePointer(cells.baseAddress! + source), after: cells.baseAddress! + target,
                vectorDraws: vectorDraws, mask: capturing ? [UInt8](repeating: 0, count: configuration.cellCount) : [])
            if let kernel { kernel(&step) } else { step.apply() }
            return (step.counts, step.mask)
        }
        if capturing { fieldMask = mask }
        return counts
    }

    /// The habit that occurs most often, the smallest of those that tie (`window << 1 |
    /// outcome` orders habits by form, then outcome), counted in a hash table: sorting them
    /// cost more than the rest of a crystallizing step. `table` is room for it, kept between
    /// calls (a fresh one would be faulted in page by page every time).
    static func mostFrequent(_ habits: [UInt64], table: inout [UInt64]) -> UInt64 {
        // At most half full; habits are never 0 (a window with a live cell). Slot i holds a
        // habit at 2i and its count at 2i + 1.
        let bits = max(4, (2 * habits.count).bitWidth - (2 * habits.count).leadingZeroBitCount)
        let mask = (1 << bits) - 1
        if table.count < 2 << bits { table = Array(repeating: 0, count: 2 << bits) }
        return table.withUnsafeMutableBufferPointer { table in
            UnsafeMutableBufferPointer(rebasing: table[..<(2 << bits)]).update(repeating: 0)
            var best: UInt64 = 0
            var bestCount: UInt64 = 0
            for habit in habits {
                var slot = Int(truncatingIfNeeded: (habit &* 0x9E37_79B9_7F4A_7C15) >> UInt64(64 - bits))
                while table[2 &* slot] != habit && table[2 &* slot] != 0 { slot = (slot &+ 1) & mask }
                table[2 &* slot] = habit
                table[2 &* slot &+ 1] &+= 1
                let count = table[2 &* slot &+ 1]
                if count > bestCount || (count == bestCount && habit < best) {
                    best = habit
                    bestCount = count
                }
            }
            return best
        }
    }

    /// docs/model.md section 5: the most frequent habit of this step reinforces its crystal or
    /// becomes a new one, evicting the weakest when the field is full.
    private mutating func crystallize(after t: Int) {
        guard !fieldStep.habits.isEmpty else { return }
        let best = Self.mostFrequent(fieldStep.habits, table: &habitTable)
        let form = best >> 1
        let outcome = UInt8(best & 1)
        if let index = crystals.firstIndex(where: { $0.form == form && $0.outcome == outcome }) {
            crystals[index].strength += configuration.reinforcement * (1 - crystals[index].strength)
            return
        }
        let id = nextCrystalID
        nextCrystalID += 1
        let strength = 0.1 + 0.7 * CounterRandom.unit(seed: configuration.seed!, stream: .strength, UInt64(id), 0)
        if crystals.count >= configuration.crystalCount {
            let delta = configuration.temporalDecay
            func score(_ crystal: Crystal) -> Double {
                crystal.strength * exp(-delta * Double(t + 1 - crystal.generationCreated))
            }
            var weakest = 0
            for index in crystals.indices.dropFirst() where score(crystals[index]) < score(crystals[weakest]) {
                weakest = index
            }
            crystals.remove(at: weakest)
        }
        crystals.append(Crystal(id: id, form: form, outcome: outcome, strength: strength, generationCreated: t + 1))
    }
}
