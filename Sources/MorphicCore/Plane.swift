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

    /// Applies `rule` to every cell of `source`, writing `target`, and measures `source`:
    /// its population, the number of distinct 3×3 windows (windows that cross a dead
    /// boundary are not counted) and its complexity (``complexity(blocks:)``).
    ///
    /// Eight cells at a time: cells are bytes of 0 or 1, so one 64-bit word holds eight of
    /// them and byte-wise sums of the eight neighbours never carry (at most 8). The rule is
    /// applied by comparing those sums with its birth and survival counts, all lanes at once;
    /// each cell's window is packed into a byte (plus a ninth bit) by shifts that stay within
    /// lanes, and marked seen. The rows' last n mod 8 cells take the same path one at a time.
    func step(
        _ source: UnsafePointer<UInt8>, into target: UnsafeMutablePointer<UInt8>, rule: LifeRule, torus: Bool,
        threads: Int = 1
    ) -> (population: Int, diversity: Int, complexity: Double) {
        let n = size
        let blocksPerRow = n / 3
        // Bands of at least 64 rows, each with its own seen windows and column sums; block
        // row b is made whole at row 3b + 1, so bands may split anywhere.
        let bands = RowBands.count(rows: n, threads: threads, minimumRows: 64)
        let scratch = 512 + n + 8
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: bands * scratch + blocksPerRow * blocksPerRow) {
            buffer in
            buffer.initialize(repeating: 0)
            let base = buffer.baseAddress!
            let blocks = base + bands * scratch
            return withUnsafeTemporaryAllocation(of: Int.self, capacity: bands) { populations in
                RowBands.run(rows: n, bands: bands) { band, rows in
                    let own = base + band * scratch
                    populations[band] = self.rows(
                        rows, source, into: target, rule: rule, torus: torus, seen: own, columns: own + 512,
                        blocks: blocks)
                }
                var diversity = 0
                for index in 0..<512 {
                    var seen: UInt8 = 0
                    for band in 0..<bands { seen |= base[band &* scratch &+ index] }
                    diversity &+= Int(seen)
                }
                return (
                    populations.reduce(0, +), diversity,
                    Self.complexity(blocks: UnsafeBufferPointer(start: blocks, count: blocksPerRow * blocksPerRow))
                )
            }
        }
    }

    /// Rows `band` of ``step(_:into:rule:torus:threads:)``: writes them into `target`, marks
    /// their windows in `seen` and their blocks in `blocks`, and returns their population.
    private func rows(
        _ band: Range<Int>, _ source: UnsafePointer<UInt8>, into target: UnsafeMutablePointer<UInt8>, rule: LifeRule,
        torus: Bool, seen: UnsafeMutablePointer<UInt8>, columns: UnsafeMutablePointer<UInt8>,
        blocks: UnsafeMutablePointer<UInt8>
    ) -> Int {
        let n = size
        let (birth, survival) = (rule.birth, rule.survival)
        let blocksPerRow = n / 3
        var population = 0
        // Windows are counted only where they lie inside a dead boundary.
        let first = torus ? 0 : 1
        let last = torus ? n - 1 : n - 2
        let whole = n / 8 * 8
        // Once every one of the 512 windows has been seen, marking more changes nothing: a
        // random soup shows them all within a few dozen rows of a large grid.
        var saturated = false
        for y in band {
            let blockRow = y % 3 == 1 && y / 3 < blocksPerRow
            let middle = UnsafeRawPointer(source + offset(x: 0, y: y))
            let above = middle - stride
            let below = middle + stride
            let out = UnsafeMutableRawPointer(target + offset(x: 0, y: y))
            let countsRow = !saturated && (torus || (y > 0 && y < n - 1))
            var x = 0
            while x < whole {
                @inline(__always) func load(_ row: UnsafeRawPointer, _ dx: Int) -> UInt64 {
                    row.loadUnaligned(fromByteOffset: x &+ dx, as: UInt64.self)
                }
                let (a0, a1, a2) = (load(above, -1), load(above, 0), load(above, 1))
                let (m0, m1, m2) = (load(middle, -1), load(middle, 0), load(middle, 1))
                let (b0, b1, b2) = (load(below, -1), load(below, 0), load(below, 1))
                let sums = a0 &+ a1 &+ a2 &+ m0 &+ m2 &+ b0 &+ b1 &+ b2
                var born: UInt64 = 0
                var kept: UInt64 = 0
                for count in 0..<9 {
                    let both = (birth | survival) &>> UInt16(count) & 1
                    guard both != 0 else { continue }
                    let equal = Self.equal(sums, UInt64(count) &* Self.ones)
                    if birth &>> UInt16(count) & 1 != 0 { born |= equal }
                    if survival &>> UInt16(count) & 1 != 0 { kept |= equal }
                }
                out.storeBytes(of: (born & ~m1 | kept & m1) & Self.ones, toByteOffset: x, as: UInt64.self)
                population &+= m1.nonzeroBitCount
                if blockRow {
                    UnsafeMutableRawPointer(columns).storeBytes(of: a1 &+ m1 &+ b1, toByteOffset: x, as: UInt64.self)
                }
                if countsRow {
                    let low = a0 | a1 &<< 1 | a2 &<< 2 | m0 &<< 3 | m1 &<< 4 | m2 &<< 5 | b0 &<< 6 | b1 &<< 7
                    if x >= first && x &+ 7 <= last {
                        for lane in 0..<8 {
                            let shift = UInt64(truncatingIfNeeded: lane &* 8)
                            seen[Int(truncatingIfNeeded: low &>> shift & 0xFF | (b2 &>> shift & 1) &<< 8)] = 1
                        }
                    } else {
                        for lane in 0..<8 where x &+ lane >= first && x &+ lane <= last {
                            let shift = UInt64(truncatingIfNeeded: lane &* 8)
                            seen[Int(truncatingIfNeeded: low &>> shift & 0xFF | (b2 &>> shift & 1) &<< 8)] = 1
                        }
                    }
                }
                x &+= 8
            }
            let (a, m, b) = (above.assumingMemoryBound(to: UInt8.self), middle.assumingMemoryBound(to: UInt8.self),
                below.assumingMemoryBound(to: UInt8.self))
            while x < n {
                let sum = Int(a[x &- 1]) &+ Int(a[x]) &+ Int(a[x &+ 1]) &+ Int(m[x &- 1]) &+ Int(m[x &+ 1])
                    &+ Int(b[x &- 1]) &+ Int(b[x]) &+ Int(b[x &+ 1])
                let mask = m[x] == 1 ? rule.survival : rule.birth
                out.storeBytes(of: UInt8(truncatingIfNeeded: mask >> UInt16(sum) & 1), toByteOffset: x, as: UInt8.self)
                population &+= Int(m[x])
                if blockRow { columns[x] = a[x] &+ m[x] &+ b[x] }
                if countsRow && x >= first && x <= last {
                    let low = Int(a[x &- 1]) | Int(a[x]) << 1 | Int(a[x &+ 1]) << 2 | Int(m[x &- 1]) << 3
                        | Int(m[x]) << 4 | Int(m[x &+ 1]) << 5 | Int(b[x &- 1]) << 6 | Int(b[x]) << 7
                    seen[low | Int(b[x &+ 1]) << 8] = 1
                }
                x &+= 1
            }
            if blockRow {
                let row = blocks + (y / 3) * blocksPerRow
                for block in 0..<blocksPerRow {
                    row[block] = columns[3 &* block] &+ columns[3 &* block &+ 1] &+ columns[3 &* block &+ 2]
                }
            }
            // Looked at every 16 rows: a look costs about what marking a short row does.
            if countsRow && y & 15 == 15 {
                var marked = 0
                for word in 0..<64 {
                    marked &+= UnsafeRawPointer(seen).loadUnaligned(fromByteOffset: word &* 8, as: UInt64.self).nonzeroBitCount
                }
                saturated = marked == 512
            }
        }
        return population
    }

    /// One in each byte of a word.
    private static let ones: UInt64 = 0x0101_0101_0101_0101

    /// 1 in each byte where `sums` equals `count`'s byte (`count` repeated in every byte), else
    /// 0: exact per byte, as no addition here carries across bytes.
    @inline(__always)
    private static func equal(_ sums: UInt64, _ count: UInt64) -> UInt64 {
        let difference = sums ^ count
        let low: UInt64 = 0x7F7F_7F7F_7F7F_7F7F
        let zero = ~((difference & low) &+ low | difference | low)
        return zero &>> 7
    }

    /// Population standard deviation of live/9 over the non-overlapping 3×3 blocks whose
    /// top-left corner is (3a, 3b) and that fit inside the grid, given each block's live cells
    /// in row-major order: the sums run in that order, as docs/model.md's values are exact.
    ///
    /// A block holds 0 to 9 live cells, so each term takes one of ten values: they are
    /// computed once, by the same operations, and looked up (the same bits, without a
    /// division per block).
    static func complexity(blocks: UnsafeBufferPointer<UInt8>) -> Double {
        withUnsafeTemporaryAllocation(of: Double.self, capacity: 10) { terms in
            for live in 0...9 { terms[live] = Double(live) / 9 }
            var sum = 0.0
            for live in blocks { sum += terms[Int(live)] }
            let mean = sum / Double(blocks.count)
            for live in 0...9 { terms[live] = (Double(live) / 9 - mean) * (Double(live) / 9 - mean) }
            var squares = 0.0
            for live in blocks { squares += terms[Int(live)] }
            return (squares / Double(blocks.count)).squareRoot()
        }
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
