import Foundation
import MorphicCore
import MorphicData
import Testing

/// Sampled and listed groups: how their points spread, that every draw stays within its
/// bounds and depends only on the sweep seed, the group and the point, and that a point
/// runs exactly as the same point of a grid.
@Suite struct SampledSweepTests {
    static func parse(_ text: String) throws -> SweepDefinition { try SweepDefinition.parse(Array(text.utf8)) }

    /// A group of `count` points drawn by `method` from three uniform [0, 1] parameters.
    static func cube(_ method: String, count: Int, seed: UInt64 = 7) throws -> [[Double]] {
        let definition = try parse(
            """
            {"seed": \(seed), "groups": [{"prefix": "s", "sample": {"count": \(count), "method": "\(method)",
             "params": {"field_strength": {"uniform": [0, 1]}, "similarity_threshold": {"uniform": [0, 1]},
                        "reinforcement": {"uniform": [0, 1]}}}}]}
            """)
        return definition.runs.map { run in
            [run.configuration.fieldStrength, run.configuration.similarityThreshold, run.configuration.reinforcement]
        }
    }

    /// Hickernell's centred L2 discrepancy, squared.
    static func centredDiscrepancy(_ points: [[Double]]) -> Double {
        let n = Double(points.count)
        let d = points[0].count
        var single = 0.0
        for x in points {
            var product = 1.0
            for k in 0..<d { product *= 1 + 0.5 * abs(x[k] - 0.5) - 0.5 * (x[k] - 0.5) * (x[k] - 0.5) }
            single += product
        }
        var pairs = 0.0
        for x in points {
            for y in points {
                var product = 1.0
                for k in 0..<d { product *= 1 + 0.5 * abs(x[k] - 0.5) + 0.5 * abs(y[k] - 0.5) - 0.5 * abs(x[k] - y[k]) }
                pairs += product
            }
        }
        return pow(13.0 / 12.0, Double(d)) - 2 / n * single + pairs / (n * n)
    }

    @Test func sobolPoints_HaveFarLowerDiscrepancyThanRandomOnes() throws {
        let sobol = Self.centredDiscrepancy(try Self.cube("sobol", count: 1024))
        let random = try (1...5).map { Self.centredDiscrepancy(try Self.cube("random", count: 1024, seed: $0)) }
        // Random points' expected squared discrepancy is of order 1/n; Sobol's of order (log n)³/n².
        #expect(sobol * 20 < random.min()!, "sobol \(sobol), random \(random)")
    }

    @Test func sobolSequence_IsJoeKuos_InGrayCodeOrder() {
        let sequence = SobolSequence(dimensions: 18)
        // scipy.stats.qmc.Sobol(d=18, scramble=False, bits=32): its points 0…7 (first three
        // coordinates) and 1000, 1001 (all, times 2³²), from its own copy of Joe and Kuo's table.
        let first: [[Double]] = [
            [0, 0, 0], [0.5, 0.5, 0.5], [0.75, 0.25, 0.25], [0.25, 0.75, 0.75], [0.375, 0.375, 0.625],
            [0.875, 0.875, 0.125], [0.625, 0.125, 0.875], [0.125, 0.625, 0.375],
        ]
        for (index, point) in first.enumerated() {
            #expect((0..<3).map { sequence.coordinate(index: UInt32(index), dimension: $0) } == point)
        }
        let later: [UInt32: [UInt32]] = [
            1000: [
                943_718_400, 415_236_096, 2_227_175_424, 2_906_652_672, 1_203_765_248, 3_896_508_416, 197_132_288,
                3_862_953_984, 2_151_677_952, 297_795_584, 364_904_448, 1_094_713_344, 692_060_160, 1_648_361_472,
                616_562_688, 1_589_641_216, 3_091_202_048, 1_480_589_312,
            ],
            1001: [
                3_091_202_048, 2_562_719_744, 79_691_776, 759_169_024, 3_351_248_896, 1_749_024_768, 2_344_615_936,
                1_715_470_336, 4_194_304, 2_445_279_232, 2_512_388_096, 3_242_196_992, 2_839_543_808, 3_795_845_120,
                2_764_046_336, 3_737_124_864, 943_718_400, 3_628_072_960,
            ],
        ]
        for (index, bits) in later {
            #expect((0..<18).map { sequence.bits(index: index, dimension: $0) } == bits)
        }
    }

