import Testing

@testable import MorphicData

/// Summaries of a statistic per parameter value, and the bins of a parameter with too many.
struct RunAggregateTests {
    @Test func fewValues_AreTheirOwnPoints_AndManyAreBinned_WithNoRunLost() {
        let x = (0..<1000).map { Double($0 % 10) / 10 }
        let y = (0..<1000).map { Double($0) }
        let exact = RunAggregate(x: x, y: y, by: nil)
        #expect(exact.xBin == nil && exact.series.count == 1 && exact.series[0].points.count == 10 && exact.runs == 1000)
        #expect(exact.series[0].points.allSatisfy { $0.count == 100 })

        let sampled = (0..<1000).map { Double($0) / 999 }
        let binned = RunAggregate(x: sampled, y: y, by: x)
        #expect(binned.xBin != nil && binned.seriesBin != nil)
        #expect(binned.series.count == RunAggregate.defaultSeries)
        #expect(binned.series.allSatisfy { $0.points.count <= RunAggregate.maximumPoints })
        #expect(binned.series.flatMap(\.points).map(\.count).reduce(0, +) == 1000)
        let points = binned.series.flatMap(\.points).map(\.x)
        #expect(points.min()! > 0 && points.max()! < 1)
        #expect(RunAggregate(x: x, y: y, by: x, series: 40).seriesBin == nil)
    }

    @Test func quantilesAndInterval_OfOnePoint() {
        let point = RunAggregate(x: nil, y: [1, 2, 3, 4, .nan], by: nil).series[0].points[0]
        #expect(point.count == 4 && point.mean == 2.5 && point.quantiles == [1, 1.75, 2.5, 3.25, 4])
        // Three degrees of freedom: t = 3.182, sd = 1.29099.
        #expect(abs(point.high - (2.5 + 3.182 * 1.2909944487358056 / 2)) < 1e-9)
        let single = RunAggregate(x: nil, y: [7], by: nil).series[0].points[0]
        #expect(single.low.isNaN && single.quantiles == [7, 7, 7, 7, 7])
    }
}
