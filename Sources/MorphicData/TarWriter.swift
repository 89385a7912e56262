/// Writes a POSIX ustar archive as a stream of 512-byte blocks, with fixed owner, mode and
/// time stamps so that equal files give an equal archive.
public struct TarWriter {
    /// A name that does not fit the ustar header.
    public struct NameError: Error, CustomStringConvertible {
        /// The name.
        public let name: String
        /// Why it is refused.
        public var description: String { "'\(name)' is too long for a tar header" }
    }

    private let sink: (_ bytes: [UInt8], _ compressed: Bool) throws -> Void

    /// Writes blocks to `sink`, telling it which bytes are a file's that is compressed
    /// already (``addFile(folder:name:size:compressed:content:)``).
    public init(sink: @escaping (_ bytes: [UInt8], _ compressed: Bool) throws -> Void) { self.sink = sink }

    /// Adds a folder entry `folder/`.
    public func addFolder(_ folder: String) throws {
        try sink(try header(prefix: "", name: folder + "/", size: 0, type: "5", mode: "0000755"), false)
    }

    /// Adds a file of `size` bytes at `folder/name`, its content supplied in chunks by
    /// `content`; `compressed` says the content is compressed already (a zip file).
    public func addFile(
        folder: String, name: String, size: Int, compressed: Bool = false,
        content: (([UInt8]) throws -> Void) throws -> Void
    ) throws {
        try sink(try header(prefix: folder, name: name, size: size, type: "0", mode: "0000644"), false)
        var written = 0
        try content { chunk in
            written += chunk.count
            try sink(chunk, compressed)
        }
        precondition(written == size, "tar entry \(name) announced \(size) bytes but wrote \(written)")
        let remainder = size % 512
        if remainder != 0 { try sink([UInt8](repeating: 0, count: 512 - remainder), false) }
    }

    /// The blocks of a whole file `folder/name`: what
    /// ``addFile(folder:name:size:compressed:content:)`` writes, made apart from the stream
    /// (on another thread, say).
    public static func fileEntry(folder: String, name: String, bytes: [UInt8]) throws -> [UInt8] {
        var blocks: [UInt8] = []
        blocks.reserveCapacity(512 + bytes.count + 511)
        try TarWriter { chunk, _ in blocks += chunk }.addFile(folder: folder, name: name, size: bytes.count) {
            try $0(bytes)
        }
        return blocks
    }

    /// Adds blocks made by ``fileEntry(folder:name:bytes:)``.
    public func add(entry blocks: [UInt8]) throws { try sink(blocks, false) }

    /// Ends the archive with two zero blocks.
    public func finish() throws { try sink([UInt8](repeating: 0, count: 1024), false) }

    private func header(prefix: String, name: String, size: Int, type: Character, mode: String) throws -> [UInt8] {
        guard name.utf8.count <= 100, prefix.utf8.count <= 155 else { throw NameError(name: prefix + "/" + name) }
        var block = [UInt8](repeating: 0, count: 512)
        func put(_ text: String, at offset: Int) {
            for (index, byte) in text.utf8.enumerated() { block[offset + index] = byte }
        }
        func octal(_ value: Int, digits: Int) -> String {
            let text = String(value, radix: 8)
            return String(repeating: "0", count: max(0, digits - text.count)) + text
        }
        put(name, at: 0)
        put(mode, at: 100)
        put("0000000", at: 108)  // uid
        put("0000000", at: 116)  // gid
        put(octal(size, digits: 11), at: 124)
        put("00000000000", at: 136)  // mtime: the epoch, so archives do not depend on the clock
        put(String(type), at: 156)
        put("ustar", at: 257)
        put("00", at: 263)
        put(prefix, at: 345)
        // RFC: the checksum is computed with its own field as eight spaces.
        put("        ", at: 148)
        let sum = block.reduce(0) { $0 + Int($1) }
        put(octal(sum, digits: 6), at: 148)
        block[154] = 0
        block[155] = UInt8(ascii: " ")
        return block
    }
}
