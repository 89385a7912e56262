import Foundation
import Gzip

/// A zip archive of deflated members, as numpy's `.npz` is: members may be written
/// side by side (one array per series, filled run by run), each into an unlinked temporary
/// file, and are copied into the archive in the order they were begun once they and every
/// earlier member are ended. Memory stays constant whatever the size of the members.
///
/// Nothing depends on the clock (every member is dated 1980-01-01), so equal content gives
/// equal bytes. Zip64 records are added only when a size or offset needs them.
final class ZipWriter {
    /// One member being written.
    final class Member {
        fileprivate let name: String
        fileprivate let descriptor: Int32
        fileprivate var deflater: ParallelGzipWriter!
        fileprivate var compressedSize = 0
        fileprivate var buffer: [UInt8] = []
        fileprivate var ended = false
        private let temporary: String

        fileprivate init(name: String, temporary: String) throws {
            self.name = name
            self.temporary = temporary
            // Unlinked at once: a crash leaves nothing behind (nor a signal: ``StreamingFile``
            // creates and unlinks it under the lock its removal of temporaries takes).
            descriptor = try StreamingFile.create(temporary, flags: O_RDWR, mode: 0o600, keepsName: false)
            // In blocks on every processor, like the archive: a member's bytes depend on its
            // content alone.
            deflater = ParallelGzipWriter(level: 1, format: .raw) { [unowned self] chunk in
                compressedSize += chunk.count
                buffer += chunk
                if buffer.count >= 1 << 16 { try flush() }
            }
        }

        deinit { close(descriptor) }

        /// Appends uncompressed bytes.
        func write(_ bytes: [UInt8]) throws { try deflater.write(bytes) }

        fileprivate func end() throws {
            guard !ended else { return }
            ended = true
            try deflater.finish()
            try flush()
        }

        private func flush() throws {
            try Descriptor.writeAll(descriptor, buffer, path: temporary)
            buffer.removeAll(keepingCapacity: true)
        }

        /// The compressed bytes, in chunks.
        fileprivate func copy(to sink: ([UInt8]) throws -> Void) throws {
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            var offset: off_t = 0
            while true {
                let count = chunk.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress!, $0.count, offset) }
                if count < 0 {
                    if errno == EINTR { continue }
                    throw FileError.system("cannot read \(temporary)", errno)
                }
                if count == 0 { return }
                try sink(Array(chunk[0..<count]))
                offset += off_t(count)
            }
        }
    }

    private let file: StreamingFile
    private var members: [Member] = []
    private var written = 0
    private var central: [UInt8] = []
    private var entries = 0

    /// Starts the archive at `path` (renamed into place by ``finish()``).
    init(path: String) throws { file = try StreamingFile(path: path) }

    /// Begins a member; write to it, then ``end(_:)`` it.
    func begin(_ name: String) throws -> Member {
        let url = URL(fileURLWithPath: file.path)
        let member = try Member(
            name: name,
            temporary: url.deletingLastPathComponent().path + "/"
                + StreamingFile.temporaryName(for: url.lastPathComponent + ".member-\(entries + members.count)"))
        members.append(member)
        return member
    }

    /// Ends a member; it (and every ended member begun before it) goes into the archive.
    func end(_ member: Member) throws {
        try member.end()
        while let first = members.first, first.ended {
            try append(first)
            members.removeFirst()
        }
    }

    /// Writes the central directory and renames the archive into place.
    func finish() throws {
        for member in members { try end(member) }
        let start = written
        try emit(central)
        let size = written - start
        if entries >= 0xFFFF || start >= 0xFFFF_FFFF || size >= 0xFFFF_FFFF {
            let record = written
            var zip64: [UInt8] = []
            zip64.le32(0x0606_4b50)
            zip64.le64(44)
            zip64.le16(45)
            zip64.le16(45)
            zip64.le32(0)
            zip64.le32(0)
            zip64.le64(entries)
            zip64.le64(entries)
            zip64.le64(size)
            zip64.le64(start)
            zip64.le32(0x0706_4b50)
            zip64.le32(0)
            zip64.le64(record)
            zip64.le32(1)
            try emit(zip64)
        }
        var end: [UInt8] = []
        end.le32(0x0605_4b50)
        end.le16(0)
        end.le16(0)
        end.le16(min(entries, 0xFFFF))
        end.le16(min(entries, 0xFFFF))
        end.le32(min(size, 0xFFFF_FFFF))
        end.le32(min(start, 0xFFFF_FFFF))
        end.le16(0)
        try emit(end)
        try file.commit()
    }

    private func emit(_ bytes: [UInt8]) throws {
        written += bytes.count
        try file.write(bytes)
    }

    private func append(_ member: Member) throws {
        let offset = written
        let name = Array(member.name.utf8)
        let crc = member.deflater.crc
        let size = member.deflater.bytesIn
        let compressed = member.compressedSize
        let large = size >= 0xFFFF_FFFF || compressed >= 0xFFFF_FFFF
        var local: [UInt8] = []
        local.le32(0x0403_4b50)
        local.le16(large ? 45 : 20)
        local.le16(0)
        local.le16(8)
        local.le16(0)
        local.le16(0x21)
        local.le32(Int(crc))
        local.le32(large ? 0xFFFF_FFFF : compressed)
        local.le32(large ? 0xFFFF_FFFF : size)
        local.le16(name.count)
        local.le16(large ? 20 : 0)
        local += name
        if large {
            local.le16(1)
            local.le16(16)
            local.le64(size)
            local.le64(compressed)
        }
        try emit(local)
        try member.copy { try emit($0) }

        var extra: [UInt8] = []
        if size >= 0xFFFF_FFFF { extra.le64(size) }
        if compressed >= 0xFFFF_FFFF { extra.le64(compressed) }
        if offset >= 0xFFFF_FFFF { extra.le64(offset) }
        central.le32(0x0201_4b50)
        central.le16(extra.isEmpty ? 20 : 45)
        central.le16(extra.isEmpty ? 20 : 45)
        central.le16(0)
        central.le16(8)
        central.le16(0)
        central.le16(0x21)
        central.le32(Int(crc))
        central.le32(min(compressed, 0xFFFF_FFFF))
        central.le32(min(size, 0xFFFF_FFFF))
        central.le16(name.count)
        central.le16(extra.isEmpty ? 0 : extra.count + 4)
        central.le16(0)
        central.le16(0)
        central.le16(0)
        central.le32(0)
        central.le32(min(offset, 0xFFFF_FFFF))
        central += name
        if !extra.isEmpty {
            central.le16(1)
            central.le16(extra.count)
            central += extra
        }
        entries += 1
    }
}

extension [UInt8] {
    /// Appends `value` as 2 little-endian bytes.
    mutating func le16(_ value: Int) {
        append(UInt8(truncatingIfNeeded: value))
        append(UInt8(truncatingIfNeeded: value >> 8))
    }

    /// Appends `value` as 4 little-endian bytes.
    mutating func le32(_ value: Int) { for shift in stride(from: 0, to: 32, by: 8) { append(UInt8(truncatingIfNeeded: value >> shift)) } }

    /// Appends `value` as 8 little-endian bytes.
    mutating func le64(_ value: Int) { for shift in stride(from: 0, to: 64, by: 8) { append(UInt8(truncatingIfNeeded: value >> shift)) } }
}
