import Foundation
import MorphicData

/// Every finished run's record in a sweep folder, by file name (`<run_id>.json`), read
/// through its packs (or, in an unpacked archive, its files).
public func runRecords(_ path: String) throws -> [String: [UInt8]] {
    let folder = SweepFolder(path: path)
    guard let sweep = try folder.recordedSweep() else { throw SupportError("\(path) has no definition.json") }
    let definition = try SweepDefinition(json: sweep.definition)
    var cursor = RecordStore.Cursor(RecordStore(folder))
    var records: [String: [UInt8]] = [:]
    for (index, run) in definition.runs.enumerated() {
        if let record = cursor.record(run, index: index) { records[run.fileName] = record }
    }
    return records
}

/// The frames of one pack file, in file order: the run's index, where its record starts
/// and its length (the layout ``RecordStore`` documents).
public func packFrames(_ path: String) throws -> [(run: Int, offset: Int, length: Int)] {
    let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    func integer(_ at: Int, _ count: Int) -> Int { (0..<count).reduce(0) { $0 | Int(bytes[at + $1]) << (8 * $1) } }
    var frames: [(run: Int, offset: Int, length: Int)] = []
    var offset = 0
    while offset + 20 <= bytes.count, bytes[offset..<offset + 4].elementsEqual("MRR1".utf8) {
        let length = integer(offset + 12, 4)
        guard offset + 20 + length <= bytes.count else { break }
        frames.append((integer(offset + 4, 8), offset + 20, length))
        offset += 20 + length
    }
    return frames
}

/// The pack files of a sweep folder, by name.
public func packFiles(_ path: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: path + "/" + RecordStore.folderName).filter {
        $0.hasSuffix(".pack")
    }.sorted()
}

/// Changes one digit of run `index`'s record inside its pack, as bad storage would.
public func damageRecord(run index: Int, in path: String) throws {
    for name in try packFiles(path) {
        let file = path + "/" + RecordStore.folderName + "/" + name
        guard let frame = try packFrames(file).first(where: { $0.run == index }) else { continue }
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: file)))
        let body = frame.offset..<frame.offset + frame.length
        guard let digit = bytes[body].lastIndex(where: { (UInt8(ascii: "1")...UInt8(ascii: "8")).contains($0) })
        else { throw SupportError("no digit in the record of run \(index)") }
        bytes[digit] += 1
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        return
    }
    throw SupportError("no pack of \(path) holds run \(index)")
}

/// A sweep folder's dataset as its user gets it: the tables and every run's record as
/// `<run_id>.json`, without the folder's bookkeeping (packs, definition, status, Slurm's
/// files) or the archive.
public func datasetFiles(_ path: String) throws -> [String: Data] {
    var files = try tree(path).filter { name, _ in
        // Hidden files are temporaries a running server renames into place (a status
        // written just after the sweep completed), never dataset files; nor is the server's
        // runs index.
        !name.hasPrefix(RecordStore.folderName + "/") && !name.hasPrefix("slurm/") && !name.hasPrefix(".")
            && !["definition.json", "status.json", Dataset.archiveName, RunIndexFile.fileName].contains(name)
    }
    for (name, bytes) in try runRecords(path) { files[name] = Data(bytes) }
    return files
}
