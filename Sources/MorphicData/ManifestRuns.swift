import Foundation

/// Reads the per-run entries of a dataset's `manifest.json` one at a time, so that a
/// manifest of a million runs is never held whole. It relies on the layout ``Dataset``
/// writes: the `runs` array opens on a line of its own and holds one entry per line.
public enum ManifestRuns {
    /// Calls `body` with each run entry, in order.
    static func forEach(path: String, _ body: (JSON) throws -> Void) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw FileError.invalid("\(path) is missing: this folder holds no assembled dataset")
        }
        defer { try? handle.close() }
        var inRuns = false
        var pending: [UInt8] = []
        func line(_ bytes: ArraySlice<UInt8>) throws -> Bool {
            var text = bytes.drop { $0 == 0x20 }
            if !inRuns {
                inRuns = text.elementsEqual(#""runs": ["#.utf8)
                return true
            }
            if text.first == UInt8(ascii: "]") { return false }
            if text.last == UInt8(ascii: ",") { text = text.dropLast() }
            guard let entry = try? JSONParser.parse(text), entry["run_id"] != nil else {
                throw FileError.invalid("\(path) is not a manifest as morphic writes it (one run per line)")
            }
            try body(entry)
            return true
        }
        while let chunk = try handle.read(upToCount: 1 << 16), !chunk.isEmpty {
            pending += chunk
            var start = pending.startIndex
            while let end = pending[start...].firstIndex(of: 0x0A) {
                guard try line(pending[start..<end]) else { return }
                start = end + 1
            }
            pending.removeSubrange(..<start)
        }
        throw FileError.invalid(
            inRuns
                ? "\(path) ends before its runs do"
                : "\(path) is not a manifest as morphic writes it (it has no \"runs\" list)")
    }

    /// Bytes of the manifest's end read for what follows the runs: `validation`, a few KB.
    static let tailBytes = 64 * 1024

    /// The manifest without its per-run part: every member but `runs`, in its order and
    /// layout, read from the file's head (up to the line that opens `runs`) and its tail
    /// (from the line that closes it), so a manifest of a million runs (over 100 MB) costs
    /// a few KB.
    public static func withoutRuns(path: String) throws -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw FileError.invalid("\(path) is missing: this folder holds no assembled dataset")
        }
        defer { try? handle.close() }
        let opening = Array("\n  \"runs\": [\n".utf8)
        let closing = Array("\n  ],\n".utf8)
        var head: [UInt8] = []
        var openAt: Int?
        while openAt == nil, let chunk = try handle.read(upToCount: 1 << 16), !chunk.isEmpty {
            let from = max(0, head.count - opening.count)
            head += chunk
            openAt = find(opening, in: head, from: from)
        }
        guard let openAt else { throw FileError.invalid("\(path) is not a manifest as morphic writes it (no runs)") }
        let size = try handle.seekToEnd()
        let tailStart = max(UInt64(openAt), size - min(size, UInt64(tailBytes)))
        try handle.seek(toOffset: tailStart)
        let tail = [UInt8](try handle.readToEnd() ?? Data())
        var closeAt: Int?
        var position = tail.count - closing.count
        while position >= 0 {
            if tail[position] == closing[0], tail[position..<position + closing.count].elementsEqual(closing) {
                closeAt = position
                break
            }
            position -= 1
        }
        guard let closeAt else { throw FileError.invalid("\(path) is not a manifest as morphic writes it (runs not closed)") }
        return Array(head[..<(openAt + 1)]) + Array(tail[(closeAt + closing.count)...])
    }

    private static func find(_ key: [UInt8], in bytes: [UInt8], from start: Int) -> Int? {
        guard bytes.count >= key.count else { return nil }
        var index = start
        while index <= bytes.count - key.count {
            if bytes[index] == key[0], bytes[index..<index + key.count].elementsEqual(key) { return index }
            index += 1
        }
        return nil
    }
}