    @Test(arguments: [1, 2, 7, 100, 1000])
    func latinHypercube_HasOnePointInEachStratumOfEveryAxis(_ count: Int) throws {
        let points = try Self.cube("latin_hypercube", count: count)
        for axis in 0..<3 {
            #expect(Set(points.map { Int($0[axis] * Double(count)) }) == Set(0..<count), "axis \(axis)")
        }
    }

    @Test(arguments: ["random", "latin_hypercube", "sobol"])
    func everyDraw_LiesWithinItsBounds(_ method: String) throws {
        let definition = try Self.parse(
            """
            {"seed": 3, "groups": [{"prefix": "s", "sample": {"count": 2000, "method": "\(method)",
             "params": {"rule": {"choice": ["B3/S23", "B36/S23"]}, "crystal_count": {"integer": [1, 10]},
                        "field_strength": {"uniform": [0.25, 0.75]}, "temporal_decay": {"uniform": [0, 0.9]},
                        "influence_exponent": {"log_uniform": [0.5, 4.0]}, "form_size": {"choice": [3, 7]},
                        "cross_system_coupling": {"uniform": [0.2, 0.2]}}}}]}
            """)
        let configurations = definition.runs.map(\.configuration)
        #expect(configurations.count == 2000)
        #expect(Set(configurations.map(\.rule.description)) == ["B3/S23", "B36/S23"])
        #expect(Set(configurations.map(\.crystalCount)) == Set(1...10))
        #expect(Set(configurations.map(\.formSize)) == [3, 7])
        #expect(configurations.allSatisfy { (0.25...0.75).contains($0.fieldStrength) })
        #expect(configurations.allSatisfy { (0...0.9).contains($0.temporalDecay) })
        #expect(configurations.allSatisfy { (0.5...4).contains($0.influenceExponent) })
        #expect(configurations.allSatisfy { $0.crossSystemCoupling == 0.2 })
        // Log-uniform: as many below the geometric mean of the bounds as above.
        let below = configurations.filter { $0.influenceExponent < (0.5 * 4.0).squareRoot() }.count
        #expect(abs(below - 1000) < 100)
    }

