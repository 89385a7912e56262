/// The layout of one grid state in memory: one bit a cell, 64 cells a word.
///
/// Each row is `wordsPerRow` words, and column x of a row is its bit x + 64 (bit b of a
/// row is bit b % 64 of its word b / 64): the first word, the bits right of the grid and
/// `pad` rows above and below are a halo. It stays zero for a dead boundary and holds
/// wrapped copies of the opposite edges on a torus, so every window reads its neighbours
/// without bounds arithmetic.
struct Plane: Sendable {
    /// Enough for the widest window, 7×7.
    static let pad = 3
    let size: Int
    let wordsPerRow: Int
    let wordCount: Int
    /// Words 1...lastWord of a row hold its cells.
    let lastWord: Int
    /// The bits of the grid's cells in word `lastWord`.
    let lastMask: UInt64

    init(size: Int) {
        self.size = size
        lastWord = (size + 63) / 64
        // One word of halo on each side: a torus's wrapped columns reach 3 cells out.
        wordsPerRow = lastWord + 2
        wordCount = wordsPerRow * (size + 2 * Self.pad)
        lastMask = size % 64 == 0 ? ~0 : (1 << UInt64(size % 64)) - 1
    }

    /// Offset of row y's first word; y may reach `pad` rows outside.
    @inline(__always)
    func row(_ y: Int) -> Int { (y &+ Self.pad) &* wordsPerRow }

    /// Cell (x, y), 0 or 1; x may reach 64 and y `pad` cells outside.
    @inline(__always)
    func cell(_ cells: UnsafePointer<UInt64>, x: Int, y: Int) -> UInt8 {
        let bit = x &+ 64
        return UInt8(truncatingIfNeeded: cells[row(y) &+ bit &>> 6] &>> UInt64(bit & 63) & 1)
    }

    /// Sets cell (x, y) to `value` (0 or 1).
    @inline(__always)
    func set(_ cells: UnsafeMutablePointer<UInt64>, x: Int, y: Int, to value: UInt8) {
        let bit = x &+ 64
        let word = cells + (row(y) &+ bit &>> 6)
        let shift = UInt64(bit & 63)
        word.pointee = word.pointee & ~(1 &<< shift) | UInt64(value & 1) &<< shift
    }

    /// The (2r+1)×(2r+1) window centred on cell (x, y), packed as docs/model.md packs it:
    /// bit (dy+r)·k + (dx+r) holds cell (x+dx, y+dy) (k = 2r+1; r at most `pad`).
    @inline(__always)
    func window(_ cells: UnsafePointer<UInt64>, x: Int, y: Int, radius r: Int) -> UInt64 {
        let k = 2 &* r &+ 1
        let mask: UInt64 = (1 &<< UInt64(k)) &- 1
        let top = cells + row(y &- r)
        var window: UInt64 = 0
        for dy in 0..<k {
            window |= (Self.bits(top + dy &* wordsPerRow, from: x &- r &+ 64) & mask) &<< UInt64(dy &* k)
        }
        return window
    }

    /// Copies the opposite edges into the halo, for a torus.
    func wrapHalo(_ cells: UnsafeMutablePointer<UInt64>) {
        let n = size
        for y in 0..<n {
            for c in 1...Self.pad {
                set(cells, x: -c, y: y, to: cell(cells, x: (n - c % n) % n, y: y))
                set(cells, x: n - 1 + c, y: y, to: cell(cells, x: (n - 1 + c) % n, y: y))
            }
        }
        for c in 1...Self.pad {
            (cells + row(-c)).update(from: cells + row((n - c % n) % n), count: wordsPerRow)
            (cells + row(n - 1 + c)).update(from: cells + row((n - 1 + c) % n), count: wordsPerRow)
        }
    }

