/// A two-dimensional map of runs: their observable features standardized (each feature's
/// mean removed and divided by its standard deviation; undefined values at the mean) and
/// projected on the first two principal components. Deterministic: the components come
/// from power iteration started from a fixed vector, with a fixed sign.
public struct FeatureMap: Sendable {
    /// Per run, its two coordinates.
    public let points: [(x: Double, y: Double)]
    /// The share of the standardized features' variance each axis explains.
    public let explained: [Double]

    /// A component whose variance is at most this share of the first's is rounding left
    /// after the larger ones were taken out (runs whose features lie on a line have one
    /// component): its direction is noise, so its coordinates and share are 0.
    static let negligibleShare = 1e-9

    /// The map of the runs whose features are `x` (rows of equal length).
    public init(_ x: [[Double]]) {
        let count = x.count
        let width = x.first?.count ?? 0
        guard count > 1, width > 0 else {
            points = x.map { _ in (0, 0) }
            explained = [0, 0]
            return
        }
        var standardized = x
        for feature in 0..<width {
            let defined = x.map { $0[feature] }.filter(\.isFinite)
            let mean = defined.isEmpty ? 0 : defined.reduce(0, +) / Double(defined.count)
            let variance =
                defined.isEmpty ? 0 : defined.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(defined.count)
            // A feature whose every value is the same has no spread, whatever the rounding of
            // its mean leaves (0.9 summed and divided differs from 0.9 in its last bits, which,
            // scaled up, put every run at one end of an axis).
            let constant = defined.allSatisfy { $0 == defined[0] }
            let scale = variance > 0 && !constant ? 1 / variance.squareRoot() : 0
            for row in 0..<count {
                let value = x[row][feature]
                standardized[row][feature] = value.isFinite ? (value - mean) * scale : 0
            }
        }
        var covariance = [Double](repeating: 0, count: width * width)
        for row in standardized {
            for i in 0..<width where row[i] != 0 {
                for j in i..<width { covariance[i * width + j] += row[i] * row[j] }
            }
        }
        for i in 0..<width {
            for j in i..<width {
                covariance[i * width + j] /= Double(count)
                covariance[j * width + i] = covariance[i * width + j]
            }
        }
        let total = (0..<width).reduce(0) { $0 + covariance[$1 * width + $1] }
        var components: [[Double]] = []
        var variances: [Double] = []
        var matrix = covariance
        for _ in 0..<2 {
            var vector = (0..<width).map { 1 / Double($0 + 2) }
            var eigenvalue = 0.0
            for _ in 0..<500 {
                var next = [Double](repeating: 0, count: width)
                for i in 0..<width {
                    var sum = 0.0
                    for j in 0..<width { sum += matrix[i * width + j] * vector[j] }
                    next[i] = sum
                }
                let norm = next.reduce(0) { $0 + $1 * $1 }.squareRoot()
                guard norm > 0 else { break }
                next = next.map { $0 / norm }
                let change = zip(next, vector).reduce(0) { $0 + abs($1.0 - $1.1) }
                vector = next
                eigenvalue = norm
                if change < 1e-12 { break }
            }
            // The sign that makes the largest coordinate positive.
            if let largest = vector.indices.max(by: { abs(vector[$0]) < abs(vector[$1]) }), vector[largest] < 0 {
                vector = vector.map { -$0 }
            }
            components.append(vector)
            variances.append(eigenvalue)
            for i in 0..<width {
                for j in 0..<width { matrix[i * width + j] -= eigenvalue * vector[i] * vector[j] }
            }
        }
        for index in components.indices where !(variances[index] > Self.negligibleShare * variances[0]) {
            components[index] = [Double](repeating: 0, count: width)
            variances[index] = 0
        }
        points = standardized.map { row in
            (
                zip(row, components[0]).reduce(0) { $0 + $1.0 * $1.1 },
                zip(row, components[1]).reduce(0) { $0 + $1.0 * $1.1 }
            )
        }
        explained = variances.map { total > 0 ? $0 / total : 0 }
    }
}