    @Test func draws_ArePureFunctionsOfSeedGroupAndPoint() throws {
        let text = { (seed: Int, before: String) in
            """
            {"seed": \(seed), "groups": [\(before){"prefix": "s", "replicates": 2, "sample": {"count": 50,
             "method": "latin_hypercube", "params": {"field_strength": {"uniform": [0, 1]},
             "crystal_count": {"integer": [0, 64]}}}}]}
            """
        }
        let definition = try Self.parse(text(5, ""))
        let forward = definition.runs.map(\.configuration)
        let backward = definition.runs.indices.reversed().map { definition.runs[$0].configuration }
        #expect(forward == backward.reversed())
        #expect(try Self.parse(text(5, "")).runs.map(\.configuration) == forward)
        // Replicates share their point's values; another seed draws others.
        #expect(stride(from: 0, to: 100, by: 2).allSatisfy { forward[$0] == forward[$0 + 1] })
        #expect(try Self.parse(text(6, "")).runs.map(\.configuration) != forward)
        // The group's place in the definition is part of its draws.
        let moved = try Self.parse(text(5, #"{"prefix": "a"},"#)).runs.dropFirst().map(\.configuration)
        #expect(moved != forward)
        // Sobol points do not depend on the seed.
        #expect(try Self.cube("sobol", count: 16, seed: 1) == (try Self.cube("sobol", count: 16, seed: 2)))
    }

    @Test func points_RunInOrder_EachWithItsReplicates() throws {
        let definition = try Self.parse(
            #"""
            {"groups": [{"prefix": "p", "replicates": 2, "params": {"crystal_count": 3},
              "points": [{"field_strength": 0.31, "temporal_decay": 0.12}, {"similarity_threshold": 0.9}, {}]}]}
            """#)
        #expect(definition.runs.map(\.id) == (1...6).map { "p_\($0)" })
        #expect(definition.runs.map(\.point) == [0, 0, 1, 1, 2, 2])
        let configurations = definition.runs.map(\.configuration)
        #expect(configurations[0].fieldStrength == 0.31 && configurations[1].temporalDecay == 0.12)
        #expect(configurations[2].similarityThreshold == 0.9 && configurations[2].fieldStrength == 0.6)
        #expect(configurations[4] == RunConfiguration.withCrystals(3))
        #expect(configurations.allSatisfy { $0.crystalCount == 3 })
    }

    /// Each model vector's run written as a listed point and as a sample whose only choices
    /// are its values (and, for the seed sweep's morphic_1, as a grid of which it is the first
    /// point): a run's record depends on its configuration and id, not on how it was asked for.
    static let designs = ["points", "sample", "grid"]

    @Test(arguments: ModelVectorTests.files, designs)
    func pointOfAnyDesign_RunsAsTheModelsVector(_ file: String, _ design: String) throws {
        let vector = try JSONParser.parse(try Fixtures.bytes("ModelVectors/" + file))
        let config = try #require(vector["config"]?.members)
        let runID = try #require(vector["config"]?["run_id"]?.stringValue)
        let prefix = runID.hasSuffix("_1") ? String(runID.dropLast(2)) : runID
        var fixed: [JSON.Member] = []
        var drawn: [JSON.Member] = []
        for member in config where !["run_id", "sweep_seed"].contains(member.key) {
            // Mode, size and length are never drawn: they stay the group's own.
            if ["mode", "seed", "grid_size", "generations"].contains(member.key) {
                fixed.append(member)
            } else {
                drawn.append(member)
            }
        }
        let points: JSON
        switch design {
        case "points": points = .array([.object(drawn)])
        case "sample":
            // A control's vector sets nothing a sample may draw: draw the model's default rule.
            let drawn = drawn.isEmpty ? [JSON.Member("rule", .string("B3/S23"))] : drawn
            points = .object([
                "count": .int(3), "method": .string("latin_hypercube"),
                "params": .object(drawn.map { JSON.Member($0.key, .object(["choice": .array([$0.value])])) }),
            ])
        default:
            guard file == "morphic-seed-sweep-morphic_1.json" else { return }
            points = .object(
                drawn.map {
                    JSON.Member($0.key, .array($0.key == "field_strength" ? [$0.value, .number("0.9")] : [$0.value]))
                })
        }
        let definition = try SweepDefinition(
            json: .object([
                "seed": vector["config"]?["sweep_seed"] ?? .int(0),
                "groups": .array([.object(["prefix": .string(prefix), "params": .object(fixed), design: points])]),
            ]))
        let run = definition.runs[0]
        #expect(run.id == (runID.hasSuffix("_1") ? runID : runID + "_1"))
        var simulation = try Simulation(configuration: run.configuration, runID: run.id, sweepSeed: definition.seed)
        simulation.runToEnd()
        try ModelVectorTests.expect(
            RunRecord.json(runID: run.id, result: simulation.result), toMatch: try #require(vector["expected"]), file)
    }

    @Test func priorSweep_DrawsTheDocumentedPrior_WithControlsSpreadOverTheSplits() throws {
        let definition = try SweepDefinition.parse(
            try Data(contentsOf: Fixtures.packageFolder.appendingPathComponent("Config/sweeps/prior.json")))
        #expect(definition.runs.count == 2560)
        #expect(definition.runs.filter { $0.configuration.mode == .classical }.count == 512)
        #expect(
            Theta(definition).names == [
                "initial_density", "crystal_count", "field_strength", "temporal_decay", "similarity_threshold",
                "influence_exponent",
            ])
        let controls = definition.runs.prefix(512).map { DatasetSplit($0, sweepSeed: definition.seed) }
        #expect(Set(controls) == Set(DatasetSplit.allCases))
        #expect(definition.runs.allSatisfy { $0.configuration.gridSize == 32 && $0.configuration.generations == 200 })
        // Every morphic point has a field, Sobol's lower corner too: no morphic run is a control in disguise.
        let morphic = definition.runs.filter { $0.configuration.mode == .morphic }
        #expect(morphic.count == 2048)
        #expect(morphic.allSatisfy { $0.configuration.fieldStrength > 0 && $0.configuration.crystalCount > 0 })
        let theta = Theta(definition)
        #expect(morphic.allSatisfy { !theta.values($0.configuration).contains { $0.isNaN } })
    }

    /// The verdict on a group's bounds depends on what it declares, never on what is drawn.
    @Test(arguments: [
        (#"{"min_form_cells": {"integer": [1, 49]}}"#, "groups[0].sample.params.min_form_cells.integer[1]"),
        (#"{"min_form_cells": {"integer": [1, 25]}}"#, nil),
        (#"{"min_form_cells": {"integer": [1, 9]}, "form_size": {"choice": [7, 3]}}"#, nil),
        (#"{"min_form_cells": {"integer": [1, 10]}, "form_size": {"choice": [7, 3]}}"#,
         "groups[0].sample.params.min_form_cells.integer[1]"),
    ] as [(String, String?)])
    func formLimit_IsJudgedOnTheDeclaredBounds_ForEverySeedAndMethod(_ params: String, _ field: String?) throws {
        var messages = Set<String>()
        for method in ParameterSample.Method.allCases {
            for seed in 0..<40 {
                let text = """
                    {"name": "mfc", "seed": \(seed), "defaults": {"generations": 5, "grid_size": 8},
                     "groups": [{"prefix": "m", "mode": "morphic",
                                 "sample": {"count": 2, "method": "\(method.rawValue)", "params": \(params)}}]}
                    """
                if let field {
                    let error = #expect(throws: SweepError.self) { try SweepDefinition.parse(Array(text.utf8)) }
                    #expect(error?.field == field, "seed \(seed), \(method)")
                    messages.insert(error?.message ?? "")
                } else {
                    #expect(throws: Never.self, "seed \(seed), \(method)") { try SweepDefinition.parse(Array(text.utf8)) }
                }
            }
        }
        #expect(messages.count == (field == nil ? 0 : 1), "\(messages)")
    }

    /// A fixed min_form_cells is judged against the smallest form_size drawn or listed.
    @Test(arguments: [
        (#""params": {"min_form_cells": 12}, "sample": {"count": 2, "method": "random", "params": {"form_size": {"choice": [5, 3, 7]}}}"#,
         "groups[0].sample.params.form_size.choice[1]"),
        (#""params": {"min_form_cells": 12}, "grid": {"form_size": [5, 7, 3]}"#, "groups[0].grid.form_size[2]"),
        (#""params": {"min_form_cells": 12}, "points": [{"form_size": 5}, {"form_size": 3}]"#, "groups[0].points[1].form_size"),
        (#""params": {"min_form_cells": 26}, "points": [{"field_strength": 0.2}]"#, "groups[0].params.min_form_cells"),
        (#""params": {"form_size": 3}, "sample": {"count": 2, "method": "sobol", "params": {"field_strength": {"uniform": [0, 1]}}}"#,
         "defaults.min_form_cells"),
    ])
    func formLimit_NamesTheDeclaredValueThatBreaksIt(_ design: String, _ field: String) {
        let text = #"{"defaults": {"min_form_cells": 10}, "groups": [{"prefix": "a", "# + design + "}]}"
        let error = #expect(throws: SweepError.self) { try SweepDefinition.parse(Array(text.utf8)) }
        #expect(error?.field == field, "\(error.map(String.init(describing:)) ?? "")")
    }

    @Test func formLimit_QuotesTheBound_NotADraw() throws {
        let text = #"""
            {"seed": 2, "groups": [{"prefix": "m", "mode": "morphic",
             "sample": {"count": 2, "method": "random", "params": {"min_form_cells": {"integer": [1, 49]}}}}]}
            """#
        let error = #expect(throws: SweepError.self) { try SweepDefinition.parse(Array(text.utf8)) }
        #expect(error?.message == "min_form_cells goes up to 49; it must be at most form_size² = 25")
    }

    /// A classical group may vary a parameter only the field uses: its runs are unaffected (their
    /// effective truth is that of no field), which a reference uses to give each control a
    /// point of its own so that the controls spread over the splits.
    @Test func classicalGroups_MayVaryFieldParameters_WhichActOnNone() throws {
        for accepted in [
            #"{"groups": [{"prefix": "c", "mode": "classical", "params": {"field_strength": 0, "crystal_count": 0}, "grid": {"rule": ["B3/S23", "B36/S23"], "boundary": ["dead", "torus"]}}]}"#,
            #"{"groups": [{"prefix": "c", "mode": "classical", "sample": {"count": 8, "method": "random", "params": {"temporal_decay": {"uniform": [0, 0.5]}}}}]}"#,
            #"{"defaults": {"mode": "classical"}, "groups": [{"prefix": "c", "grid": {"field_strength": [0.1, 0.2]}}]}"#,
        ] {
            #expect(throws: Never.self) { try SweepDefinition.parse(Array(accepted.utf8)) }
        }
        let definition = try SweepDefinition.parse(Array(
            #"{"seed": 3, "groups": [{"prefix": "c", "mode": "classical", "sample": {"count": 40, "method": "random", "params": {"temporal_decay": {"uniform": [0, 0.5]}}}}]}"#.utf8))
        // Forty points of one run each: the controls fall in more than one split.
        let splits = Set(definition.runs.map { DatasetSplit($0, sweepSeed: definition.seed) })
        #expect(splits.count > 1)
    }

    @Test func modeInASample_SaysModeCannotBeSampled() throws {
        let text = #"{"groups": [{"prefix": "m", "mode": "morphic", "sample": {"count": 2, "method": "random", "params": {"mode": {"choice": ["morphic"]}}}}]}"#
        let error = #expect(throws: SweepError.self) { try SweepDefinition.parse(Array(text.utf8)) }
        #expect(error?.field == "groups[0].sample.params.mode")
        #expect(error?.message.hasPrefix("mode cannot be sampled") == true)
    }

    /// lo == hi draws that one value; an empty point runs the group's params as they are.
    @Test func degenerateBounds_AndEmptyPoints_AreAccepted() throws {
        let text = #"""
            {"groups": [{"prefix": "s", "mode": "morphic", "sample": {"count": 3, "method": "latin_hypercube",
              "params": {"field_strength": {"uniform": [0.3, 0.3]}, "influence_exponent": {"log_uniform": [2, 2]},
                         "crystal_count": {"integer": [4, 4]}}}},
             {"prefix": "p", "mode": "morphic", "params": {"field_strength": 0.5}, "points": [{}, {"temporal_decay": 0.2}]}]}
            """#
        let definition = try SweepDefinition.parse(Array(text.utf8))
        let sampled = definition.runs.prefix(3).map(\.configuration)
        #expect(sampled.allSatisfy { $0.fieldStrength == 0.3 && $0.influenceExponent == 2 && $0.crystalCount == 4 })
        let listed = definition.runs.suffix(2).map(\.configuration)
        #expect(listed[0].fieldStrength == 0.5 && listed[0].temporalDecay == RunConfiguration().temporalDecay)
        #expect(listed[1].temporalDecay == 0.2)
    }

    static let invalid: [(String, String)] = [
        (
            #""sample": {"count": 4, "method": "halton", "params": {"field_strength": {"uniform": [0, 1]}}}"#,
            "groups[0].sample.method"
        ),
        (#""sample": {"count": 4, "params": {"field_strength": {"uniform": [0, 1]}}}"#, "groups[0].sample.method"),
        (
            #""sample": {"count": 4, "method": "sobol", "params": {"field_strength": {"normal": [0, 1]}}}"#,
            "groups[0].sample.params.field_strength.normal"
        ),
        (
            #""sample": {"count": 4, "method": "sobol", "params": {"field_strength": {"uniform": [0, 1.5]}}}"#,
            "groups[0].sample.params.field_strength.uniform[1]"
        ),
        (
            #""sample": {"count": 4, "method": "sobol", "params": {"field_strength": {"uniform": [0.8, 0.2]}}}"#,
            "groups[0].sample.params.field_strength.uniform"
        ),
        (
            #""sample": {"count": 4, "method": "sobol", "params": {"field_strength": {"uniform": [0.2]}}}"#,
            "groups[0].sample.params.field_strength.uniform"
        ),
        (
            #""sample": {"count": 4, "method": "sobol", "params": {"influence_exponent": {"log_uniform": [0, 4]}}}"#,
            "groups[0].sample.params.influence_exponent.log_uniform[0]"
        ),
        (
            #""sample": {"count": 4, "method": "sobol", "params": {"temporal_decay": {"log_uniform": [0, 4]}}}"#,
            "groups[0].sample.params.temporal_decay.log_uniform[0]"
        ),
        (
            #""sample": {"count": 0, "method": "sobol", "params": {"field_strength": {"uniform": [0, 1]}}}"#,
            "groups[0].sample.count"
        ),
        (
            #""sample": {"count": 100001, "method": "sobol", "params": {"field_strength": {"uniform": [0, 1]}}}"#,
            "groups[0].sample.count"
        ),
        (
            #""sample": {"count": 2.5, "method": "sobol", "params": {"field_strength": {"uniform": [0, 1]}}}"#,
            "groups[0].sample.count"
        ),
        (
            #""sample": {"count": 4, "method": "sobol", "params": {"rule": {"choice": ["B3/S23", "Q9"]}}}"#,
            "groups[0].sample.params.rule.choice[1]"
        ),
        (
            #""sample": {"count": 4, "method": "sobol", "params": {"rule": {"choice": []}}}"#,
            "groups[0].sample.params.rule.choice"
        ),
        (
            #""sample": {"count": 4, "method": "sobol", "params": {"crystallization_interval": {"choice": [1, 1]}}}"#,
            "groups[0].sample.params.crystallization_interval.choice[1]"
        ),
        (
            #""sample": {"count": 4, "method": "sobol", "params": {"crystallization_interval": {"uniform": [1, 5]}}}"#,
            "groups[0].sample.params.crystallization_interval.uniform"
        ),
        (
            #""sample": {"count": 4, "method": "sobol", "params": {"field_strength": {"integer": [0, 1]}}}"#,
            "groups[0].sample.params.field_strength.integer"
        ),
        (
            #""sample": {"count": 4, "method": "sobol", "params": {"crystallization_interval": {"integer": [1, 10001]}}}"#,
            "groups[0].sample.params.crystallization_interval.integer[1]"
        ),
        (
            #""sample": {"count": 4, "method": "sobol", "params": {"form_size": {"integer": [3, 7]}}}"#,
            "groups[0].sample.params.form_size.integer"
        ),
        (
            #""sample": {"count": 4, "method": "sobol", "params": {"seed": {"integer": [1, 5]}}}"#,
            "groups[0].sample.params.seed"
        ),
        (
            #""sample": {"count": 4, "method": "sobol", "params": {"crystal_count": {"integer": [1, 5]}}}"#,
            "groups[0].sample.params.crystal_count"
        ),
        (
            #""sample": {"count": 4, "method": "sobol", "params": {"colour": {"uniform": [0, 1]}}}"#,
            "groups[0].sample.params.colour"
        ),
        (#""sample": {"count": 4, "method": "sobol", "params": {}}"#, "groups[0].sample.params"),
        (
            #""sample": {"count": 4, "method": "sobol", "params": {"field_strength": {"uniform": [0, 1]}}, "size": 2}"#,
            "groups[0].sample.size"
        ),
        (
            #""sample": {"count": 64, "method": "sobol", "params": {"min_form_cells": {"integer": [1, 30]}}}"#,
            "groups[0].sample.params.min_form_cells.integer[1]"
        ),
        (
            #""sample": {"count": 2, "method": "random", "params": {"min_form_cells": {"choice": [2, 26, 4]}}}"#,
            "groups[0].sample.params.min_form_cells.choice[1]"
        ),
        (
            #""sample": {"count": 1, "method": "random", "params": {"mode": {"choice": ["classical", "morphic"]}}}"#,
            "groups[0].sample.params.mode"
        ),
        (
            #""sample": {"count": 4, "method": "random", "params": {"generations": {"integer": [10, 20]}}}"#,
            "groups[0].sample.params.generations"
        ),
        (
            #""sample": {"count": 4, "method": "random", "params": {"grid_size": {"choice": [8, 16]}}}"#,
            "groups[0].sample.params.grid_size"
        ),
        // Three bounds: the list is blamed for its length, not its third value for its range.
        (
            #""sample": {"count": 4, "method": "random", "params": {"field_strength": {"uniform": [0, 1, 2]}}}"#,
            "groups[0].sample.params.field_strength.uniform"
        ),
        (#""grid": {"min_form_cells": [3, 30, 4]}"#, "groups[0].grid.min_form_cells[1]"),
        (#""points": [{"min_form_cells": 30}]"#, "groups[0].points[0].min_form_cells"),
        (#""points": [{"form_size": 7, "min_form_cells": 12}, {"form_size": 3, "min_form_cells": 9}, {"form_size": 3, "min_form_cells": 10}]"#, "groups[0].points[2].min_form_cells"),
        (
            #""grid": {"field_strength": [0.1]}, "sample": {"count": 4, "method": "sobol", "params": {"field_strength": {"uniform": [0, 1]}}}"#,
            "groups[0].sample"
        ),
        (#""points": [{"field_strength": 0.1}], "grid": {"temporal_decay": [0.1]}"#, "groups[0].grid"),
        (#""points": [{"field_strength": 0.1}, {"feild_strength": 0.2}]"#, "groups[0].points[1].feild_strength"),
        (#""points": [{"field_strength": 1.1}]"#, "groups[0].points[0].field_strength"),
        (#""points": [{"crystal_count": 2}]"#, "groups[0].points[0].crystal_count"),
        (#""points": [{"seed": 2}]"#, "groups[0].points[0].seed"),
        (#""points": []"#, "groups[0].points"),
        (#""points": [0.5]"#, "groups[0].points[0]"),
        (#""points": [{"form_size": 3, "min_form_cells": 10}]"#, "groups[0].points[0].min_form_cells"),
    ]

    @Test(arguments: invalid)
    func badSampleOrPoints_AreRefusedWhole_NamingTheField(_ design: String, _ field: String) {
        let text = #"{"groups": [{"prefix": "a", "params": {"crystal_count": 5}, "# + design + "}]}"
        let error = #expect(throws: SweepError.self) { try SweepDefinition.parse(Array(text.utf8)) }
        #expect(error?.field == field, "\(error.map(String.init(describing:)) ?? "")")
    }

    @Test func sampledAndListedRuns_CountAgainstTheLimits_AtTheLimitAndBeyond() throws {
        let limits = SweepLimits(maximumRuns: 10, maximumCellSteps: .max)
        let sample = { (count: Int, replicates: Int) in
            """
            {"groups": [{"prefix": "a", "replicates": \(replicates), "sample": {"count": \(count), "method": "random",
             "params": {"field_strength": {"uniform": [0, 1]}}}}]}
            """
        }
        #expect(try SweepDefinition.parse(Array(sample(5, 2).utf8), limits: limits).runs.count == 10)
        let over = #expect(throws: SweepError.self) {
            try SweepDefinition.parse(Array(sample(11, 1).utf8), limits: limits)
        }
        #expect(over?.isOverLimit == true && over?.field == "groups[0].sample.count")
        let product = #expect(throws: SweepError.self) {
            try SweepDefinition.parse(Array(sample(6, 2).utf8), limits: limits)
        }
        #expect(product?.isOverLimit == true && product?.field == "groups[0]")
        let points = { (count: Int) in
            #"{"groups": [{"prefix": "a", "points": ["#
                + Array(repeating: #"{"field_strength": 0.5}"#, count: count)
                .joined(separator: ",") + "]}]}"
        }
        #expect(try SweepDefinition.parse(Array(points(10).utf8), limits: limits).runs.count == 10)
        let tooMany = #expect(throws: SweepError.self) {
            try SweepDefinition.parse(Array(points(11).utf8), limits: limits)
        }
        #expect(tooMany?.isOverLimit == true)
        // Cell updates of sampled grid sizes are summed point by point.
        let cells = SweepLimits(maximumRuns: 100, maximumCellSteps: 3 * 9 + 4 * 16 - 1)
        let sizes =
            #"{"defaults": {"generations": 1}, "groups": [{"prefix": "a", "points": [{"grid_size": 3}, {"grid_size": 3}, {"grid_size": 3}, {"grid_size": 4}, {"grid_size": 4}, {"grid_size": 4}, {"grid_size": 4}]}]}"#
        let cellError = #expect(throws: SweepError.self) { try SweepDefinition.parse(Array(sizes.utf8), limits: cells) }
        #expect(cellError?.isOverLimit == true)
    }

    @Test func normalizedDefinition_KeepsSampleAndPoints_AndGridIDsAreUnchanged() throws {
        // The id the README shows for the seed sweep, from before groups could be sampled.
        #expect(try SweepDefinitionTests.seedSweep().id == "seed-sweep-7f41200d7684a6fb")
        let sampled = try Self.parse(
            #"{"groups": [{"prefix": "s", "sample": {"params": {"field_strength": {"uniform": [0.10, 1]}}, "method": "sobol", "count": 8}}]}"#
        )
        #expect(
            sampled.normalized["groups"]?.elements?[0]["sample"]
                == .object([
                    "count": .int(8), "method": .string("sobol"),
                    "params": .object([
                        "field_strength": .object(["uniform": .array([.number("0.1"), .number("1.0")])])
                    ]),
                ]))
        #expect(try SweepDefinition(json: sampled.normalized).id == sampled.id)
        let listed = try Self.parse(#"{"groups": [{"prefix": "s", "points": [{"field_strength": 0.50}]}]}"#)
        #expect(
            listed.normalized["groups"]?.elements?[0]["points"] == .array([.object(["field_strength": .number("0.5")])])
        )
        #expect(try SweepDefinition(json: listed.normalized).id == listed.id)
        #expect(listed.id != sampled.id)
    }
}

extension RunConfiguration {
    /// The defaults with `count` crystals.
    fileprivate static func withCrystals(_ count: Int) -> RunConfiguration {
        var configuration = RunConfiguration()
        configuration.crystalCount = count
        return configuration
    }
}
