import HTTP
import MorphicCore
import MorphicData

/// A long answer (a runs page, `runs.csv`) made as the client reads it: a head, its rows
/// rendered a batch at a time, a tail. A connection holds a chunk or so of it at a time,
/// never the whole (``BodyProducer``), so clients that ask and do not read cost memory by
/// the connection, not by the answer.
///
/// Its entity tag is worked out from what the answer is made of, never from its bytes: for
/// a sweep that has ended, its state and the time it ended as its status file keeps them
/// (its rows no longer change, and the tag outlives a restart); for one still running, the
/// index's ``RunIndex/version`` (which changes whenever a row could) and which of its groups
/// run; and the request's target (query, offset, limit). A conditional request is so
/// answered 304 before a row is rendered.
struct StreamedDocument: Sendable {
    /// The bytes before the rows.
    let head: [UInt8]
    /// How many batches of rows there are.
    let batches: Int
    /// The bytes of batch `n` (0 ..< ``batches``).
    let batch: @Sendable (Int) -> [UInt8]
    /// The bytes after the rows.
    let tail: [UInt8]
    /// What the rows are made from; the same whenever the rows would be.
    let version: String
    /// Bytes held until the document is sent (the runs it lists, 4 bytes each).
    var keeps = 0

    /// Piece `n` of the document: the head, the batches, then the tail; nil past the end.
    private func piece(_ n: Int) -> [UInt8]? {
        if n == 0 { return head }
        if n <= batches { return batch(n - 1) }
        return n == batches + 1 ? tail : nil
    }

    /// The strong tag of the answer to `target` (the request's path and query): a hash of
    /// the target and ``version``, marked `r` so it never equals the hash of a body.
    func tag(target: String) -> String { Self.tag(target: target, version: version) }

    /// The tag of ``tag(target:)`` for a document made of `version`, known before it is made.
    static func tag(target: String, version: String) -> String {
        "\"r" + String(CounterRandom.fnv1a64(target + "\n" + version), radix: 16) + "\""
    }

    /// The whole document, for tests and small callers.
    func bytes() -> [UInt8] {
        var out: [UInt8] = []
        var n = 0
        while let bytes = piece(n) {
            out += bytes
            n += 1
        }
        return out
    }

    /// The body, in chunks of at most the size the connection asks for: pieces are made
    /// until there is enough, and what is over is kept for the next chunk, so at most a
    /// chunk and a batch are held: what it declares it holds is what the document keeps and
    /// a batch (``batchBytes``).
    func producer() -> BodyProducer {
        let cursor = Cursor()
        return BodyProducer(holding: keeps + Self.batchBytes, next: { [self] maximum in
            while cursor.held.count < maximum, let bytes = piece(cursor.next) {
                cursor.next += 1
                cursor.held += bytes
            }
            let end = min(cursor.held.count, maximum)
            let chunk = Array(cursor.held[..<end])
            // Only what is over is kept, in a buffer of its own size.
            cursor.held = Array(cursor.held[end...])
            return chunk
        })
    }

    /// Where the body has got to; touched by one pool thread at a time (``BodyProducer``).
    private final class Cursor: @unchecked Sendable {
        /// The next piece to make.
        var next = 0
        /// Made and not yet given.
        var held: [UInt8] = []
    }

    /// Runs of a page rendered at a time: about 20 KB of JSON.
    static let rowsPerBatch = 16
    /// `runs.csv` lines rendered at a time: about 25 KB.
    static let linesPerBatch = 128
    /// Bytes a batch of either may take, on the high side, as what a producer holds beyond
    /// its chunk: what is left of the last batch made.
    static let batchBytes = 32 * 1024

    /// A runs page, byte for byte what `JSON.prettyBytes` gives for the object with
    /// `total`, `matched`, `offset`, `limit`, `swept` and `runs`.
    static func runsPage(
        index: RunIndex, selection: RunIndex.Selection, query: RunQuery, offset: Int, limit: Int, version: String,
        activity: @escaping @Sendable (PlannedRun) -> String
    ) -> StreamedDocument {
        let swept = JSON.array(index.sweptParameters().map(JSON.string)).prettyBytes(level: 1)
        let head = "{\n  \"total\": \(selection.total),\n  \"matched\": \(selection.matched),\n  \"offset\": \(offset),\n"
            + "  \"limit\": \(limit),\n  \"swept\": \(String(decoding: swept, as: UTF8.self)),\n  \"runs\": ["
        let indices = selection.indices
        let fields = query.fields
        return StreamedDocument(
            head: Array(head.utf8), batches: (indices.count + rowsPerBatch - 1) / rowsPerBatch,
            batch: { n in
                let first = n * rowsPerBatch
                let slice = indices[first..<min(indices.count, first + rowsPerBatch)]
                var out: [UInt8] = []
                for (offset, row) in index.rows(slice, fields: fields, activity: activity).enumerated() {
                    if first + offset > 0 { out.append(UInt8(ascii: ",")) }
                    out += Array("\n    ".utf8)
                    out += row.prettyBytes(level: 2)
                }
                return out
            },
            tail: Array((indices.isEmpty ? "]\n}\n" : "\n  ]\n}\n").utf8), version: version,
            keeps: indices.count * MemoryLayout<Int32>.stride)
    }

    /// Numbers of a column written at a time: up to about 28 KB.
    static let numbersPerBatch = 2048

    /// The explorer's columns, byte for byte as they were written whole: `total`, `matched`
    /// (the length of every column) and each field's numbers in order (``SweepExplorer/number(_:)``),
    /// compact. A JSON value per number would hold tens of bytes for each of a million runs'
    /// numbers; the columns themselves, 8 bytes a number, are what it keeps until sent.
    static func columns(total: Int, fields: [String], columns: [[Double]], version: String) -> StreamedDocument {
        let matched = columns.first?.count ?? 0
        let perField = max(1, (matched + numbersPerBatch - 1) / numbersPerBatch)
        let names = fields.map { JSON.string($0).compactBytes + Array(":[".utf8) }
        return StreamedDocument(
            head: Array("{\"total\":\(total),\"matched\":\(matched),\"columns\":{".utf8),
            batches: min(fields.count, columns.count) * perField,
            batch: { n in
                let (field, part) = n.quotientAndRemainder(dividingBy: perField)
                let column = columns[field]
                let start = part * numbersPerBatch
                var out: [UInt8] = []
                if part == 0 {
                    if field > 0 { out.append(UInt8(ascii: ",")) }
                    out += names[field]
                }
                for row in start..<min(column.count, start + numbersPerBatch) {
                    if row > 0 { out.append(UInt8(ascii: ",")) }
                    out += SweepExplorer.number(column[row]).utf8
                }
                if part == perField - 1 { out.append(UInt8(ascii: "]")) }
                return out
            },
            tail: Array("}}".utf8), version: version, keeps: columns.reduce(0) { $0 + $1.count * 8 })
    }

    /// `runs.csv`: its header line, then a line per run of `selection`.
    static func runsCSV(
        index: RunIndex, selection: RunIndex.Selection, query: RunQuery, version: String,
        activity: @escaping @Sendable (PlannedRun) -> String
    ) -> StreamedDocument {
        let indices = selection.indices
        return StreamedDocument(
            head: index.csvHeader(query), batches: (indices.count + linesPerBatch - 1) / linesPerBatch,
            batch: { n in
                let first = n * linesPerBatch
                return index.csvLines(
                    indices[first..<min(indices.count, first + linesPerBatch)], query: query, activity: activity)
            },
            tail: [], version: version, keeps: indices.count * MemoryLayout<Int32>.stride)
    }
}
