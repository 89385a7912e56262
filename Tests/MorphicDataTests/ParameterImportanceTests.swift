import Foundation
import Testing

@testable import MorphicData

/// Shares of a statistic's variance explained by each parameter (η²).
struct ParameterImportanceTests {
    /// A crossed 4×5 grid, 3 replicates: y = 10·a + b + noise. The shares match a direct
    /// computation, a dominates, and together they stay at most 1.
    @Test func crossedGrid_SharesMatchTheirDefinition_AndSumToAtMostOne() {
        var a: [Double] = [], b: [Double] = [], y: [Double] = []
        for i in 0..<4 { for j in 0..<5 { for r in 0..<3 {
            a.append(Double(i)); b.append(Double(j)); y.append(10 * Double(i) + Double(j) + Double(r) * 0.3)
        } } }
        let importance = ParameterImportance(y: y, parameters: [("b", b), ("a", a)])
        #expect(importance.shares.map(\.runs) == [60, 60])
        #expect(importance.shares.map(\.name) == ["a", "b"])
        #expect(importance.shares.map(\.groups) == [4, 5])
        let mean = y.reduce(0, +) / 60
        let total = y.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        // Each value of a has 15 runs with mean 10·i + 2 + 0.3.
        let between = (0..<4).reduce(0.0) { $0 + 15 * pow(10 * Double($1) + 2.3 - mean, 2) }
        #expect(abs(importance.shares[0].explained! - between / total) < 1e-12)
        let sum = importance.shares.compactMap(\.explained).reduce(0, +)
        #expect(sum <= 1 && sum > 0.99)
    }

    /// The same question gets the same bits: groups are summed in their own order, not a
    /// dictionary's, which differs between two dictionaries of the same groups.
    @Test func sameColumns_GiveTheSameBits_EveryTime() {
        var x: [Double] = [], y: [Double] = []
        for i in 0..<3000 {
            x.append(Double(i % 37) / 37)
            y.append(sin(Double(i) * 0.7) * 1e3 + Double(i % 37) * 1e-3)
        }
        let first = ParameterImportance(y: y, parameters: [("x", x)]).shares[0].explained!
        // Allocations kept alive between the calls, so each call's dictionary lands elsewhere
        // (a dictionary's order depends on where its storage is).
        var kept: [[Double]] = []
        for round in 0..<50 {
            kept.append([Double](repeating: 0, count: 64 + round * 97))
            #expect(ParameterImportance(y: y, parameters: [("x", x)]).shares[0].explained?.bitPattern == first.bitPattern)
        }
        #expect(kept.count == 50)
    }

    /// A ratio of sums of squares with nothing to share out, or nothing to tell apart, is
    /// undefined and says why: never a 0 that reads as "this parameter does not matter".
    @Test func noVariance_NoRuns_OrOneValue_AreUndefinedWithTheirReason() {
        let flat = ParameterImportance(statistic: "avg_population", parameters: [("a", [3, 3, 3, 3], [0, 1, 0, 1])])
        #expect(flat.shares[0].explained == nil && flat.shares[0].runs == 4 && flat.shares[0].groups == 2)
        #expect(flat.shares[0].reason == "avg_population is the same in all 4 runs where a acts")
        let none = ParameterImportance(statistic: "s", parameters: [("a", [], [])])
        #expect(none.shares[0].explained == nil && none.shares[0].runs == 0 && none.shares[0].groups == 0)
        #expect(none.shares[0].reason?.contains("no finished run") == true)
        // Runs without a finite statistic or value do not count: what is left may be nothing.
        let missing = ParameterImportance(statistic: "s", parameters: [("a", [.nan, 1, 2], [0, .nan, .infinity])])
        #expect(missing.shares[0].explained == nil && missing.shares[0].runs == 0)
        let held = ParameterImportance(statistic: "s", parameters: [("a", [1, 2, 5], [0.5, 0.5, 0.5])])
        #expect(held.shares[0].explained == nil && held.shares[0].reason == "a takes one value over the 3 runs where it acts")
        // y alternates within every value of a: a is defined and explains none of it.
        let unrelated = ParameterImportance(y: [1, 2, 1, 2, .nan], parameters: [("a", [0, 0, 1, 1, 1])])
        #expect(unrelated.shares[0].runs == 4 && unrelated.shares[0].explained == 0 && unrelated.shares[0].reason == nil)
    }

