import Foundation
@testable import MorphicData
import TestSupport
import Testing

/// The rank correlation of the manifest's checks, computed from samples spilled to disk and
/// merged back in order, against the textbook definition (Pearson's correlation of ranks).
@Suite struct SpearmanTests {
    /// 1-based ranks, ties averaged: the definition, with everything in memory.
    static func ranks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var start = 0
        while start < order.count {
            var end = start + 1
            while end < order.count && values[order[end]] == values[order[start]] { end += 1 }
            for position in start..<end { ranks[order[position]] = Double(start + end + 1) / 2 }
            start = end
        }
        return ranks
    }

    static func pearson(_ x: [Double], _ y: [Double]) -> Double {
        let mx = x.reduce(0, +) / Double(x.count)
        let my = y.reduce(0, +) / Double(y.count)
        var (sxy, sxx, syy) = (0.0, 0.0, 0.0)
        for i in x.indices {
            sxy += (x[i] - mx) * (y[i] - my)
            sxx += (x[i] - mx) * (x[i] - mx)
            syy += (y[i] - my) * (y[i] - my)
        }
        return sxy / (sxx * syy).squareRoot()
    }

    @Test func spilledSamples_GiveTheTextbookCorrelation_AcrossSeveralSortedRuns() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var generator = SystemRandomNumberGenerator()
        // More samples than one sorted run holds, many of them tied (as zero influence is).
        let count = SpilledSamples.runLength * 2 + 1234
        let levels = [0.2, 0.4, 0.6, 0.8, 1.0]
        let x = (0..<count).map { _ in levels.randomElement(using: &generator)! }
        let y = x.map { strength in
            Bool.random(using: &generator) ? 0 : (strength + Double.random(in: 0..<1, using: &generator)).rounded(toPlaces: 2)
        }
        var codes = Spearman.Codes()
        let samples = try SpilledSamples(directory: root)
        for (xi, yi) in zip(x, y) { try samples.append(.init(value: yi, first: codes.code(of: xi), second: 0)) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: root).isEmpty, "the file is unlinked at once")
        var sums = Spearman.RankSums(codes: codes.values, count: count)
        var previous = -Double.infinity
        var visited = 0
        try samples.forEachAscending { sample in
            #expect(sample.value >= previous)
            previous = sample.value
            visited += 1
            sums.add(sample.value, code: sample.first)
        }
        #expect(visited == count)
        let expected = Self.pearson(Self.ranks(x), Self.ranks(y))
        let rho = try #require(sums.correlation)
        #expect(abs(rho - expected) < 1e-9, "\(rho) against \(expected)")
        #expect(abs(try #require(Spearman.correlation(x, y)) - expected) < 1e-9)
        // A constant y has no correlation.
        #expect(Spearman.correlation(x, x.map { _ in 0.5 }) == nil)
    }
}

extension Double {
    fileprivate func rounded(toPlaces places: Int) -> Double {
        let scale = pow(10, Double(places))
        return (self * scale).rounded() / scale
    }
}
