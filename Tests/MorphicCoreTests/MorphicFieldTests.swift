import Testing

@testable import MorphicCore

/// The plan's validation of the morphic field (influence rises with field strength and falls with decay; controls show none).
@Suite struct MorphicFieldTests {
    func make(_ change: (inout RunConfiguration) -> Void = { _ in }) -> RunConfiguration {
        var configuration = RunConfiguration()
        configuration.gridSize = 32
        configuration.generations = 120
        configuration.seed = 7
        change(&configuration)
        return configuration
    }

    func run(_ configuration: RunConfiguration) throws -> RunResult {
        var simulation = try Simulation(configuration: configuration)
        simulation.runToEnd()
        return simulation.result
    }

    @Test(arguments: [ParameterKey.fieldStrength, .crystalCount])
    func morphicRun_EvolvesLikeClassical_WithoutFieldOrCrystals(_ zero: ParameterKey) throws {
        let classical = try run(make { $0.mode = .classical })
        var configuration = make { $0.mode = .morphic }
        try configuration.set(zero, argument: "0")
        let morphic = try run(configuration)
        #expect(morphic.series.population == classical.series.population)
        #expect(morphic.series.patternDiversity == classical.series.patternDiversity)
        #expect(morphic.series.complexity == classical.series.complexity)
        #expect(morphic.summary.convergenceGeneration == classical.summary.convergenceGeneration)
        #expect(morphic.summary.avgInfluenceRate == 0)
    }

    /// Mean influence rate over 16 seeds: single runs are chaotic, the trend is in the mean.
    func meanInfluence(_ change: (inout RunConfiguration) -> Void) throws -> Double {
        var total = 0.0
        for seed: UInt64 in 1...16 {
            total += try run(
                make {
                    $0.seed = seed; change(&$0)
                }
            ).summary.avgInfluenceRate
        }
        return total / 16
    }

    @Test func influence_GrowsWithFieldStrength() throws {
        let rates = try [0.2, 0.6, 1.0].map { phi in try meanInfluence { $0.fieldStrength = phi } }
        #expect(rates[0] > 0)
        #expect(rates[0] < rates[1] && rates[1] < rates[2], "\(rates)")
    }

    @Test func influence_FallsWithTemporalDecay() throws {
        let rates = try [0.0, 0.1, 0.9].map { delta in try meanInfluence { $0.temporalDecay = delta } }
        #expect(rates[0] > rates[1] && rates[1] > rates[2], "\(rates)")
    }

    @Test func crystals_AreBornAtCrystallizationsWithTheirAge() throws {
        let result = try run(
            make {
                $0.crystallizationInterval = 7; $0.crystalCount = 64
            })
        #expect(!result.crystals.isEmpty)
        for crystal in result.crystals {
            #expect(crystal.generationCreated % 7 == 0)
            #expect((0.1..<0.8).contains(crystal.strength) || crystal.strength > 0.1)
            #expect(crystal.overrides <= crystal.activations)
            if let last = crystal.lastUsed { #expect(last >= crystal.generationCreated) }
        }
        #expect(result.crystals.map(\.id) == result.crystals.map(\.id).sorted())
        #expect(result.series.crystalCount.max() == result.crystals.count)
    }

    @Test func eviction_RemovesTheOldest_WhenDecayDominates() throws {
        let result = try run(
            make {
                $0.crystalCount = 3; $0.temporalDecay = 10
            })
        let ids = result.crystals.map(\.id)
        #expect(ids.count == 3)
        let newest = ids.last!
        #expect(ids == [newest - 2, newest - 1, newest])
        #expect(result.series.crystalCount.allSatisfy { $0 <= 3 })
    }

    @Test func eviction_KeepsTheStrongest_WithoutDecay() throws {
        // With δ = 0 the score is the strength alone, so every crystal that was evicted was
        // no stronger than the ones that stayed at the time; the survivors' strengths never
        // fall, so none of them is weaker than a new crystal's minimum.
        let result = try run(
            make {
                $0.crystalCount = 2; $0.temporalDecay = 0; $0.generations = 300
            })
        #expect(result.crystals.count == 2)
        #expect(result.crystals.allSatisfy { $0.strength >= 0.1 && $0.strength <= 1 })
    }

    @Test func crystalStrength_IsDrawnFromTheStrengthStream() throws {
        let result = try run(make { $0.crystalCount = 64 })
        let first = try #require(result.crystals.first { $0.id == 1 })
        let drawn = 0.1 + 0.7 * CounterRandom.unit(seed: 7, stream: .strength, 1, 0)
        #expect(first.strength >= drawn)
    }

    @Test func coupling_Zero_LeavesRunsAsTheyAreAlone() throws {
        let configurations = (1...3).map { seed in
            make {
                $0.seed = UInt64(seed); $0.crossSystemCoupling = 0
            }
        }
        var ensemble = Ensemble(try configurations.map { try Simulation(configuration: $0) })
        while !ensemble.isFinished { ensemble.step() }
        for (index, configuration) in configurations.enumerated() {
            #expect(ensemble.members[index].result == (try run(configuration)))
        }
    }

    @Test func coupling_AboveZero_ChangesTheRuns() throws {
        let configurations = (1...3).map { seed in
            make {
                $0.seed = UInt64(seed); $0.crossSystemCoupling = 1
            }
        }
        var ensemble = Ensemble(try configurations.map { try Simulation(configuration: $0) })
        while !ensemble.isFinished { ensemble.step() }
        let alone = try configurations.map { try run($0) }
        #expect(ensemble.members.map(\.result.series.population) != alone.map(\.series.population))
        // Coupled runs also see partners' crystals, so they are influenced more often.
        let coupledInfluence = ensemble.members.map(\.result.summary.avgInfluenceRate).reduce(0, +)
        let aloneInfluence = alone.map(\.summary.avgInfluenceRate).reduce(0, +)
        #expect(coupledInfluence > aloneInfluence)
    }

    @Test func coupledCredits_ReachTheOwningRun() throws {
        let configurations = (1...2).map { seed in
            make {
                $0.seed = UInt64(seed); $0.crossSystemCoupling = 1
            }
        }
        var ensemble = Ensemble(try configurations.map { try Simulation(configuration: $0) })
        while !ensemble.isFinished { ensemble.step() }
        let activations = ensemble.members.flatMap(\.result.crystals).map(\.activations).reduce(0, +)
        let applied = ensemble.members.map { member in
            member.result.series.morphicInfluenceRate.reduce(0) { $0 + Int(($1 * 1024).rounded()) }
        }.reduce(0, +)
        // Every applied influence is credited to a crystal, or to one evicted since.
        #expect(activations <= applied)
        #expect(activations > 0)
    }

    @Test func llmControl_FollowsTheTableWithProbabilityFieldStrength() throws {
        // A table that always answers "dead" overrides every live Life outcome it is asked about.
        let dead = RuleTable { _ in false }
        var always = try Simulation(
            configuration: make {
                $0.mode = .llmControl; $0.fieldStrength = 1
            }, llmTable: dead)
        always.runToEnd()
        #expect(always.result.series.population.allSatisfy { $0 == 0 })
        #expect(always.result.series.morphicInfluenceRate.allSatisfy { $0 == 1 })

        var never = try Simulation(
            configuration: make {
                $0.mode = .llmControl; $0.fieldStrength = 0
            }, llmTable: dead)
        never.runToEnd()
        #expect(never.result.series.population == (try run(make { $0.mode = .classical })).series.population)
        #expect(throws: ConfigurationError.self) { try Simulation(configuration: make { $0.mode = .llmControl }) }
    }
}
