import CZlib

/// A streaming gzip compressor on zlib, on the calling thread: bytes go in, compressed chunks come
/// out through `sink`, so memory stays constant whatever the size of the stream.
///
/// The gzip header zlib writes carries no time stamp or file name, so equal input gives
/// equal output.
public final class GzipWriter {
    /// Compression failed inside zlib.
    public struct Error: Swift.Error, CustomStringConvertible {
        /// zlib's return code.
        public let code: Int32
        /// What failed.
        public var description: String { "gzip compression failed (zlib error \(code))" }
    }

    private var stream = z_stream()
    private var output: [UInt8]
    private let sink: ([UInt8]) throws -> Void
    private var finished = false

    /// Starts a stream; `level` is zlib's 1 (fastest) ... 9 (smallest).
    public init(level: Int32 = 6, sink: @escaping ([UInt8]) throws -> Void) throws {
        self.sink = sink
        output = [UInt8](repeating: 0, count: 64 * 1024)
        let code = czlib_deflate_init_gzip(&stream, level)
        guard code == Z_OK else { throw Error(code: code) }
    }

    /// Starts a gzip stream that holds less: a window of 2^`windowBits` bytes (9...15, 15 by
    /// default), hash tables sized by `memoryLevel` (1...9, 8 by default) and an output buffer
    /// of `bufferBytes`, so that one held open per connection costs ``memory(windowBits:memoryLevel:bufferBytes:)``.
    public init(
        level: Int32, windowBits: Int32, memoryLevel: Int32, bufferBytes: Int, sink: @escaping ([UInt8]) throws -> Void
    ) throws {
        self.sink = sink
        output = [UInt8](repeating: 0, count: max(1024, bufferBytes))
        let code = czlib_deflate_init_gzip_sized(&stream, level, windowBits, memoryLevel)
        guard code == Z_OK else { throw Error(code: code) }
    }

    /// Bytes a writer made with these sizes holds while open: zlib's deflate state
    /// (2^(windowBits+2) + 2^(memoryLevel+9), as zlib's documentation gives it, and its
    /// fixed part of about 6 KiB) and the output buffer.
    public static func memory(windowBits: Int32 = 15, memoryLevel: Int32 = 8, bufferBytes: Int = 64 * 1024) -> Int {
        (1 << (Int(windowBits) + 2)) + (1 << (Int(memoryLevel) + 9)) + 6 * 1024 + max(1024, bufferBytes)
    }

    deinit { deflateEnd(&stream) }

    /// Compresses `bytes`.
    public func write(_ bytes: [UInt8]) throws {
        guard !bytes.isEmpty else { return }
        try bytes.withUnsafeBufferPointer { input in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress!)
            stream.avail_in = UInt32(input.count)
            try pump(flush: Z_NO_FLUSH)
        }
    }

    /// Emits everything written so far, ending on a byte boundary (zlib's sync flush), so a
    /// reader can decode it all before the stream goes on: a body sent as it is made need
    /// not wait for zlib's buffers to fill.
    public func flush() throws {
        guard !finished else { return }
        stream.next_in = nil
        stream.avail_in = 0
        try pump(flush: Z_SYNC_FLUSH)
    }

    /// Writes the rest of the stream and its trailer.
    public func finish() throws {
        guard !finished else { return }
        finished = true
        stream.next_in = nil
        stream.avail_in = 0
        try pump(flush: Z_FINISH)
    }

    private func pump(flush: Int32) throws {
        let capacity = output.count
        while true {
            let (code, produced) = output.withUnsafeMutableBufferPointer { buffer in
                stream.next_out = buffer.baseAddress
                stream.avail_out = UInt32(capacity)
                let code = deflate(&stream, flush)
                return (code, capacity - Int(stream.avail_out))
            }
            guard code == Z_OK || code == Z_STREAM_END || code == Z_BUF_ERROR else { throw Error(code: code) }
            if produced > 0 { try sink(Array(output[0..<produced])) }
            if flush == Z_FINISH ? code == Z_STREAM_END : (stream.avail_in == 0 && produced < capacity) { return }
        }
    }

    /// Compresses a whole buffer at once.
    public static func compress(_ bytes: [UInt8], level: Int32 = 6) throws -> [UInt8] {
        var out: [UInt8] = []
        let writer = try GzipWriter(level: level) { out += $0 }
        try writer.write(bytes)
        try writer.finish()
        return out
    }
}
