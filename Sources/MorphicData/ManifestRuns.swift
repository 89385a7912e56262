import Foundation

/// Reads the per-run entries of a dataset's `manifest.json` one at a time, so that a
/// manifest of a million runs is never held whole. It relies on the layout ``Dataset``
/// writes: the `runs` array opens on a line of its own and holds one entry per line.
enum ManifestRuns {
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
        throw FileError.invalid("\(path) ends before its runs do")
    }
}
