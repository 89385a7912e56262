import CZlib

/// A streaming gzip decompressor on zlib: compressed chunks go in, decompressed chunks come
/// out through `sink`, so memory stays constant whatever the size of the stream.
public final class GzipReader {
    /// Decompression failed: the input is not gzip, or damaged.
    public struct Error: Swift.Error, CustomStringConvertible {
        /// zlib's return code.
        public let code: Int32
        /// What failed, for a person.
        public var description: String { "not a whole gzip stream (zlib error \(code))" }
    }

    private var stream = z_stream()
    private var output = [UInt8](repeating: 0, count: 64 * 1024)
    private let sink: ([UInt8]) throws -> Void
    /// Whether the end of the gzip stream has been read.
    public private(set) var finished = false

    /// Starts a stream whose output goes to `sink`.
    public init(sink: @escaping ([UInt8]) throws -> Void) throws {
        self.sink = sink
        let code = czlib_inflate_init_auto(&stream)
        guard code == Z_OK else { throw Error(code: code) }
    }

    deinit { inflateEnd(&stream) }

    /// Decompresses `bytes`; bytes after the end of the stream are ignored.
    public func write(_ bytes: [UInt8]) throws {
        guard !finished, !bytes.isEmpty else { return }
        var input = bytes
        try input.withUnsafeMutableBufferPointer { buffer in
            stream.next_in = buffer.baseAddress
            stream.avail_in = UInt32(buffer.count)
            while stream.avail_in > 0 && !finished {
                let (code, produced) = output.withUnsafeMutableBufferPointer { out in
                    stream.next_out = out.baseAddress
                    stream.avail_out = UInt32(out.count)
                    let code = inflate(&stream, Z_NO_FLUSH)
                    return (code, out.count - Int(stream.avail_out))
                }
                guard code == Z_OK || code == Z_STREAM_END else { throw Error(code: code) }
                if produced > 0 { try sink(Array(output[..<produced])) }
                if code == Z_STREAM_END { finished = true }
                if code == Z_OK && produced == 0 && stream.avail_in > 0 { throw Error(code: Z_BUF_ERROR) }
            }
        }
        stream.next_in = nil
    }
}
