@testable import MorphicCore

/// The straightforward Life step the core used before its bit-parallel kernel: a 3×3 window
/// sliding along each row, one table lookup per cell. Kept as the reference the fast kernel
/// must equal, byte for byte.
enum ReferencePlane {
    static func step(
        _ plane: Plane, _ source: UnsafePointer<UInt8>, into target: UnsafeMutablePointer<UInt8>,
        table: UnsafePointer<UInt8>, torus: Bool
    ) -> (population: Int, diversity: Int) {
        let n = plane.size
        let stride = plane.stride
        var population = 0
        var seen = [UInt8](repeating: 0, count: 512)
        for y in 0..<n {
            let middle = source + plane.offset(x: 0, y: y)
            let above = middle - stride
            let below = middle + stride
            let out = target + plane.offset(x: 0, y: y)
            func column(_ x: Int) -> UInt32 {
                UInt32(above[x]) | UInt32(middle[x]) << 3 | UInt32(below[x]) << 6
            }
            var window = column(-1) << 1 | column(0) << 2
            let countsRow = torus || (y > 0 && y < n - 1)
            for x in 0..<n {
                window = (window >> 1) & 0xDB | column(x + 1) << 2
                out[x] = table[Int(window)]
                population += Int(middle[x])
                if countsRow && (torus || (x >= 1 && x <= n - 2)) { seen[Int(window)] = 1 }
            }
        }
        return (population, seen.reduce(0) { $0 + Int($1) })
    }

    /// Population standard deviation of live/9 over the 3×3 blocks that fit, as the core
    /// computed it before (a second pass over the state).
    static func complexity(_ plane: Plane, _ cells: UnsafePointer<UInt8>) -> Double {
        let blocks = plane.size / 3
        var values: [Double] = []
        for b in 0..<blocks {
            for a in 0..<blocks {
                var live = 0
                for dy in 0..<3 {
                    let row = cells + plane.offset(x: 3 * a, y: 3 * b + dy)
                    live += Int(row[0]) + Int(row[1]) + Int(row[2])
                }
                values.append(Double(live) / 9)
            }
        }
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
        return variance.squareRoot()
    }
}
