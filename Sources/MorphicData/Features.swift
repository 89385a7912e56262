import Foundation

/// Features of one run for learning, computed from its *observable* series only:
/// population, complexity, volatility and pattern diversity, plus when the grid stopped
/// changing. The influence, override, resonance and crystal series would give the answer
/// away, so they are never an input here.
public struct Features {
    /// The observable series a feature may use.
    public static let series = ["population", "complexity", "volatility", "pattern_diversity"]
    /// Autocorrelation lags.
    public static let lags = [1, 2, 5, 10]

    /// Column names, in order.
    public static let names: [String] =
        series.flatMap { name in
            ["mean", "std", "trend", "final"].map { "\(name)_\($0)" } + lags.map { "\(name)_acf\($0)" }
                + ["\(name)_spectral_entropy"]
        } + ["convergence_time", "converged", "population_recurrence"]

    /// The values, in the order of ``names``.
    public let values: [Double]

    /// Computes the features; `observable` holds the series named in ``series``, in order.
    public init(observable: [[Double]], convergenceGeneration: Int?) {
        precondition(observable.count == Self.series.count)
        var values: [Double] = []
        for series in observable {
            let mean = Self.mean(series)
            values.append(mean)
            values.append(
                (series.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(max(1, series.count))).squareRoot())
            values.append(Self.trend(series))
            values.append(series.last ?? 0)
            for lag in Self.lags { values.append(Self.autocorrelation(series, lag: lag)) }
            values.append(Self.spectralEntropy(series))
        }
        let generations = observable[0].count
        values.append(Double(convergenceGeneration ?? generations))
        values.append(convergenceGeneration == nil ? 0 : 1)
        var seen = Set<Double>()
        var repeats = 0
        for value in observable[0] where !seen.insert(value).inserted { repeats += 1 }
        values.append(generations == 0 ? 0 : Double(repeats) / Double(generations))
        self.values = values
    }

    private static func mean(_ series: [Double]) -> Double {
        series.isEmpty ? 0 : series.reduce(0, +) / Double(series.count)
    }

    /// Least-squares slope against the generation number.
    static func trend(_ series: [Double]) -> Double {
        let n = Double(series.count)
        guard series.count > 1 else { return 0 }
        let meanX = (n - 1) / 2
        let meanY = mean(series)
        var numerator = 0.0
        var denominator = 0.0
        for (index, value) in series.enumerated() {
            numerator += (Double(index) - meanX) * (value - meanY)
            denominator += (Double(index) - meanX) * (Double(index) - meanX)
        }
        return numerator / denominator
    }

    /// Sample autocorrelation at `lag`; 0 for a constant or too short series.
    static func autocorrelation(_ series: [Double], lag: Int) -> Double {
        guard series.count > lag else { return 0 }
        let m = mean(series)
        var variance = 0.0
        for value in series { variance += (value - m) * (value - m) }
        guard variance > 0 else { return 0 }
        var covariance = 0.0
        for index in lag..<series.count { covariance += (series[index] - m) * (series[index - lag] - m) }
        return covariance / variance
    }

    /// Shannon entropy of the normalized power spectrum (mean removed, zero-padded to a power
    /// of two), divided by its maximum: 0 for a pure tone, 1 for white noise.
    static func spectralEntropy(_ series: [Double]) -> Double {
        guard series.count > 2 else { return 0 }
        let m = mean(series)
        var size = 1
        while size < series.count { size <<= 1 }
        var real = series.map { $0 - m } + Array(repeating: 0, count: size - series.count)
        var imaginary = [Double](repeating: 0, count: size)
        fft(&real, &imaginary)
        let power = (1..<size / 2).map { real[$0] * real[$0] + imaginary[$0] * imaginary[$0] }
        let total = power.reduce(0, +)
        guard total > 0, power.count > 1 else { return 0 }
        var entropy = 0.0
        for value in power where value > 0 {
            let p = value / total
            entropy -= p * log(p)
        }
        return entropy / log(Double(power.count))
    }

    /// In-place iterative radix-2 FFT; the length is a power of two.
    static func fft(_ real: inout [Double], _ imaginary: inout [Double]) {
        let n = real.count
        var j = 0
        for i in 1..<n {
            var bit = n >> 1
            while j & bit != 0 {
                j ^= bit
                bit >>= 1
            }
            j |= bit
            if i < j {
                real.swapAt(i, j)
                imaginary.swapAt(i, j)
            }
        }
        // The same operations in the same order through the arrays' storage: no uniqueness
        // or bounds check a butterfly.
        real.withUnsafeMutableBufferPointer { real in
            imaginary.withUnsafeMutableBufferPointer { imaginary in
                var length = 2
                while length <= n {
                    let (cosines, sines) = twiddles(length)
                    for start in stride(from: 0, to: n, by: length) {
                        for k in 0..<length / 2 {
                            let (wr, wi) = (cosines[k], sines[k])
                            let a = start + k
                            let b = a + length / 2
                            let tr = real[b] * wr - imaginary[b] * wi
                            let ti = real[b] * wi + imaginary[b] * wr
                            real[b] = real[a] - tr
                            imaginary[b] = imaginary[a] - ti
                            real[a] += tr
                            imaginary[a] += ti
                        }
                    }
                    length <<= 1
                }
            }
        }
    }

    /// A level's twiddles, the same for every block of `length` and every series: always
    /// made by the one expression below, so the sums keep their bits; those of levels up to
    /// ``tabledLength`` are made once.
    private static func twiddles(_ length: Int) -> (cosines: [Double], sines: [Double]) {
        if length <= tabledLength { return tabled[length.trailingZeroBitCount] }
        return made(length)
    }

    /// The longest level kept: series of up to 4,096 generations.
    private static let tabledLength = 4096
    private static let tabled = (0...tabledLength.trailingZeroBitCount).map { made(1 << $0) }

    private static func made(_ length: Int) -> (cosines: [Double], sines: [Double]) {
        let angle = -2 * Double.pi / Double(length)
        return ((0..<length / 2).map { cos(angle * Double($0)) }, (0..<length / 2).map { sin(angle * Double($0)) })
    }
}
