@testable import MorphicCore

/// The straightforward Life step: each cell's 3×3 window read cell by cell, one table
/// lookup per cell. Kept as the reference the fast kernel must equal, bit for bit.
enum ReferencePlane {
    static func step(
        _ plane: Plane, _ source: UnsafePointer<UInt64>, into target: UnsafeMutablePointer<UInt64>,
        table: UnsafePointer<UInt8>, torus: Bool
    ) -> (population: Int, diversity: Int) {
        let n = plane.size
        var population = 0
        var seen = [UInt8](repeating: 0, count: 512)
        for y in 0..<n {
            let countsRow = torus || (y > 0 && y < n - 1)
            for x in 0..<n {
                var window = 0
                for dy in -1...1 {
                    for dx in -1...1 {
                        window |= Int(plane.cell(source, x: x + dx, y: y + dy)) << ((dy + 1) * 3 + dx + 1)
                    }
                }
                plane.set(target, x: x, y: y, to: table[window])
                population += Int(plane.cell(source, x: x, y: y))
                if countsRow && (torus || (x >= 1 && x <= n - 2)) { seen[window] = 1 }
            }
        }
        return (population, seen.reduce(0) { $0 + Int($1) })
    }

    /// Population standard deviation of live/9 over the 3×3 blocks that fit, as the core
    /// computed it before (a second pass over the state).
    static func complexity(_ plane: Plane, _ cells: UnsafePointer<UInt64>) -> Double {
        let blocks = plane.size / 3
        var values: [Double] = []
        for b in 0..<blocks {
            for a in 0..<blocks {
                var live = 0
                for dy in 0..<3 {
                    for dx in 0..<3 { live += Int(plane.cell(cells, x: 3 * a + dx, y: 3 * b + dy)) }
                }
                values.append(Double(live) / 9)
            }
        }
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
        return variance.squareRoot()
    }
}
