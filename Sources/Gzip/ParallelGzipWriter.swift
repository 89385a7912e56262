import CZlib
import Foundation

/// A gzip stream compressed on several threads, as pigz does: the input is cut into blocks
/// of a fixed size, each compressed on its own with the 32 KiB before it as its dictionary
/// and ended on a byte boundary, and the blocks are written in order as one deflate stream.
///
/// The blocks are cut at fixed offsets of the input, so the output depends on the bytes
/// written and the level alone, not on how the writes were cut, the number of threads or
/// their timing: equal input gives equal output on any machine. It is not the output of
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
    private let compressors: Compressors
    /// zlib's gzip header, until it is written with the first block.
    private var header: [UInt8]?
    /// The block being filled, and the sequence number it will have.
    private var block: [UInt8]
    private var dictionary: [UInt8] = []
    private var submitted = 0
    /// The next block to be written to `sink`.
    private var written = 0
    private var combinedCRC: UInt = 0
    private var length: UInt32 = 0
    private let format: GzipWriter.Format
    /// CRC-32 of the blocks written out so far: of every byte once ``finish()`` returns.
    public var crc: UInt32 { UInt32(truncatingIfNeeded: combinedCRC) }
    private var finished = false
    /// Uncompressed bytes written so far.
    public private(set) var bytesIn = 0

    /// Starts a stream compressed on `threads` threads (the processors, by default), at
    /// zlib's `level` (1 fastest ... 9 smallest), with at most twice as many blocks held as
    /// threads. A `.raw` stream is the deflate data alone, as a zip member holds it.
    public init(
        level: Int32 = 6, format: GzipWriter.Format = .gzip, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
        blockBytes: Int = defaultBlockBytes, sink: @escaping ([UInt8]) throws -> Void
    ) {
        precondition(blockBytes >= Self.window, "a block must be at least as large as deflate's window")
        self.level = level
        self.blockBytes = blockBytes
        self.sink = sink
        self.format = format
        compressors = Compressors(threads: max(1, threads), level: level)
        block = []
        block.reserveCapacity(blockBytes)
        // zlib's own gzip header for these levels: no name, no time stamp, the extra flags it
        // sets for the fastest and smallest levels, and Unix as the system.
        let extraFlags: UInt8 = level == 9 ? 2 : (level < 2 ? 4 : 0)
        header = format == .gzip ? [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, extraFlags, 3] : nil
    }

    deinit { compressors.stop() }

    /// Compresses `bytes`.
    public func write(_ bytes: [UInt8]) throws {
        precondition(!finished, "written after finish")
        bytesIn += bytes.count
        var start = 0
        while start < bytes.count {
            let taken = min(blockBytes - block.count, bytes.count - start)
            block.append(contentsOf: bytes[start..<(start + taken)])
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
        compressors.stop()
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
        let job = Compressors.Job(sequence: submitted, input: input, dictionary: dictionary, last: last)
        dictionary = Array(input.suffix(Self.window))
        block.removeAll(keepingCapacity: true)
        submitted += 1
        compressors.add(job)
        // Hold at most two blocks a thread: write out what is done before taking more.
        try drain(upTo: submitted - 2 * compressors.threads)
    }

    /// Writes the blocks before `end` in order, waiting for each.
    private func drain(upTo end: Int) throws {
        while written < end {
            let done = try compressors.take(written)
            combinedCRC = crc32_combine(combinedCRC, done.crc, off_t(done.inputCount))
            length &+= UInt32(truncatingIfNeeded: done.inputCount)
            if !done.output.isEmpty { try sink(done.output) }
            written += 1
        }
    }

    /// The threads, each with its own zlib stream, and the blocks given to them and done.
    private final class Compressors: @unchecked Sendable {
        struct Job {
            let sequence: Int
            let input: [UInt8]
            let dictionary: [UInt8]
            let last: Bool
        }
        struct Done {
            let output: [UInt8]
            let crc: UInt
            let inputCount: Int
        }

        let threads: Int
        private let condition = NSCondition()
        // Guarded by `condition`.
        private var waiting: [Job] = []
        private var done: [Int: Result<Done, GzipWriter.Error>] = [:]
        private var stopped = false
        private var started = 0

        init(threads: Int, level: Int32) {
            self.threads = threads
            self.level = level
        }

        private let level: Int32

        func add(_ job: Job) {
            condition.lock()
            waiting.append(job)
            // Threads start as blocks come, so a short stream starts no more than it uses.
            let starts = started < threads
            if starts { started += 1 }
            condition.signal()
            condition.unlock()
            if starts { Thread.detachNewThread { [self] in work() } }
        }

        /// Waits for block `sequence` and hands it over.
        func take(_ sequence: Int) throws -> Done {
            condition.lock()
            defer { condition.unlock() }
            while done[sequence] == nil { condition.wait() }
            return try done.removeValue(forKey: sequence)!.get()
        }

        func stop() {
            condition.lock()
            stopped = true
            condition.broadcast()
            condition.unlock()
        }

        private func work() {
            var stream = z_stream()
            let initCode = czlib_deflate_init_raw(&stream, level)
            defer { if initCode == Z_OK { deflateEnd(&stream) } }
            while true {
                condition.lock()
                while waiting.isEmpty && !stopped { condition.wait() }
                if waiting.isEmpty {
                    condition.unlock()
                    return
                }
                let job = waiting.removeFirst()
                condition.unlock()
                let result: Result<Done, GzipWriter.Error> =
                    initCode == Z_OK ? Self.compress(job, &stream) : .failure(GzipWriter.Error(code: initCode))
                condition.lock()
                done[job.sequence] = result
                condition.broadcast()
                condition.unlock()
            }
        }

        /// One block as raw deflate data ending on a byte boundary, the last one ending the
        /// stream.
        private static func compress(_ job: Job, _ stream: inout z_stream) -> Result<Done, GzipWriter.Error> {
            var code = deflateReset(&stream)
            if code == Z_OK && !job.dictionary.isEmpty {
                code = job.dictionary.withUnsafeBufferPointer {
                    deflateSetDictionary(&stream, $0.baseAddress, UInt32($0.count))
                }
            }
            guard code == Z_OK else { return .failure(GzipWriter.Error(code: code)) }
            let crc = job.input.withUnsafeBufferPointer { UInt(crc32(0, $0.baseAddress, UInt32($0.count))) }
            var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(job.input.count))) + 64)
            var produced = 0
            let flush = job.last ? Z_FINISH : Z_SYNC_FLUSH
            job.input.withUnsafeBufferPointer { input in
                stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
                stream.avail_in = UInt32(input.count)
                // The bound holds a block in one call; the loop is for what it does not promise.
                repeat {
                    if produced == output.count { output += [UInt8](repeating: 0, count: output.count) }
                    output.withUnsafeMutableBufferPointer { out in
                        stream.next_out = out.baseAddress! + produced
                        stream.avail_out = UInt32(out.count - produced)
                        code = deflate(&stream, flush)
                        produced = out.count - Int(stream.avail_out)
                    }
                } while code == Z_OK && (stream.avail_in > 0 || produced == output.count || job.last)
            }
            guard job.last ? code == Z_STREAM_END : code == Z_OK else { return .failure(GzipWriter.Error(code: code)) }
            output.removeSubrange(produced...)
            return .success(Done(output: output, crc: crc, inputCount: job.input.count))
        }
    }
}