    /// Applies `rule` to every cell of `source`, writing `target` (its halo cleared), and
    /// measures `source`: its population, the number of distinct 3×3 windows (windows that
    /// cross a dead boundary are not counted) and its complexity (``complexity(tallies:blocks:source:)``).
    ///
    /// On a grid whose blocks are kept (``keptBlocks``), `deferring`, when given, is room for
    /// them: they are left there and the complexity returned is NaN, to be worked out later
    /// with other states' (``complexities(_:states:into:)``).
    ///
    /// Sixty-four cells at a time: the three rows around a word are added column by column
    /// into two bit planes (0...3 live cells), and three such columns into four (the 3×3
    /// sum, 0...9), with the carries of a binary adder done by logic on whole words. The
    /// rule compares that sum with its birth counts (a dead centre) and its survival counts
    /// plus one (a live centre). The same sum at a block's centre is the block's live cells.
    func step(
        _ source: UnsafePointer<UInt64>, into target: UnsafeMutablePointer<UInt64>, rule: LifeRule, torus: Bool,
        threads: Int = 1, minimumBandRows: Int? = nil, deferring room: UnsafeMutablePointer<UInt8>? = nil
    ) -> (population: Int, diversity: Int, complexity: Double) {
        let n = size
        let blocksPerRow = n / 3
        // Bands of at least 4,096 words unless told otherwise (some 20 µs of work: less
        // costs more to hand to a thread than it saves), each with its own seen windows;
        // block row b is made whole at row 3b + 1, so bands may split anywhere.
        let bands = RowBands.count(rows: n, threads: threads, minimumRows: minimumBandRows ?? 4096 / lastWord)
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: bands * 512) { seen in
            seen.initialize(repeating: 0)
            // A small grid's blocks are added one by one (``complexity(tallies:blocks:source:)``):
            // their live cells are kept as the rows are made, rather than made again.
            let kept = keptBlocks
            let deferred = kept > 0 ? room : nil
            deferred?.initialize(repeating: 0, count: kept)
            let inside = deferred == nil ? kept : 0
            return withUnsafeTemporaryAllocation(of: Int.self, capacity: blocksPerRow * 10 + bands + (inside + 7) / 8) {
                buffer in
                buffer.initialize(repeating: 0)
                let tallies = buffer.baseAddress!
                let populations = tallies + blocksPerRow * 10
                let blocks =
                    kept == 0
                    ? nil : deferred ?? UnsafeMutableRawPointer(populations + bands).assumingMemoryBound(to: UInt8.self)
                if bands == 1, size <= Self.narrowSize, let blocks {
                    populations[0] = narrowRows(source, into: target, rule: rule, torus: torus, seen: seen.baseAddress!, blocks: blocks)
                } else {
                    RowBands.run(rows: n, bands: bands) { band, rows in
                        populations[band] = self.rows(
                            rows, source, into: target, rule: rule, torus: torus, seen: seen.baseAddress! + band * 512,
                            tallies: tallies, blocks: blocks)
                    }
                }
                // Marks are bytes of 0 or 1: eight at a time, a word's bits count them. One
                // band (every small grid) is counted without joining: joining cost a small
                // step a tenth of its time.
                var diversity = 0
                let marks = UnsafeRawPointer(seen.baseAddress!)
                if bands == 1 {
                    for word in 0..<64 {
                        diversity &+= marks.loadUnaligned(fromByteOffset: word &* 8, as: UInt64.self).nonzeroBitCount
                    }
                } else {
                    for word in 0..<64 {
                        var marked: UInt64 = 0
                        for band in 0..<bands {
                            marked |= marks.loadUnaligned(fromByteOffset: band &* 512 &+ word &* 8, as: UInt64.self)
                        }
                        diversity &+= marked.nonzeroBitCount
                    }
                }
                let population = UnsafeBufferPointer(start: populations, count: bands).reduce(0, +)
                if deferred != nil { return (population, diversity, .nan) }
                return (population, diversity, complexity(tallies: tallies, blocks: blocks.map { UnsafePointer($0) }, source: source))
            }
        }
    }

    /// Rows `band` of ``step(_:into:rule:torus:threads:minimumBandRows:)``: writes them into
    /// `target`, marks their windows in `seen`, counts the blocks of the block rows made
    /// whole in them by live cells into `tallies` (ten a block row) or, when `blocks` is not
    /// nil, each block's live cells into it (row-major), and returns their population.
    private func rows(
        _ band: Range<Int>, _ source: UnsafePointer<UInt64>, into target: UnsafeMutablePointer<UInt64>,
        rule: LifeRule, torus: Bool, seen: UnsafeMutablePointer<UInt8>, tallies: UnsafeMutablePointer<Int>,
        blocks: UnsafeMutablePointer<UInt8>?
    ) -> Int {
        let n = size
        let blocksPerRow = n / 3
        // The sums (0...9) that make a cell alive: a dead one's neighbours are its sum, a
        // live one's its sum less one.
        let births = rule.birth
        let survivals = rule.survival << 1
        let conway = rule == .conway
        let lastCentre = 3 * blocksPerRow - 2
        var population = 0
        // Windows are counted only where they lie inside a dead boundary.
        let first = torus ? 0 : 1
        let last = torus ? n - 1 : n - 2
        // Once every one of the 512 windows has been seen, marking more changes nothing: a
        // random soup shows them all within a few dozen rows of a large grid.
        var saturated = false
        for y in band {
            let above = source + row(y - 1)
            let middle = source + row(y)
            let below = source + row(y + 1)
            let out = target + row(y)
            out[0] = 0
            out[lastWord &+ 1] = 0
            let blockRow = y % 3 == 1 && y / 3 < blocksPerRow
            let tally = tallies + (y / 3) &* 10
            let countsRow = !saturated && (torus || (y > 0 && y < n - 1))

            @inline(__always) func columns(_ j: Int) -> (UInt64, UInt64) {
                Self.columns(above[j], middle[j], below[j])
            }
            if blockRow {
                for v in 0..<10 { tally[v] = 0 }
            }
            var previous = columns(0)
            var current = columns(1)
            for j in 1...lastWord {
                let next = columns(j &+ 1)
                let (s0, s1, s2, s3) = Self.sums(previous, current, next)
                let m = middle[j]
                let alive = Self.next((s0, s1, s2, s3), centre: m, conway: conway, births: births, survivals: survivals)
                let grid: UInt64 = j == lastWord ? lastMask : ~0
                out[j] = alive & grid
                population &+= (m & grid).nonzeroBitCount

                let column = (j &- 1) &* 64
                if blockRow, let blocks {
                    // Block a's centre is column 3a + 1: its sum is the block's live cells.
                    let centres = Self.centres(column % 3) & ~0 >> UInt64(clamping: column &+ 63 &- lastCentre)
                    // Centres are three columns apart: one division finds the first block.
                    var kept = blocks + (y / 3) &* blocksPerRow + (column &+ centres.trailingZeroBitCount) / 3
                    // The ones, twos and fours of the centres up to bit 61 gathered into one
                    // word, each centre's in the three bits from it up (as in
                    // ``narrowRows(_:into:rule:torus:seen:blocks:)``); a centre at bit 62 or 63,
                    // whose bits would leave the word, is read bit by bit.
                    let inner = centres & 0x3FFF_FFFF_FFFF_FFFF
                    let low = s0 & inner | (s1 & inner) &<< 1 | (s2 & inner) &<< 2
                    let eights = s3 & inner
                    var shift = UInt64(inner.trailingZeroBitCount)
                    for _ in 0..<inner.nonzeroBitCount {
                        kept.pointee = UInt8(truncatingIfNeeded: low &>> shift & 7 | (eights &>> shift & 1) &<< 3)
                        kept += 1
                        shift &+= 3
                    }
                    if centres != inner {
                        kept.pointee = UInt8(truncatingIfNeeded: Self.sum(at: 63 &- (centres &>> 62 == 1 ? 1 : 0), (s0, s1, s2, s3)))
                    }
                } else if blockRow {
                    // Block a's centre is column 3a + 1: its sum is the block's live cells.
                    let centres = Self.centres(column % 3) & ~0 >> UInt64(clamping: column &+ 63 &- lastCentre)
                    let (n0, n1) = (~s0, ~s1)
                    let low = (n1 & n0 & centres, n1 & s0 & centres, s1 & n0 & centres, s1 & s0 & centres)
                    let high = (~s3 & ~s2, s2, s3)
                    // Sums above 9 cannot occur: with s3, s2 and s1 are clear.
                    tally[0] &+= centres.nonzeroBitCount
                    tally[1] &+= (low.1 & high.0).nonzeroBitCount
                    tally[2] &+= (low.2 & high.0).nonzeroBitCount
                    tally[3] &+= (low.3 & high.0).nonzeroBitCount
                    tally[4] &+= (low.0 & high.1).nonzeroBitCount
                    tally[5] &+= (low.1 & high.1).nonzeroBitCount
                    tally[6] &+= (low.2 & high.1).nonzeroBitCount
                    tally[7] &+= (low.3 & high.1).nonzeroBitCount
                    tally[8] &+= (low.0 & high.2).nonzeroBitCount
                    tally[9] &+= (low.1 & high.2).nonzeroBitCount
                }
                if countsRow {
                    mark(above: above, middle: middle, below: below, word: j, column: column, first: first, last: last, seen: seen)
                }
                previous = current
                current = next
            }
            // Counted as every block; those with live cells are taken out of empty ones.
            if blockRow {
                for v in 1..<10 { tally[0] &-= tally[v] }
            }
            // Looked at every 16 rows: a look costs about what marking a short row does.
            // Not before 512 cells have been marked: fewer cannot have shown every window.
            if countsRow && y & 15 == 15 && (y &- band.lowerBound &+ 1) &* n >= 512 {
                var marked = 0
                for word in 0..<64 {
                    marked &+= UnsafeRawPointer(seen).loadUnaligned(fromByteOffset: word &* 8, as: UInt64.self).nonzeroBitCount
                }
                saturated = marked == 512
            }
        }
        return population
    }

    /// The cells of a word that the rule makes alive, from their 3×3 sums (bit planes s0...s3)
    /// and their own states (`centre`): a dead cell is born when its sum is a birth count, a
    /// live one stays when its sum is a survival count plus one (`survivals`).
    @inline(__always)
    private static func next(
        _ sums: (UInt64, UInt64, UInt64, UInt64), centre m: UInt64, conway: Bool, births: UInt16, survivals: UInt16
    ) -> UInt64 {
        let (s0, s1, s2, s3) = sums
        if conway {
            // Sum 3, or sum 4 and alive (sums above 9 cannot occur, so s3 is not needed).
            return s1 & s0 & ~s2 | s2 & ~s1 & ~s0 & m
        }
        var born: UInt64 = 0
        var stays: UInt64 = 0
        var counts = births | survivals
        while counts != 0 {
            let v = UInt64(counts.trailingZeroBitCount)
            counts &= counts &- 1
            // All ones where the sum's bits equal v's.
            let equal = ~((s0 ^ (0 &- (v & 1))) | (s1 ^ (0 &- (v &>> 1 & 1))) | (s2 ^ (0 &- (v &>> 2 & 1)))
                | (s3 ^ (0 &- (v &>> 3 & 1))))
            if births &>> UInt16(v) & 1 != 0 { born |= equal }
            if survivals &>> UInt16(v) & 1 != 0 { stays |= equal }
        }
        return born & ~m | stays & m
    }

    /// ``rows(_:_:into:rule:torus:seen:tallies:blocks:)`` for a grid up to ``narrowSize`` wide
    /// (one word a row, its blocks' live cells kept), all its rows on one thread:
    /// the same results, without what a wide row needs. Only the rows around which something
    /// lives are worked out; nothing right of the word is read (it reaches no cell of the
    /// grid: the grid's columns end at 46, the word's bit 63 is the farthest any sum looks),
    /// and every window's three rows lie in the word and the bit below it.
    private func narrowRows(
        _ source: UnsafePointer<UInt64>, into target: UnsafeMutablePointer<UInt64>, rule: LifeRule, torus: Bool,
        seen: UnsafeMutablePointer<UInt8>, blocks: UnsafeMutablePointer<UInt8>
    ) -> Int {
        let n = size
        let blocksPerRow = n / 3
        let births = rule.birth
        let survivals = rule.survival << 1
        let conway = rule == .conway
        let grid = lastMask
        // Bits 1, 4, 7, … up to the last block's centre, 3·blocksPerRow − 2.
        let centres = Self.centres(0) & (1 &<< UInt64(3 &* blocksPerRow &- 1) &- 1)
        // Windows are counted only where they lie inside a dead boundary: columns first...last
        // and rows first...last, bit i of a row's window word being column i − 1.
        let first = torus ? 0 : 1
        let last = torus ? n - 1 : n - 2
        let columns: UInt64 = last < first ? 0 : (1 &<< UInt64(last &- first &+ 1) &- 1) &<< UInt64(first)
        let lastBlockRow = 3 &* blocksPerRow &- 2
        let allRows: UInt64 = (1 &<< UInt64(n)) &- 1
        // The rows around which something lives, found first from the rows' words (bit y + 1 is
        // row y, halo rows included; the word right of the grid's holds none of its cells): the
        // sparse ash most runs end in is mostly rows around which nothing does, and a rule that
        // gives no birth to a cell with no live neighbour leaves those empty, their windows the
        // empty one and their blocks empty (the blocks start at zero). Only the grid's word of
        // such a row is written: the halo words stay zero on a dead boundary and the torus's
        // are written whole after the step.
        var lines: UInt64 = 0
        for y in -1...n {
            let line = source + row(y)
            lines |= UInt64((line[0] | line[1]) != 0 ? 1 : 0) &<< UInt64(y &+ 1)
        }
        var busy = (lines | lines &>> 1 | lines &>> 2) & allRows
        if births & 1 != 0 { busy = allRows }
        var empty = ~busy & allRows
        let windowRows: UInt64 = last < first ? 0 : (1 &<< UInt64(last &- first &+ 1) &- 1) &<< UInt64(first)
        if empty & windowRows != 0 && columns != 0 { seen[0] = 1 }
        while empty != 0 {
            let y = empty.trailingZeroBitCount
            empty &= empty &- 1
            target[row(y) &+ 1] = 0
        }
        var saturated = false
        var nextCheck = 15
        var population = 0
        while busy != 0 {
            let y = busy.trailingZeroBitCount
            busy &= busy &- 1
            let (above, middle, below) = (source + row(y &- 1), source + row(y), source + row(y &+ 1))
            let (above0, above1) = (above[0], above[1])
            let (middle0, middle1) = (middle[0], middle[1])
            let (below0, below1) = (below[0], below[1])
            let previous = Self.columns(above0, middle0, below0)
            let current = Self.columns(above1, middle1, below1)
            let sums = Self.sums(previous, current, (0, 0))
            target[row(y) &+ 1] =
                Self.next(sums, centre: middle1, conway: conway, births: births, survivals: survivals) & grid
            population &+= (middle1 & grid).nonzeroBitCount
            // Rows 1, 4, 7, … are the block rows' middles, as long as there are blocks.
            if y % 3 == 1 && y <= lastBlockRow {
                // Block a's centre is column 3a + 1: its sum is the block's live cells. The
                // ones, twos and fours of the centres' sums are gathered into one word, each
                // centre's in the three bits from it up (the next centre is three bits on).
                let low = sums.0 & centres | (sums.1 & centres) &<< 1 | (sums.2 & centres) &<< 2
                let eights = sums.3 & centres
                var blockRow = blocks + (y / 3) &* blocksPerRow
                var shift: UInt64 = 1
                for _ in 0..<blocksPerRow {
                    blockRow.pointee = UInt8(truncatingIfNeeded: low &>> shift & 7 | (eights &>> shift & 1) &<< 3)
                    blockRow += 1
                    shift &+= 3
                }
            }
            if !saturated && y >= first && y <= last {
                let a = above1 &<< 1 | above0 &>> 63
                let m = middle1 &<< 1 | middle0 &>> 63
                let b = below1 &<< 1 | below0 &>> 63
                let any = a | m | b
                var cells = (any | any &>> 1 | any &>> 2) & columns
                if cells != columns { seen[0] = 1 }
                // The middle and lower rows moved to their places in the window's index: the
                // columns reach bit 47 at most, so nothing is shifted out.
                let (m3, b6) = (m &<< 3, b &<< 6)
                while cells != 0 {
                    let shift = UInt64(cells.trailingZeroBitCount)
                    cells &= cells &- 1
                    seen[Int(truncatingIfNeeded: a &>> shift & 7 | m3 &>> shift & 0x38 | b6 &>> shift & 0x1C0)] = 1
                }
                // Looked at every 16 rows or so, once 512 cells have been marked: fewer
                // cannot have shown every window.
                if y >= nextCheck && (y &+ 1) &* n >= 512 {
                    nextCheck = y &+ 16
                    var marked = 0
                    for word in 0..<64 {
                        marked &+= UnsafeRawPointer(seen).loadUnaligned(fromByteOffset: word &* 8, as: UInt64.self).nonzeroBitCount
                    }
                    saturated = marked == 512
                }
            }
        }
        return population
    }

    /// The live cells of each column of three rows' words (0...3), as two bit planes.
    @inline(__always)
    private static func columns(_ a: UInt64, _ m: UInt64, _ b: UInt64) -> (UInt64, UInt64) {
        let am = a ^ m
        return (am ^ b, a & m | am & b)
    }

    /// The 3×3 sums (0...9) of a word's cells as bit planes s0 s1 s2 s3, from the column
    /// sums of the word and of the words left and right of it: each cell adds its column
    /// and the columns either side, the ones by a full adder, the twos by another with its
    /// carry, the fours and eights from both.
    @inline(__always)
    private static func sums(_ previous: (UInt64, UInt64), _ current: (UInt64, UInt64), _ next: (UInt64, UInt64))
        -> (UInt64, UInt64, UInt64, UInt64)
    {
        let (c0, c1) = current
        let w0 = c0 &<< 1 | previous.0 &>> 63
        let w1 = c1 &<< 1 | previous.1 &>> 63
        let e0 = c0 &>> 1 | next.0 &<< 63
        let e1 = c1 &>> 1 | next.1 &<< 63
        let x0 = w0 ^ c0
        let k0 = w0 & c0 | x0 & e0
        let x1 = w1 ^ c1
        let t1 = x1 ^ e1
        let k1 = w1 & c1 | x1 & e1
        let u1 = t1 & k0
        return (x0 ^ e0, t1 ^ k0, k1 ^ u1, k1 & u1)
    }

    /// The sum (0...9) at bit i of bit planes s0 s1 s2 s3.
    @inline(__always)
    private static func sum(at i: Int, _ sums: (UInt64, UInt64, UInt64, UInt64)) -> Int {
        let shift = UInt64(i)
        let (ones, twos) = (sums.0 &>> shift & 1, sums.1 &>> shift & 1)
        let (fours, eights) = (sums.2 &>> shift & 1, sums.3 &>> shift & 1)
        return Int(truncatingIfNeeded: ones | twos &<< 1 | fours &<< 2 | eights &<< 3)
    }

    /// Marks in `seen` the 3×3 windows of word j's cells whose columns lie in first...last.
    /// Empty windows are marked once; the others one by one, each window's rows taken from
    /// the row words with one bit of the neighbouring word on each side (a sparse grid's
    /// cells are mostly in empty windows).
    @inline(__always)
    private func mark(
        above: UnsafePointer<UInt64>, middle: UnsafePointer<UInt64>, below: UnsafePointer<UInt64>, word j: Int,
        column: Int, first: Int, last: Int, seen: UnsafeMutablePointer<UInt8>
    ) {
        let low = max(0, first &- column)
        let high = min(63, last &- column)
        guard low <= high else { return }
        let range = (~0 &>> UInt64(63 &- (high &- low))) &<< UInt64(low)
        // Columns -1...62 of the word, and 61...66 for its last two cells.
        @inline(__always) func left(_ row: UnsafePointer<UInt64>) -> UInt64 { row[j] &<< 1 | row[j &- 1] &>> 63 }
        @inline(__always) func right(_ row: UnsafePointer<UInt64>) -> UInt64 { row[j] &>> 61 | row[j &+ 1] &<< 3 }
        let (a, m, b) = (left(above), left(middle), left(below))
        // Bit i of `any` is column i - 1: a window is occupied when any of its three
        // columns is (cells 0...61; the last two are read from the right-hand words).
        let any = a | m | b
        let inner = range & 0x3FFF_FFFF_FFFF_FFFF
        var cells = (any | any &>> 1 | any &>> 2) & inner
        if cells != inner { seen[0] = 1 }
        if range &>> 62 != 0 {
            let (ra, rm, rb) = (right(above), right(middle), right(below))
            for i in 62..<64 where range &>> UInt64(i) & 1 != 0 {
                let shift = UInt64(i &- 62)
                seen[Int(truncatingIfNeeded: ra &>> shift & 7 | (rm &>> shift & 7) &<< 3 | (rb &>> shift & 7) &<< 6)] = 1
            }
        }
        while cells != 0 {
            let shift = UInt64(cells.trailingZeroBitCount)
            cells &= cells &- 1
            seen[Int(truncatingIfNeeded: a &>> shift & 7 | (m &>> shift & 7) &<< 3 | (b &>> shift & 7) &<< 6)] = 1
        }
    }

    /// The blocks whose live cells a step keeps as it makes the rows, one byte each in
    /// row-major order (a grid of fewer than ``countedBlocks`` blocks a row), or 0.
    var keptBlocks: Int {
        let blocksPerRow = size / 3
        return blocksPerRow < Self.countedBlocks ? blocksPerRow * blocksPerRow : 0
    }

    /// The complexities of `states` states from their kept blocks (``keptBlocks`` bytes a
    /// state, one state after another), into `out`: each one's two sums made exactly as
    /// ``complexity(tallies:blocks:source:)`` makes them, block by block in order, but four
    /// states' sums side by side. One sum is a chain of dependent additions (64 at 25²,
    /// 441 at 64²), so a step's took the latency of them all; four chains overlap.
    func complexities(_ blocks: UnsafePointer<UInt8>, states: Int, into out: UnsafeMutablePointer<Double>) {
        let total = keptBlocks
        let count = Double(total)
        let last = states - 1
        // Sixteen terms a table, so that a block's count (at most 9) needs no bounds check:
        // the shared first one (v / 9), then one for each of the four states' second sums.
        withUnsafeTemporaryAllocation(of: Double.self, capacity: 16 * 5) { buffer in
            buffer.initialize(repeating: 0)
            let first = buffer.baseAddress!
            for v in 0..<10 { first[v] = Double(v) / 9 }
            let (t0, t1, t2, t3) = (first + 16, first + 32, first + 48, first + 64)
            for state in stride(from: 0, through: last, by: 4) {
                // A last group of fewer than four repeats its last state.
                let b0 = blocks + state * total
                let b1 = blocks + min(state + 1, last) * total
                let b2 = blocks + min(state + 2, last) * total
                let b3 = blocks + min(state + 3, last) * total
                @inline(__always) func index(_ block: UnsafePointer<UInt8>, _ i: Int) -> Int {
                    Int(truncatingIfNeeded: block[i] & 15)
                }
                var (s0, s1, s2, s3) = (0.0, 0.0, 0.0, 0.0)
                for i in 0..<total {
                    s0 += first[index(b0, i)]
                    s1 += first[index(b1, i)]
                    s2 += first[index(b2, i)]
                    s3 += first[index(b3, i)]
                }
                let (m0, m1, m2, m3) = (s0 / count, s1 / count, s2 / count, s3 / count)
                for v in 0..<10 {
                    t0[v] = (Double(v) / 9 - m0) * (Double(v) / 9 - m0)
                    t1[v] = (Double(v) / 9 - m1) * (Double(v) / 9 - m1)
                    t2[v] = (Double(v) / 9 - m2) * (Double(v) / 9 - m2)
                    t3[v] = (Double(v) / 9 - m3) * (Double(v) / 9 - m3)
                }
                (s0, s1, s2, s3) = (0, 0, 0, 0)
                for i in 0..<total {
                    s0 += t0[index(b0, i)]
                    s1 += t1[index(b1, i)]
                    s2 += t2[index(b2, i)]
                    s3 += t3[index(b3, i)]
                }
                out[state] = (s0 / count).squareRoot()
                if state + 1 <= last { out[state + 1] = (s1 / count).squareRoot() }
                if state + 2 <= last { out[state + 2] = (s2 / count).squareRoot() }
                if state + 3 <= last { out[state + 3] = (s3 / count).squareRoot() }
            }
        }
    }

    /// The fewest blocks a row needs to be added from its counts (``OrderedSum/add(counts:)``):
    /// working out a binade's increments, and adding block by block the rows whose sum leaves
    /// its binade, costs more than adding a shorter row's blocks from their kept live cells
    /// (a grid of 64 spent a third of its classical step there).
    static let countedBlocks = 43

    /// The widest grid ``narrowRows(_:into:rule:torus:seen:blocks:)`` steps: its windows'
    /// rows, moved to their places in the index, stay inside one word.
    static let narrowSize = 47

    /// The bits of a word that are blocks' centres (columns 3a + 1), by its first column % 3:
    /// bits 1, 4, 7, … (0), 0, 3, 6, … (1) and 2, 5, 8, … (2). Constants, not a table: a
    /// static table is a guarded load every block row.
    @inline(__always)
    private static func centres(_ k: Int) -> UInt64 {
        k == 0 ? 0x2492_4924_9249_2492 : k == 1 ? 0x9249_2492_4924_9249 : 0x4924_9249_2492_4924
    }

    /// docs/model.md's complexity: the population standard deviation of live/9 over the
    /// blocks, given each block row's count of blocks by live cells (`tallies`, ten a row),
    /// with the bits of sums that add the blocks' terms one at a time in row-major order.
    ///
    /// Each term takes one of ten values, computed once by the same operations; a row is
    /// added from its counts (``OrderedSum``) unless its sum could leave a binade there, and
    /// then block by block, its sums made again from `source`.
    private func complexity(tallies: UnsafePointer<Int>, blocks: UnsafePointer<UInt8>?, source: UnsafePointer<UInt64>)
        -> Double
    {
        let blocksPerRow = size / 3
        let count = Double(blocksPerRow * blocksPerRow)
        // Rows of fewer blocks are added block by block: working out a binade's increments
        // costs more than adding a short row, and a small grid's sum leaves its binade
        // every row or two.
        let counted = blocksPerRow >= Self.countedBlocks
        if let blocks {
            // Each block's term added in order, as the states a run defers are.
            var complexity = 0.0
            complexities(blocks, states: 1, into: &complexity)
            return complexity
        }
        func sum(_ term: (Int) -> Double) -> Double {
            var sum = OrderedSum(term)
            for b in 0..<blocksPerRow where !(counted && sum.add(counts: tallies + b * 10)) {
                // Block by block, in order: the row's 3×3 sums made again, read at the centres.
                let (above, middle, below) = (source + row(3 * b), source + row(3 * b + 1), source + row(3 * b + 2))
                func columns(_ j: Int) -> (UInt64, UInt64) { Self.columns(above[j], middle[j], below[j]) }
                var block = 0
                for j in 1...lastWord {
                    let sums = Self.sums(columns(j - 1), columns(j), columns(j + 1))
                    let column = (j - 1) * 64
                    while block < blocksPerRow && 3 * block + 1 < column + 64 {
                        sum.add(Self.sum(at: 3 * block + 1 - column, sums))
                        block += 1
                    }
                }
            }
            return sum.value
        }
        let mean = sum { Double($0) / 9 } / count
        return (sum { (Double($0) / 9 - mean) * (Double($0) / 9 - mean) } / count).squareRoot()
    }

    /// The 64 bits of a row from bit `bit` on (bit `bit` lowest).
    @inline(__always)
    static func bits(_ line: UnsafePointer<UInt64>, from bit: Int) -> UInt64 {
        let word = bit &>> 6
        let shift = UInt64(bit & 63)
        // Shifted in two steps so that a shift of 0 takes nothing from the next word.
        return line[word] &>> shift | (line[word &+ 1] &<< 1) &<< (63 &- shift)
    }
}
