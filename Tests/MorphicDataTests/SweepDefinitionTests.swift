import Foundation
import MorphicCore
import MorphicData
import Testing

@Suite struct SweepDefinitionTests {
    static func seedSweep() throws -> SweepDefinition {
        try SweepDefinition.parse(
            try Data(contentsOf: Fixtures.packageFolder.appendingPathComponent("Config/sweeps/seed.json")))
    }

    @Test func seedSweep_ExpandsToTheDocumentedRuns() throws {
        let definition = try Self.seedSweep()
        #expect(definition.runs.map(\.id) == (1...20).map { "control_\($0)" } + (1...60).map { "morphic_\($0)" })
        let control = definition.runs[0].configuration
        #expect(control.mode == .classical && control.crystalCount == 0 && control.fieldStrength == 0)
        #expect(control.gridSize == 25 && control.generations == 200 && control.seed == nil)
        let first = definition.runs[20].configuration
        #expect((first.fieldStrength, first.temporalDecay, first.similarityThreshold) == (0.2, 0.0, 0.5))
        let second = definition.runs[21].configuration
        #expect((second.fieldStrength, second.temporalDecay, second.similarityThreshold) == (0.2, 0.0, 0.7))
        let last = definition.runs[79].configuration
        #expect((last.fieldStrength, last.temporalDecay, last.similarityThreshold) == (1.0, 0.9, 0.9))
        #expect(
            definition.runs.allSatisfy { $0.configuration.mode == .classical || $0.configuration.crystalCount == 5 })
        #expect(definition.couplingGroups.count == 80)
        #expect(definition.seed == 42)
    }

    @Test func sweepID_DependsOnTheNormalizedDefinitionOnly() throws {
        let a = try SweepDefinition.parse(
            Array(#"{"name": "x", "groups": [{"prefix": "r", "params": {"field_strength": 0.50}}]}"#.utf8))
        let b = try SweepDefinition.parse(
            Array(#"{"groups": [{"params": {"field_strength": 0.5}, "prefix": "r"}], "name": "x", "seed": 0}"#.utf8))
        let c = try SweepDefinition.parse(
            Array(#"{"name": "x", "groups": [{"prefix": "r", "params": {"field_strength": 0.6}}]}"#.utf8))
        #expect(a.id == b.id)
        #expect(a.id != c.id)
        #expect(a.id.hasPrefix("x-"))
        // A zero written with its sign is zero: the same sweep, written back as 0.0.
        let zero = try SweepDefinition.parse(
            Array(#"{"name": "x", "groups": [{"prefix": "r", "params": {"field_strength": 0}}]}"#.utf8))
        for signed in ["-0", "-0.0", "-0e5", "-0.000E-999"] {
            let other = try SweepDefinition.parse(
                Array(#"{"name": "x", "groups": [{"prefix": "r", "params": {"field_strength": \#(signed)}}]}"#.utf8))
            #expect(other.id == zero.id, "\(signed)")
            #expect(other.runs[0].configuration.value(.fieldStrength) == .number("0.0"), "\(signed)")
        }
    }

    @Test func replicatesOfACoupledPoint_FormOneCouplingGroup() throws {
        let definition = try SweepDefinition.parse(
            Array(
                #"""
                {"groups": [{"prefix": "c", "replicates": 3, "params": {"cross_system_coupling": 0.5},
                             "grid": {"field_strength": [0.2, 0.4]}}]}
                """#.utf8))
        #expect(definition.couplingGroups.map { $0.map(\.id) } == [["c_1", "c_2", "c_3"], ["c_4", "c_5", "c_6"]])
    }

    static let invalid: [(String, String)] = [
        (#"[]"#, ""),
        (#"{"name": "x"}"#, "groups"),
        (#"{"groups": []}"#, "groups"),
        (#"{"groups": [{"prefix": "a"}], "colour": 1}"#, "colour"),
        (#"{"groups": [{"prefix": "a", "size": 1}]}"#, "groups[0].size"),
        (#"{"groups": [{"prefix": "a b"}]}"#, "groups[0].prefix"),
        (#"{"groups": [{"mode": "morphic"}]}"#, "groups[0].prefix"),
        (#"{"groups": [{"prefix": "a", "params": {"field_strength": 2}}]}"#, "groups[0].params.field_strength"),
        (#"{"groups": [{"prefix": "a", "params": {"field_strenght": 0.2}}]}"#, "groups[0].params.field_strenght"),
        (#"{"groups": [{"prefix": "a", "params": {"grid_size": "25"}}]}"#, "groups[0].params.grid_size"),
        (#"{"groups": [{"prefix": "a", "grid": {"field_strength": []}}]}"#, "groups[0].grid.field_strength"),
        (#"{"groups": [{"prefix": "a", "grid": {"field_strength": [0.1, 1.5]}}]}"#, "groups[0].grid.field_strength[1]"),
        (
            #"{"groups": [{"prefix": "a", "grid": {"field_strength": [0.1, 0.10]}}]}"#,
            "groups[0].grid.field_strength[1]"
        ),
        // A negative too small for a double is still negative; a signed zero repeats zero.
        (#"{"groups": [{"prefix": "a", "params": {"field_strength": -1e-400}}]}"#, "groups[0].params.field_strength"),
        (#"{"groups": [{"prefix": "a", "params": {"crystal_count": -1e-400}}]}"#, "groups[0].params.crystal_count"),
        (#"{"groups": [{"prefix": "a", "params": {"seed": -4.9e-325}}]}"#, "groups[0].params.seed"),
        (#"{"groups": [{"prefix": "a", "grid": {"temporal_decay": [0, -0.0]}}]}"#, "groups[0].grid.temporal_decay[1]"),
        (
            #"{"groups": [{"prefix": "a", "sample": {"count": 4, "method": "random", "params": {"field_strength": {"choice": [0.0, -0]}}}}]}"#,
            "groups[0].sample.params.field_strength.choice[1]"
        ),
        (#"{"groups": [{"prefix": "a", "mode": "quantum"}]}"#, "groups[0].mode"),
        (#"{"groups": [{"prefix": "a", "replicates": 0}]}"#, "groups[0].replicates"),
        (#"{"groups": [{"prefix": "a"}, {"prefix": "a"}]}"#, "groups[1].prefix"),
        (#"{"groups": [{"prefix": "a", "params": {"form_size": 3, "min_form_cells": 10}}]}"#, "groups[0].params.min_form_cells"),
        (#"{"defaults": {"generations": 0}, "groups": [{"prefix": "a"}]}"#, "defaults.generations"),
        (#"{"defaults": {"seed": 1}, "groups": [{"prefix": "a"}]}"#, "defaults.seed"),
        (#"{"seed": -1, "groups": [{"prefix": "a"}]}"#, "seed"),
        (#"{"seed": 1, "seed": 2, "groups": [{"prefix": "a"}]}"#, "seed"),
        (#"{"notify_url": "ftp://x", "groups": [{"prefix": "a"}]}"#, "notify_url"),
        (#"{"groups": [{"prefix": "a", "replicates": 100001}]}"#, "groups[0].replicates"),
        (#"{"groups": [{"prefix": "a", "replicates": 50001}, {"prefix": "b", "replicates": 50000}]}"#, "groups[1]"),
        (#"{"groups": [{"prefix": "a", "params": {"grid_size": 4096, "generations": 100000}}]}"#, "groups"),
    ]

    /// What was written at length by mistake (a name, a number) comes back short in the
    /// error, and a name with a line break in it on one line.
    @Test func refusals_QuoteWhatWasWritten_Briefly() throws {
        let name = String(repeating: "q", count: 100_000)
        let digits = String(repeating: "9", count: 100_000)
        let cases = [
            #"{"groups": [{"prefix": "a", "params": {"\#(name)": 1}}]}"#,
            #"{"groups": [{"prefix": "a", "grid": {"\#(name)": [1]}}]}"#,
            #"{"groups": [{"prefix": "a", "params": {"field_strength": \#(digits)}}]}"#,
            #"{"groups": [{"prefix": "a", "params": {"field_strength": -0.\#(digits)}}]}"#,
            #"{"groups": [{"prefix": "a", "params": {"line\nbreak": 1}}]}"#,
        ]
        for text in cases {
            let error = #expect(throws: SweepError.self) { try SweepDefinition.parse(Array(text.utf8)) }
            let said = error.map(String.init(describing:)) ?? ""
            #expect(said.utf8.count < 300 && !said.contains("\n"), "\(said.prefix(300))")
        }
    }

    /// A parameter the group fixes and a grid or point lists again is said to be fixed where
    /// it was: the group's own `mode`, or its `params`.
    @Test func parameterSetTwice_IsSaidWhereItWasSetFirst() throws {
        let cases = [
            (#"{"groups": [{"prefix": "a", "mode": "morphic", "points": [{"mode": "classical"}]}]}"#,
             "groups[0].points[0].mode: set both in the group's mode and in points"),
            (#"{"groups": [{"prefix": "a", "mode": "morphic", "grid": {"mode": ["classical"]}}]}"#,
             "groups[0].grid.mode: set both in the group's mode and in grid"),
            (#"{"groups": [{"prefix": "a", "params": {"mode": "morphic"}, "points": [{"mode": "classical"}]}]}"#,
             "groups[0].points[0].mode: set both in params and in points"),
            (#"{"groups": [{"prefix": "a", "params": {"field_strength": 0.2}, "grid": {"field_strength": [0.3]}}]}"#,
             "groups[0].grid.field_strength: set both in params and in grid"),
        ]
        for (text, said) in cases {
            let error = #expect(throws: SweepError.self) { try SweepDefinition.parse(Array(text.utf8)) }
            #expect(error.map(String.init(describing:)) == said, "\(error.map(String.init(describing:)) ?? "")")
        }
    }

    @Test(arguments: invalid)
    func definition_IsRefused_NamingTheField(_ text: String, _ field: String) {
        let error = #expect(throws: SweepError.self) { try SweepDefinition.parse(Array(text.utf8)) }
        #expect(error?.field == field, "\(error.map(String.init(describing:)) ?? "")")
    }

    @Test func limits_AreEnforcedAtTheLimitAndBeyond() throws {
        let limits = SweepLimits(maximumRuns: 10, maximumCellSteps: 10 * 9 * 2)
        let ten = #"{"defaults": {"grid_size": 3, "generations": 2}, "groups": [{"prefix": "a", "replicates": 10}]}"#
        #expect(try SweepDefinition.parse(Array(ten.utf8), limits: limits).runs.count == 10)
        let eleven = ten.replacingOccurrences(of: "10}", with: "11}")
        let tooMany = #expect(throws: SweepError.self) { try SweepDefinition.parse(Array(eleven.utf8), limits: limits) }
        #expect(tooMany?.isOverLimit == true)
        let longer = ten.replacingOccurrences(of: "\"generations\": 2", with: "\"generations\": 3")
        let tooLong = #expect(throws: SweepError.self) { try SweepDefinition.parse(Array(longer.utf8), limits: limits) }
        #expect(tooLong?.isOverLimit == true)
    }

    @Test func diskEstimate_IsLimited_AtTheLimitAndBeyond() throws {
        let ten = #"{"defaults": {"grid_size": 3, "generations": 2}, "groups": [{"prefix": "a", "replicates": 10}]}"#
        let bytes = 10 * SweepLimits.estimatedBytes(generations: 2)
        let atLimit = SweepLimits(maximumRuns: 100, maximumCellSteps: .max, maximumEstimatedBytes: bytes)
        #expect(try SweepDefinition.parse(Array(ten.utf8), limits: atLimit).runs.count == 10)
        let below = SweepLimits(maximumRuns: 100, maximumCellSteps: .max, maximumEstimatedBytes: bytes - 1)
        let refused = #expect(throws: SweepError.self) { try SweepDefinition.parse(Array(ten.utf8), limits: below) }
        #expect(refused?.isOverLimit == true && refused?.message.contains("max_sweep_bytes") == true)
    }
}

