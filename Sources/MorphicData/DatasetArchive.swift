import Foundation
import Gzip

/// Reads a dataset archive (`dataset.tar.gz`) without unpacking all of it: the files a
/// reader asks for are taken out of the stream into a temporary folder, the rest skipped.
public enum DatasetArchive {
    /// Most bytes one extracted file may have: a features table of a million runs is 400 MB.
    static let maximumFileBytes = 1 << 31

    /// Calls `body` with a temporary folder holding the archive's `manifest.json` and
    /// `features.csv`, and removes the folder afterwards.
    public static func withUnpacked<T>(_ path: String, _ body: (String) throws -> T) throws -> T {
        let folder =
            FileManager.default.temporaryDirectory.path
            + "/morphic-archive-\(getpid())-\(UInt64.random(in: 0...UInt64.max))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try extract(path, names: ["manifest.json", "features.csv"], into: folder)
        return try body(folder)
    }

    /// Writes the members of the archive at `path` whose name (below the top folder) is in
    /// `names` into `folder`.
    static func extract(_ path: String, names: Set<String>, into folder: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw FileError.invalid("cannot open \(path)") }
        defer { try? handle.close() }
        var pending: [UInt8] = []
        var remaining = 0
        var padding = 0
        var current: (name: String, bytes: [UInt8])?
        var ended = false
        let reader = try GzipReader { chunk in
            pending += chunk
            var offset = 0
            while !ended {
                if remaining > 0 {
                    let take = min(remaining, pending.count - offset)
                    guard take > 0 else { break }
                    current?.bytes += pending[offset..<offset + take]
                    offset += take
                    remaining -= take
                    if remaining == 0, let file = current {
                        try Data(file.bytes).write(to: URL(fileURLWithPath: folder + "/" + file.name))
                        current = nil
                    }
                    continue
                }
                if padding > 0 {
                    let take = min(padding, pending.count - offset)
                    guard take > 0 else { break }
                    offset += take
                    padding -= take
                    continue
                }
                guard pending.count - offset >= 512 else { break }
                let header = Array(pending[offset..<offset + 512])
                offset += 512
                if header.allSatisfy({ $0 == 0 }) {
                    ended = true
                    break
                }
                let name = String(decoding: header[0..<100].prefix { $0 != 0 }, as: UTF8.self)
                let prefix = String(decoding: header[345..<500].prefix { $0 != 0 }, as: UTF8.self)
                let full = prefix.isEmpty ? name : prefix + "/" + name
                let sizeText = String(decoding: header[124..<136].prefix { $0 != 0 && $0 != 0x20 }, as: UTF8.self)
                guard let size = Int(sizeText, radix: 8), size >= 0 else {
                    throw FileError.invalid("\(path) is not a dataset archive (a tar header is damaged)")
                }
                let member = full.split(separator: "/").dropFirst().joined(separator: "/")
                if names.contains(member) {
                    guard size <= maximumFileBytes else { throw FileError.invalid("\(path): \(member) is too large") }
                    current = (member, [])
                    if size == 0 { try Data().write(to: URL(fileURLWithPath: folder + "/" + member)) }
                }
                remaining = size
                padding = (512 - size % 512) % 512
            }
            pending.removeFirst(offset)
        }
        while !ended, let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
            do {
                try reader.write(Array(chunk))
            } catch let error as GzipReader.Error {
                throw FileError.invalid("\(path) is not a dataset archive: \(error)")
            }
        }
        guard ended || reader.finished else { throw FileError.invalid("\(path) ends before its last member") }
    }
}
