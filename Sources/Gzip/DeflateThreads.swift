import CZlib
import Foundation

/// The threads that compress ``ParallelGzipWriter``'s blocks, shared by every writer given
/// them: a dataset's archive and its arrays' members take turns on one thread a processor
/// rather than each starting its own.
///
/// A thread is started when a block waits and none is free, and ends when no block waits, so
/// an idle process holds none.
public final class DeflateThreads: @unchecked Sendable {
    /// The process's threads, one a processor.
    public static let shared = DeflateThreads(count: ProcessInfo.processInfo.activeProcessorCount)

    /// At most this many threads compress at once.
    public let count: Int
    private let condition = NSCondition()
    // Guarded by `condition`. A few blocks a writer: taken from the front as they are.
    private var waiting: [Block] = []
    private var running = 0

    /// Threads that compress at most `count` blocks at once.
    public init(count: Int) { self.count = max(1, count) }

    /// A block of a stream and where its compressed form goes.
    struct Block {
        let sequence: Int
        let input: [UInt8]
        /// The input before it, at most deflate's window: what its matches may refer to.
        let dictionary: [UInt8]
        /// Whether the block ends the stream.
        let last: Bool
        let level: Int32
        let results: Results
    }

    /// A block as raw deflate data ending on a byte boundary, and the CRC-32 of its input.
    struct Compressed {
        let output: [UInt8]
        let crc: UInt
        let inputCount: Int
    }

    /// One stream's compressed blocks, put in any order and taken in order.
    final class Results: @unchecked Sendable {
        private let condition = NSCondition()
        // Guarded by `condition`.
        private var done: [Int: Result<Compressed, GzipWriter.Error>] = [:]

        fileprivate func put(_ sequence: Int, _ result: Result<Compressed, GzipWriter.Error>) {
            condition.lock()
            done[sequence] = result
            condition.broadcast()
            condition.unlock()
        }

        /// Waits for block `sequence` and hands it over.
        func take(_ sequence: Int) throws -> Compressed {
            condition.lock()
            defer { condition.unlock() }
            while done[sequence] == nil { condition.wait() }
            return try done.removeValue(forKey: sequence)!.get()
        }
    }

    func add(_ block: Block) {
        condition.lock()
        waiting.append(block)
        let starts = running < count
        if starts { running += 1 }
        condition.unlock()
        if starts { Thread.detachNewThread { [self] in work() } }
    }

    private func work() {
        var stream = z_stream()
        var level: Int32?
        defer { if level != nil { deflateEnd(&stream) } }
        while true {
            condition.lock()
            guard !waiting.isEmpty else {
                running -= 1
                condition.unlock()
                return
            }
            let block = waiting.removeFirst()
            condition.unlock()
            if level != block.level {
                if level != nil { deflateEnd(&stream) }
                let code = czlib_deflate_init_raw(&stream, block.level)
                level = code == Z_OK ? block.level : nil
                guard code == Z_OK else {
                    block.results.put(block.sequence, .failure(GzipWriter.Error(code: code)))
                    continue
                }
            }
            block.results.put(block.sequence, Self.compress(block, &stream))
        }
    }

    /// One block as raw deflate data ending on a byte boundary, the last one ending the
    /// stream.
    private static func compress(_ block: Block, _ stream: inout z_stream) -> Result<Compressed, GzipWriter.Error> {
        var code = deflateReset(&stream)
        if code == Z_OK && !block.dictionary.isEmpty {
            code = block.dictionary.withUnsafeBufferPointer {
                deflateSetDictionary(&stream, $0.baseAddress, UInt32($0.count))
            }
        }
        guard code == Z_OK else { return .failure(GzipWriter.Error(code: code)) }
        let crc = block.input.withUnsafeBufferPointer { UInt(crc32(0, $0.baseAddress, UInt32($0.count))) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(block.input.count))) + 64)
        var produced = 0
        let flush = block.last ? Z_FINISH : Z_SYNC_FLUSH
        block.input.withUnsafeBufferPointer { input in
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
            } while code == Z_OK && (stream.avail_in > 0 || produced == output.count || block.last)
        }
        guard block.last ? code == Z_STREAM_END : code == Z_OK else { return .failure(GzipWriter.Error(code: code)) }
        // A copy of the bytes made, not the bound's whole buffer, is what waits to be written.
        return .success(Compressed(output: Array(output[..<produced]), crc: crc, inputCount: block.input.count))
    }
}
