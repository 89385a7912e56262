@testable import MorphicCore
import Testing

/// The core's fast kernels against the straightforward ones they replaced, through whole
/// runs: random configurations of every mode, rule, boundary, form size, similarity and
/// coupling, every series, statistic and crystal equal.
@Suite struct SimulationKernelTests {
    /// A random configuration: grids of 3 to 70, short runs with early crystals, so that the
    /// field acts in most of them.
    static func configuration(_ trial: Int, random: inout some RandomNumberGenerator) -> RunConfiguration {
        var configuration = RunConfiguration()
        configuration.mode = [Mode.morphic, .morphic, .morphic, .classical, .llmControl][trial % 5]
        configuration.gridSize = 3 + trial % 68
        configuration.generations = Int.random(in: 1...24, using: &random)
        configuration.initialDensity = Double.random(in: 0...1, using: &random)
        configuration.rule =
            trial % 3 == 0
            ? .conway
            : LifeRule(
                birth: UInt16.random(in: 0...0x1FF, using: &random), survival: UInt16.random(in: 0...0x1FF, using: &random))
        configuration.boundary = Bool.random(using: &random) ? .torus : .dead
        configuration.crystalCount = Int.random(in: 0...8, using: &random)
        configuration.fieldStrength = Double.random(in: 0...1, using: &random)
        configuration.temporalDecay = Double.random(in: 0...2, using: &random)
        configuration.similarityThreshold = Double.random(in: 0...1, using: &random)
        configuration.influenceExponent = Double.random(in: 0.1...4, using: &random)
        configuration.formSize = [3, 5, 7].randomElement(using: &random)!
        configuration.similarity = Bool.random(using: &random) ? .hamming : .jaccard
        configuration.crystallizationInterval = Int.random(in: 1...4, using: &random)
        configuration.minFormCells = Int.random(in: 1...configuration.formSize * configuration.formSize / 2, using: &random)
        configuration.reinforcement = Double.random(in: 0...1, using: &random)
        configuration.resonanceThreshold = Double.random(in: 0...1, using: &random)
        configuration.seed = UInt64.random(in: 0...UInt64.max, using: &random)
        return configuration
    }

    /// The straightforward Life step and measurements, in place of the run's own.
    static let referenceLife: Simulation.LifeKernel = { plane, source, target, rule, torus, _, _ in
        let measured = rule.table.entries.withUnsafeBufferPointer {
            ReferencePlane.step(plane, source, into: target, table: $0.baseAddress!, torus: torus)
        }
        return (measured.population, measured.diversity, ReferencePlane.complexity(plane, source))
    }

    /// The group's results with the fast kernels, or with the reference ones.
    static func results(
        _ configurations: [RunConfiguration], llm: RuleTable, reference: Bool, threads: Int = 1,
        vectorDraws: Bool = CounterRandom.drawsFourAtATime
    ) throws -> [RunResult] {
        var members = try configurations.map { try Simulation(configuration: $0, llmTable: llm) }
        for index in members.indices {
            members[index].threads = threads
            members[index].vectorDraws = vectorDraws
            // Bands of a few rows, so that these small grids are split.
            members[index].minimumBandRows = 4
        }
        if reference {
            for index in members.indices {
                members[index].lifeKernel = Self.referenceLife
                members[index].fieldKernel = { $0.applyReference() }
                members[index].tableKernel = { $0.applyReference() }
            }
        }
        var ensemble = Ensemble(members)
        while !ensemble.isFinished { ensemble.step() }
        return ensemble.members.map(\.result)
    }

    @Test func fastKernels_EqualTheReference_OnAThousandRandomConfigurations() throws {
        var random = SystemRandomNumberGenerator()
        var fieldActed = 0
        for trial in 0..<1000 {
            var first = Self.configuration(trial, random: &random)
            // Every fourth a coupled group of two or three replicates.
            var group = [first]
            if trial % 4 == 1 {
                first.crossSystemCoupling = Double.random(in: 0.1...1, using: &random)
                group = (0..<Int.random(in: 2...3, using: &random)).map { member in
                    var replicate = first
                    replicate.seed = first.seed! &+ UInt64(member)
                    return replicate
                }
            }
            let llm = RuleTable { _ in Bool.random(using: &random) }
            // Some in bands of rows on three threads: the same results as on one. Every other
            // draws one cell at a time, as processors without 64-bit vector multiplies do.
            let fast = try Self.results(
                group, llm: llm, reference: false, threads: trial % 3 == 2 ? 3 : 1,
                vectorDraws: trial % 2 == 0 && CounterRandom.drawsFourAtATime)
            let expected = try Self.results(group, llm: llm, reference: true)
            for (made, wanted) in zip(fast, expected) {
                // Compared whole and named by trial: the series themselves would fill pages.
                let (series, crystals, summary) =
                    (made.series == wanted.series, made.crystals == wanted.crystals, made.summary == wanted.summary)
                #expect(series && crystals && summary, "trial \(trial) (series \(series), crystals \(crystals), summary \(summary)): \(made.configuration)")
                if made.series.morphicInfluenceRate.contains(where: { $0 > 0 }) { fieldActed += 1 }
            }
        }
        // The comparison means something only where the field took cells.
        #expect(fieldActed > 300, "the field acted in \(fieldActed) runs")
    }

