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
        #expect(importance.runs == 60)
        #expect(importance.shares.map(\.name) == ["a", "b"])
        #expect(importance.shares.map(\.groups) == [4, 5])
        let mean = y.reduce(0, +) / 60
        let total = y.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        // Each value of a has 15 runs with mean 10·i + 2 + 0.3.
        let between = (0..<4).reduce(0.0) { $0 + 15 * pow(10 * Double($1) + 2.3 - mean, 2) }
        #expect(abs(importance.shares[0].explained - between / total) < 1e-12)
        let sum = importance.shares.map(\.explained).reduce(0, +)
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
        let first = ParameterImportance(y: y, parameters: [("x", x)]).shares[0].explained
        // Allocations kept alive between the calls, so each call's dictionary lands elsewhere
        // (a dictionary's order depends on where its storage is).
        var kept: [[Double]] = []
        for round in 0..<50 {
            kept.append([Double](repeating: 0, count: 64 + round * 97))
            #expect(ParameterImportance(y: y, parameters: [("x", x)]).shares[0].explained.bitPattern == first.bitPattern)
        }
        #expect(kept.count == 50)
    }

    @Test func noVariance_OrUnrelatedParameter_ExplainsNothing_AndNonFiniteRunsAreLeftOut() {
        let flat = ParameterImportance(y: [3, 3, 3, 3], parameters: [("a", [0, 1, 0, 1])])
        #expect(flat.shares[0].explained == 0 && flat.runs == 4)
        // y alternates within every value of a: a explains none of it.
        let unrelated = ParameterImportance(y: [1, 2, 1, 2, .nan], parameters: [("a", [0, 0, 1, 1, 1])])
        #expect(unrelated.runs == 4 && unrelated.shares[0].explained == 0)
        let none = ParameterImportance(y: [], parameters: [("a", [])])
        #expect(none.runs == 0 && none.shares[0].explained == 0 && none.shares[0].groups == 0)
    }

    @Test func continuousParameter_IsBinned_AndStillExplainsALinearTrend() {
        let x = (0..<1000).map { Double($0) / 999 }
        let importance = ParameterImportance(y: x.map { 5 * $0 }, parameters: [("x", x)])
        #expect(importance.shares[0].groups == RunAggregate.maximumPoints)
        #expect(importance.shares[0].explained > 0.99 && importance.shares[0].explained <= 1)
    }
}
