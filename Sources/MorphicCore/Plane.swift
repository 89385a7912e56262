/// The layout of one grid state in memory: `size` × `size` cells of one byte (0 or 1),
/// surrounded by a halo of `pad` cells on every side.
///
/// The halo lets every window read its neighbours without bounds arithmetic: it stays zero
/// for a dead boundary and holds wrapped copies of the opposite edges on a torus.
struct Plane: Sendable {
    /// Enough for the widest window, 7×7.
    static let pad = 3
    let size: Int
    let stride: Int
    let byteCount: Int

    init(size: Int) {
        self.size = size
        stride = size + 2 * Self.pad
        byteCount = stride * stride
    }

    /// Offset of cell (x, y) from the plane's start; x and y may reach `pad` cells outside.
    @inline(__always)
    func offset(x: Int, y: Int) -> Int { (y &+ Self.pad) &* stride &+ x &+ Self.pad }

    /// Copies the opposite edges into the halo, for a torus.
    func wrapHalo(_ cells: UnsafeMutablePointer<UInt8>) {
        let n = size
        for y in 0..<n {
            let row = cells + offset(x: 0, y: y)
            for c in 1...Self.pad {
                row[-c] = row[(n - c % n) % n]
                row[n - 1 + c] = row[(n - 1 + c) % n]
            }
        }
        for c in 1...Self.pad {
            let above = cells + offset(x: -Self.pad, y: -c)
            let below = cells + offset(x: -Self.pad, y: n - 1 + c)
            above.update(from: cells + offset(x: -Self.pad, y: (n - c % n) % n), count: stride)
            below.update(from: cells + offset(x: -Self.pad, y: (n - 1 + c) % n), count: stride)
        }
    }

    /// Applies `table` to every cell of `source`, writing `target`, and measures `source`:
    /// its population and the number of distinct 3×3 windows (windows that cross a dead
    /// boundary are not counted).
    ///
    /// The 3×3 window slides along each row, so a cell costs three loads and a table lookup.
    func step(
        _ source: UnsafePointer<UInt8>, into target: UnsafeMutablePointer<UInt8>,
        table: UnsafePointer<UInt8>, torus: Bool
    ) -> (population: Int, diversity: Int) {
        let n = size
        var population = 0
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 512) { seen in
            seen.initialize(repeating: 0)
            for y in 0..<n {
                let middle = source + offset(x: 0, y: y)
                let above = middle - stride
                let below = middle + stride
                let out = target + offset(x: 0, y: y)
                @inline(__always) func column(_ x: Int) -> UInt32 {
                    UInt32(above[x]) | UInt32(middle[x]) &<< 3 | UInt32(below[x]) &<< 6
                }
                var window = column(-1) &<< 1 | column(0) &<< 2
                let countsRow = torus || (y > 0 && y < n - 1)
                for x in 0..<n {
                    window = (window &>> 1) & 0xDB | column(x &+ 1) &<< 2
                    out[x] = table[Int(window)]
                    population &+= Int(middle[x])
                    if countsRow && (torus || UInt(bitPattern: x &- 1) < UInt(n - 2)) {
                        seen[Int(window)] = 1
                    }
                }
            }
            var diversity = 0
            for flag in seen { diversity &+= Int(flag) }
            return (population, diversity)
        }
    }

    /// Population standard deviation of live/9 over the non-overlapping 3×3 blocks whose
    /// top-left corner is (3a, 3b) and that fit inside the grid.
    func complexity(_ cells: UnsafePointer<UInt8>) -> Double {
        let blocks = size / 3
        var values: [Double] = []
        values.reserveCapacity(blocks * blocks)
        for b in 0..<blocks {
            for a in 0..<blocks {
                var live = 0
                for dy in 0..<3 {
                    let row = cells + offset(x: 3 * a, y: 3 * b + dy)
                    live += Int(row[0]) + Int(row[1]) + Int(row[2])
                }
                values.append(Double(live) / 9)
            }
        }
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
        return variance.squareRoot()
    }

    /// Writes, for every row from `-r` to `size - 1 + r` and every column, the k = 2r+1 cells
    /// centred on it as bits 0...k-1 (bit `dx + r` holds column `x + dx`).
    func rowCodes(_ cells: UnsafePointer<UInt8>, radius r: Int, into codes: UnsafeMutablePointer<UInt64>) {
        let n = size
        let k = 2 * r + 1
        for row in 0..<(n + 2 * r) {
            let line = cells + offset(x: 0, y: row - r)
            var code: UInt64 = 0
            // Column -1-r would fall off the halo; it is shifted out before use anyway.
            for dx in (1 - r)...r { code |= UInt64(line[dx - 1]) << UInt64(dx + r) }
            let out = codes + row * n
            for x in 0..<n {
                code = code &>> 1 | UInt64(line[x &+ r]) &<< UInt64(k - 1)
                out[x] = code
            }
        }
    }
}
