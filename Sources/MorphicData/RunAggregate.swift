import Foundation

/// A statistic summarized over a sweep's runs per value of one parameter (the x axis) and
/// per value of another (the series, or a heatmap's rows): count, mean, its 95 % interval
/// and quantiles, so a chart of every run needs a few hundred numbers, not the runs.
///
/// Parameters with more distinct values than a chart can separate (a sampled sweep's
/// continuous ones) are cut into equal-width bins, and the answer says so.
public struct RunAggregate: Sendable {
    /// Most points along x before x is binned.
    public static let maximumPoints = 40
    /// Most series before the series parameter is binned, unless asked otherwise: as many
    /// lines as a chart's colours tell apart.
    public static let defaultSeries = 8

    /// One cell: the runs at one x (or x bin) of one series.
    public struct Point: Sendable, Equatable {
        /// The x value (a bin's middle when binned).
        public let x: Double
        /// Runs with a finite statistic.
        public let count: Int
        public let mean: Double
        /// The mean's 95 % interval (Student's t); NaN for a single run.
        public let low: Double
        public let high: Double
        /// Minimum, quartiles, median, maximum.
        public let quantiles: [Double]
    }

    /// One series: the runs sharing one value (or bin) of the series parameter.
    public struct Series: Sendable, Equatable {
        /// Its value, or a bin's bounds.
        public let low: Double
        public let high: Double
        public let points: [Point]
    }

    /// Bin width along x; nil when every distinct x is its own point.
    public let xBin: Double?
    /// Bin width of the series parameter; nil when each distinct value is a series.
    public let seriesBin: Double?
    /// The series, in increasing order of their values.
    public let series: [Series]
    /// Runs summarized (finite x, series value and statistic).
    public let runs: Int

    /// Summarizes `y` over `x` (nil: one point for all runs) per value of `by` (nil: one
    /// series), with at most `series` series (a heatmap's rows: up to ``maximumPoints``).
    public init(x: [Double]?, y: [Double], by: [Double]?, series maximumSeries: Int = defaultSeries) {
        let xKey = Self.binning(x, maximum: Self.maximumPoints)
        let byKey = Self.binning(by, maximum: min(max(1, maximumSeries), Self.maximumPoints))
        xBin = xKey.width
        seriesBin = byKey.width
        var cells: [Double: [Double: [Double]]] = [:]
        var runs = 0
        for index in y.indices {
            let value = y[index]
            guard value.isFinite, let xv = xKey.key(x?[index] ?? 0), let bv = byKey.key(by?[index] ?? 0) else { continue }
            cells[bv, default: [:]][xv, default: []].append(value)
            runs += 1
        }
        self.runs = runs
        let halfSeries = (byKey.width ?? 0) / 2
        let halfX = (xKey.width ?? 0) / 2
        series = cells.keys.sorted().map { bv in
            let points = cells[bv]!.keys.sorted().map { xv in Self.point(x: xv + halfX, cells[bv]![xv]!) }
            return Series(low: bv, high: bv + 2 * halfSeries, points: points)
        }
    }

    /// How values become keys: themselves when few, else the lower edge of an equal-width bin.
    static func binning(_ values: [Double]?, maximum: Int) -> (width: Double?, key: (Double) -> Double?) {
        guard let values else { return (nil, { _ in 0 }) }
        var distinct = Set<Double>()
        var low = Double.infinity, high = -Double.infinity
        for value in values where value.isFinite {
            low = min(low, value)
            high = max(high, value)
            if distinct.count <= maximum { distinct.insert(value) }
        }
        guard distinct.count > maximum, high > low else { return (nil, { $0.isFinite ? $0 : nil }) }
        let width = (high - low) / Double(maximum)
        return (width, { value in
            guard value.isFinite else { return nil }
            let bin = min(Double(maximum - 1), ((value - low) / width).rounded(.down))
            return low + bin * width
        })
    }

    private static func point(x: Double, _ values: [Double]) -> Point {
        let sorted = values.sorted()
        let n = sorted.count
        let mean = sorted.reduce(0, +) / Double(n)
        var low = Double.nan, high = Double.nan
        if n > 1 {
            let variance = sorted.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
            let half = studentT95(degrees: n - 1) * (variance / Double(n)).squareRoot()
            low = mean - half
            high = mean + half
        }
        let quantiles = [0, 0.25, 0.5, 0.75, 1].map { q -> Double in
            let position = q * Double(n - 1)
            let below = Int(position.rounded(.down)), above = min(n - 1, below + 1)
            return sorted[below] + (position - Double(below)) * (sorted[above] - sorted[below])
        }
        return Point(x: x, count: n, mean: mean, low: low, high: high, quantiles: quantiles)
    }

    /// The two-sided 95 % quantile of Student's t.
    static func studentT95(degrees: Int) -> Double {
        let table = [
            12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145, 2.131,
            2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
        ]
        return degrees >= 1 && degrees <= table.count ? table[degrees - 1] : 1.96
    }
}
