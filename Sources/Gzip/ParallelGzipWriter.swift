import CZlib
import Foundation

/// A gzip stream compressed on several threads, as pigz does: the input is cut into blocks
/// of a fixed size, each compressed on its own with the 32 KiB before it as its dictionary
/// and ended on a byte boundary, and the blocks are written in order as one deflate stream.
///
/// The blocks are cut at fixed offsets of the input, so the output depends on the bytes
/// written, which of them were written as compressed already, and the level alone, not on
/// how the writes were cut, the number of threads or their timing: equal input gives equal
/// output on any machine. It is not the output of
/// ``GzipWriter`` (zlib's one stream sees further back than a block), but any gzip reader
/// reads the same bytes from it. A block costs a few bytes and finds no match further back
/// than its dictionary, under 1 % in size at 256 KiB.
public final class ParallelGzipWriter {
    /// Uncompressed bytes a block holds.
    public static let defaultBlockBytes = 256 * 1024
    /// What deflate can refer back to: a block's dictionary.
    private static let window = 32 * 1024

    private let level: Int32
    private let blockBytes: Int
    private let sink: ([UInt8]) throws -> Void
    private let threads: DeflateThreads
    private let format: Format
    private let results = DeflateThreads.Results()
    /// zlib's gzip header, until it is written with the first block.
    private var header: [UInt8]?
    /// The block being filled, and the sequence number it will have.
    private var block: [UInt8]
    /// Whether every byte of the block being filled was written as compressed already.
    private var blockIsCompressed = true
    private var dictionary: [UInt8] = []
    private var submitted = 0
    /// The next block to be written to `sink`.
    private var written = 0
    private var combinedCRC: UInt = 0
    private var length: UInt32 = 0
    /// CRC-32 of the blocks written out so far: of every byte once ``finish()`` returns.
    public var crc: UInt32 { UInt32(truncatingIfNeeded: combinedCRC) }
    private var finished = false
    /// Uncompressed bytes written so far.
    public private(set) var bytesIn = 0

    /// What the stream is framed as.
    public enum Format: Sendable {
        /// A gzip file: header, deflate data, CRC and length.
        case gzip
        /// Deflate data alone, as a zip member holds it (its CRC-32 is ``crc``).
        case raw
    }

    /// Starts a stream compressed on `threads` (the process's, one a processor, by default),
    /// at zlib's `level` (1 fastest ... 9 smallest), with at most as many of its blocks
    /// compressed or waiting as there are threads.
    public init(
        level: Int32 = 6, format: Format = .gzip, threads: DeflateThreads = .shared,
        blockBytes: Int = defaultBlockBytes, sink: @escaping ([UInt8]) throws -> Void
    ) {
        precondition(blockBytes >= Self.window, "a block must be at least as large as deflate's window")
        self.level = level
        self.blockBytes = blockBytes
        self.sink = sink
        self.format = format
        self.threads = threads
        block = []
        block.reserveCapacity(blockBytes)
        // zlib's own gzip header for these levels: no name, no time stamp, the extra flags it
        // sets for the fastest and smallest levels, and Unix as the system.
        let extraFlags: UInt8 = level == 9 ? 2 : (level < 2 ? 4 : 0)
        header = format == .gzip ? [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, extraFlags, 3] : nil
    }

    /// Compresses `bytes`; refused once the stream is finished, as zlib refuses it.
    ///
    /// `compressed` says the bytes are compressed already (a zip file's members): a block that
    /// holds only such bytes is stored as it is. Deflating them again would take four times
    /// as long a byte as text takes, for under 3 % of their size.
    public func write(_ bytes: [UInt8], compressed: Bool = false) throws {
        guard !finished else { throw GzipWriter.Error(code: Z_STREAM_ERROR) }
        bytesIn += bytes.count
        var start = 0
        while start < bytes.count {
            let taken = min(blockBytes - block.count, bytes.count - start)
            block.append(contentsOf: bytes[start..<(start + taken)])
            if !compressed { blockIsCompressed = false }
            start += taken
            if block.count == blockBytes { try submit(last: false) }
        }
    }

    /// Writes the rest of the stream and its trailer.
    public func finish() throws {
        guard !finished else { return }
        finished = true
        try submit(last: true)
        try drain(upTo: submitted)
        guard format == .gzip else { return }
        var trailer = [UInt8](repeating: 0, count: 8)
        for index in 0..<4 {
            trailer[index] = UInt8(truncatingIfNeeded: crc >> (8 * index))
            trailer[4 + index] = UInt8(truncatingIfNeeded: length >> (8 * index))
        }
        try sink(trailer)
    }

    private func submit(last: Bool) throws {
        if let header {
            self.header = nil
            try sink(header)
        }
        let input = block
        let stored = blockIsCompressed && !input.isEmpty
        threads.add(
            DeflateThreads.Block(
                sequence: submitted, input: input, dictionary: stored ? [] : dictionary, last: last,
                level: stored ? 0 : level, results: results))
        dictionary = Array(input.suffix(Self.window))
        block.removeAll(keepingCapacity: true)
        blockIsCompressed = true
        submitted += 1
        // Hold at most a block a thread besides the one being filled: write out what is done
        // before taking more (a dataset has a writer for each array too).
        try drain(upTo: submitted - threads.count)
    }

    /// Writes the blocks before `end` in order, waiting for each.
    private func drain(upTo end: Int) throws {
        while written < end {
            let done = try results.take(written)
            combinedCRC = crc32_combine(combinedCRC, done.crc, off_t(done.inputCount))
            length &+= UInt32(truncatingIfNeeded: done.inputCount)
            if !done.output.isEmpty { try sink(done.output) }
            written += 1
        }
    }
}