    @Test func mostFrequentHabit_IsTheSmallestOfTheCommonest() {
        var random = SystemRandomNumberGenerator()
        // One table for every trial, as a run keeps one: what a trial leaves must not count.
        var table: [UInt64] = []
        for trial in 0..<500 {
            // Few distinct habits make ties; many make a crowded table.
            let distinct = [2, 5, 50, 5000][trial % 4]
            let alphabet = (0..<distinct).map { _ in UInt64.random(in: 2...(1 << 50), using: &random) }
            let habits = (0..<Int.random(in: 1...3000, using: &random)).map { _ in alphabet.randomElement(using: &random)! }
            let counts = Dictionary(habits.map { ($0, 1) }, uniquingKeysWith: +)
            let most = counts.values.max()!
            let expected = counts.filter { $0.value == most }.keys.min()!
            #expect(Simulation.mostFrequent(habits, table: &table) == expected, "trial \(trial)")
        }
    }

    /// A classical run that settles repeats its cycle rather than computing it: the same
    /// series, summary and states, step by step, as computing every step, for still lifes
    /// and oscillators of every period the convergence check sees, on both boundaries.
    ///
    /// The trials are drawn from a fixed seed, and Conway's run long enough to settle: which
    /// cycles random ones reached was chance (one suite's 140 showed no period 2), and the
    /// comparison means something only for the cycles its runs reach. The period is the
    /// states' own (a blinker's population never changes).
    @Test func settledClassicalRun_RepeatsItsCycle_AsComputingEveryStepWould() throws {
        var random = Trials(seed: 1)
        var settled = 0
        var periods = Set<Int>()
        for trial in 0..<140 {
            var configuration = RunConfiguration()
            configuration.mode = .classical
            configuration.gridSize = [4, 8, 13, 25, 47, 64, 70][trial % 7]
            // Conway's runs long enough to settle, into blinkers (period 2) as often as not.
            configuration.generations = Int.random(in: trial % 3 == 0 ? 300...600 : 20...250, using: &random)
            configuration.initialDensity = [0, 0.1, 0.35, 0.5, 1][trial % 5]
            configuration.boundary = trial % 2 == 0 ? .torus : .dead
            configuration.rule =
                trial % 3 == 0
                ? .conway
                : LifeRule(
                    birth: UInt16.random(in: 0...0x1FE, using: &random) & ~1,
                    survival: UInt16.random(in: 0...0x1FF, using: &random))
            configuration.seed = UInt64.random(in: 0...UInt64.max, using: &random)
            var fast = try Simulation(configuration: configuration)
            var reference = try Simulation(configuration: configuration)
            reference.lifeKernel = Self.referenceLife
            // The last nine states, for the cycle's period.
            var recent: [[UInt8]] = []
            while !fast.isFinished {
                fast.step()
                reference.step()
                let state = fast.state
                guard state == reference.state else {
                    Issue.record("trial \(trial): state \(fast.generation) differs: \(configuration)")
                    break
                }
                recent = recent.suffix(8) + [state]
            }
            let (made, wanted) = (fast.result, reference.result)
            #expect(made.series == wanted.series && made.summary == wanted.summary, "trial \(trial): \(configuration)")
            if let converged = made.summary.convergenceGeneration, converged + 10 < configuration.generations {
                settled += 1
                // The period: the first p for which the last state is the one p before.
                if let p = (1...8).first(where: { recent.count > $0 && recent[recent.count - 1] == recent[recent.count - 1 - $0] }) {
                    periods.insert(p)
                }
            }
        }
        #expect(settled > 50, "\(settled) runs settled well before their end")
        #expect(periods.contains(1) && periods.contains(2), "periods seen: \(periods.sorted()), \(settled) settled")
    }

    /// Draws from a fixed seed (SplitMix64), the same on every machine and run.
    struct Trials: RandomNumberGenerator {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            return CounterRandom.mix64(state)
        }
    }

    @Test func bandsOfRows_GiveTheSameRun_AsOneThread() throws {
        var random = SystemRandomNumberGenerator()
        for similarity in [SimilarityMeasure.hamming, .jaccard] {
            var configuration = RunConfiguration()
            configuration.gridSize = 150
            configuration.generations = 30
            configuration.crystallizationInterval = 2
            configuration.similarity = similarity
            configuration.similarityThreshold = 0.5
            configuration.seed = UInt64.random(in: 0...UInt64.max, using: &random)
            var runs: [(result: RunResult, masks: [[UInt8]])] = []
            for threads in [1, 4] {
                var simulation = try Simulation(configuration: configuration)
                simulation.threads = threads
                simulation.minimumBandRows = 16
                simulation.capturesFieldMask = true
                var masks: [[UInt8]] = []
                while !simulation.isFinished {
                    simulation.step()
                    masks.append(simulation.fieldMask)
                }
                runs.append((simulation.result, masks))
            }
            #expect(runs[0].masks.contains { $0.contains(2) }, "the field overrode Life somewhere")
            #expect(runs[0].result == runs[1].result, "\(similarity): the runs differ")
            #expect(runs[0].masks == runs[1].masks, "\(similarity): the masks differ")
        }
    }
}