    /// One run at each value leaves nothing varying within a value: every run is its own
    /// group's mean, so η² would be 1 whatever the statistic does. Undefined, saying why; a
    /// single value with two runs gives back the spread to compare with, and the share.
    @Test func oneRunPerValue_IsUndefined_NotAWholeShare() {
        for count in [2, 3, 40] {
            let values = (0..<count).map { Double($0) / 10 }
            let y = values.map { 7 - 3 * $0 * $0 + ($0 > 0.1 ? 1 : 0) }
            let single = ParameterImportance(statistic: "avg_influence_rate", parameters: [("field_strength", y, values)])
            #expect(single.shares[0].explained == nil)
            #expect(single.shares[0].runs == count && single.shares[0].groups == count)
            #expect(single.shares[0].reason
                == "each of the \(count) values of field_strength has one run: no spread within a value to compare with")
            // Beside a parameter defined over the same runs, the undefined one comes last.
            guard count > 2 else { continue }
            let beside = ParameterImportance(statistic: "s", parameters: [
                ("field_strength", y, values), ("grid_size", y, values.map { $0 < 0.15 ? 16 : 32 }),
            ])
            #expect(beside.shares.map(\.name) == ["grid_size", "field_strength"])
            #expect(beside.shares[0].explained != nil && beside.shares[1].explained == nil)
        }
        // A second run at one value is a degree of freedom within the groups: defined again.
        let replicated = ParameterImportance(statistic: "s", parameters: [("a", [1, 2, 4, 5], [0, 1, 2, 2])])
        #expect(replicated.shares[0].reason == nil && replicated.shares[0].groups == 3)
        #expect(replicated.shares[0].explained! > 0 && replicated.shares[0].explained! < 1)
        // Runs without a value do not count as a second run of a group.
        let missing = ParameterImportance(statistic: "s", parameters: [("a", [1, 2, .nan, 4], [0, 1, 1, .nan])])
        #expect(missing.shares[0].explained == nil && missing.shares[0].runs == 2)
    }

    /// Each parameter over its own runs: a statistic flat over one parameter's runs and varying
    /// over another's leaves the first undefined, the second defined; defined ones come first.
    @Test func eachParameter_IsJudgedOverItsOwnRuns_UndefinedOnesLast() {
        let importance = ParameterImportance(statistic: "s", parameters: [
            ("a", [1, 1, 1, 1], [0, 1, 0, 1]),
            ("b", [1, 1, 4, 4, 9], [0, 0, 1, 1, 1]),
            ("c", [0, 1, 0, 1], [0, 0, 1, 1]),
        ])
        #expect(importance.shares.map(\.name) == ["b", "c", "a"])
        #expect(importance.shares.map(\.runs) == [5, 4, 4])
        #expect(importance.shares[1].explained == 0 && importance.shares[2].explained == nil)
        // b: groups {1, 1} and {4, 4, 9}; mean 3.8.
        let between = 2 * pow(1 - 3.8, 2) + 3 * pow(17.0 / 3 - 3.8, 2)
        let total = [1.0, 1, 4, 4, 9].reduce(0) { $0 + ($1 - 3.8) * ($1 - 3.8) }
        #expect(abs(importance.shares[0].explained! - between / total) < 1e-12)
    }

    /// Where each parameter acts, as the dataset's ground truth has it.
    @Test func fieldParameters_ActOnlyWhereTheirFieldDoes() {
        #expect(ParameterImportance.actsWhere("field_strength") == "mode != classical")
        #expect(ParameterImportance.actsWhere("crystal_count") == "mode = morphic")
        for name in ["temporal_decay", "similarity_threshold", "influence_exponent", "reinforcement", "form_size"] {
            #expect(ParameterImportance.actsWhere(name) == "mode = morphic and crystal_count > 0 and field_strength > 0")
        }
        for name in ["grid_size", "generations", "initial_density", "seed", "avg_population"] {
            #expect(ParameterImportance.actsWhere(name) == nil)
        }
        // Each is a filter the runs query accepts.
        for name in RunQuery.numericParameters {
            if let conditions = ParameterImportance.actsWhere(name) { #expect(throws: Never.self) { try RunQuery().narrowed(by: conditions) } }
        }
    }

    @Test func continuousParameter_IsBinned_AndStillExplainsALinearTrend() {
        let x = (0..<1000).map { Double($0) / 999 }
        let importance = ParameterImportance(y: x.map { 5 * $0 }, parameters: [("x", x)])
        #expect(importance.shares[0].groups == RunAggregate.maximumPoints)
        #expect(importance.shares[0].explained! > 0.99 && importance.shares[0].explained! <= 1)
    }
}
