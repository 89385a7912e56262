import Foundation
import Gzip
import MorphicCore

/// Assembles a sweep folder's run records into the dataset of the README ("Datasets"):
/// `manifest.json`, `runs.csv`, `timeseries.csv`, `features.csv`, `timeseries.npz`,
/// `theta_x.npz`, `frames.npz` when the definition asks for snapshots, the card `DATASET.md`,
/// and `dataset.tar.gz`.
///
/// Files are streamed run by run, so memory does not grow with the number of runs, and
/// nothing in them depends on the clock, the host or the order runs finished in. Every
/// record is checked against the CRC-32 its pack frame holds before it is used.
public enum Dataset {
    /// The manifest's format tag.
    public static let format = "morphic-dataset/1"
    /// The archive's name.
    public static let archiveName = "dataset.tar.gz"

    /// The dataset files besides the run records, in archive order (after the records).
    public static func files(_ definition: SweepDefinition) -> [String] {
        [
            "manifest.json", "runs.csv", "timeseries.csv", "features.csv", "timeseries.npz", ThetaXArrays.fileName,
            DatasetCard.fileName,
        ]
            + (definition.snapshotEvery == nil ? [] : [Snapshots.fileName])
    }

    /// Writes the dataset of a sweep whose runs are all finished or failed. A run with
    /// neither a whole record nor a failure is refused, naming it. With `writesIndex` (the
    /// server, `morphic sweep` and `morphic merge`) the same pass writes the folder's
    /// ``RunIndexFile``, which is no dataset file. `records` is how `morphic sweep` and
    /// `morphic merge` leave the records (nil, the server's folders: as they are). One file a
    /// run: they are laid out first (``SweepFolder/unpackRecords(of:)``), so that the
    /// manifest, written last, never lists a file not yet on disk, and the packs are removed
    /// once it is. Packed: those held one file a run are packed first
    /// (``SweepFolder/packRecords(of:)``), and their files removed once the manifest is in place.
    /// Given a layout, the folder is locked meanwhile (``SweepFolder/whileLocked(waiting:_:)``:
    /// `waiting` is told if another process holds it), so that two commands over one folder
    /// asking for different layouts lose no record between them.
    /// Returns the dataset trained as a reference when its card's calibration was measured.
    @discardableResult
    public static func assemble(
        _ definition: SweepDefinition, in folder: SweepFolder, writesIndex: Bool = false, records layout: RecordLayout? = nil,
        waiting: () -> Void = {}
    ) throws -> TrainedReference? {
        guard let layout else { return try write(definition, in: folder, writesIndex: writesIndex, records: nil) }
        return try folder.whileLocked(waiting: waiting) {
            try write(definition, in: folder, writesIndex: writesIndex, records: layout)
        }
    }

    /// ``assemble(_:in:writesIndex:records:waiting:)`` by a caller that holds the folder's
    /// lock, or needs none.
    static func write(
        _ definition: SweepDefinition, in folder: SweepFolder, writesIndex: Bool, records layout: RecordLayout?
    ) throws -> TrainedReference? {
        switch layout {
        case .oneFileARun: try folder.unpackRecords(of: definition)
        case .packed: try folder.packRecords(of: definition)
        case nil: break
        }
        let records = RecordStore(folder)
        // Failures are few and listed by name; a failed run retried since has its record.
        var failures: [Int: String] = [:]
        for id in folder.failedRuns() {
            guard let index = definition.index(ofRun: id), records.record(definition.runs[index], index: index) == nil,
                let failure = folder.failure(id)
            else { continue }
            failures[index] = failure
        }
        let runsCSV = try StreamingFile(path: folder.path + "/runs.csv")
        let timeseriesCSV = try StreamingFile(path: folder.path + "/timeseries.csv")
        let featuresCSV = try StreamingFile(path: folder.path + "/features.csv")
        let idWidth = definition.runs.blocks.reduce(1) { max($0, $1.prefix.utf8.count + 1 + String($1.count).count) }
        var generations = 0
        definition.runs.aggregate(over: [.generations]) { configuration, _ in
            generations = max(generations, configuration.generations)
        }
        let arrays = try TimeseriesArrays(
            path: folder.path + "/timeseries.npz", runs: definition.runs.count - failures.count,
            generations: generations, idWidth: idWidth)
        let theta = Theta(definition)
        let thetaX = try ThetaXArrays(
            path: folder.path + "/" + ThetaXArrays.fileName, runs: definition.runs.count - failures.count, theta: theta,
            idWidth: idWidth)
        try runsCSV.write(csvLine(DatasetColumn.runs.map(\.name)))
        try timeseriesCSV.write(csvLine(DatasetColumn.timeseries.map(\.name)))
        try featuresCSV.write(csvLine(DatasetColumn.features.map(\.name)))

        let manifest = try StreamingFile(path: folder.path + "/manifest.json")
        try manifest.write(Array("{\n".utf8))
        let tables: [(name: String, columns: [DatasetColumn])] = [
            ("runs.csv", DatasetColumn.runs), ("timeseries.csv", DatasetColumn.timeseries),
            ("features.csv", DatasetColumn.features),
            ("timeseries.npz", DatasetColumn.timeseriesArrays(idWidth: idWidth)),
            (ThetaXArrays.fileName, ThetaXArrays.columns(idWidth: idWidth, theta: theta)),
        ]
        let columns = tables.map { JSON.Member($0.name, DatasetColumn.json($0.columns)) }
        let counts = counts(definition, failures: failures.count)
        let header: [JSON.Member] = [
            .init("format", .string(format)),
            .init("model_version", .string(RunRecord.modelVersion)),
            .init("sweep_id", .string(definition.id)),
            .init("name", .string(definition.name)),
            .init("seed", .int(definition.seed)),
            .init("definition", definition.published),
            .init("counts", counts),
            .init("parameters", sweptValues(definition)),
            .init("columns", .object(columns)),
        ]
        for member in header { try manifest.write(Self.member(member)) }
        try manifest.write(Array("  \"runs\": [\n".utf8))

        // The archive takes each run's record during the same pass, and the tables after.
        let archive = try StreamingFile(path: folder.path + "/" + archiveName)
        // Level 1: three times zlib's default speed on the records, for a few percent in size;
        // in blocks compressed on every processor, its bytes fixed by the input alone.
        let gzip = ParallelGzipWriter(level: 1) { try archive.write($0) }
        let tar = TarWriter { try gzip.write($0, compressed: $1) }
        try tar.addFolder(definition.id)

        let checks = try ValidationChecks.Totals(directory: folder.path)
        let index = try writesIndex
            ? RunIndexFile.Writer(folder: folder, sweepID: definition.id, count: definition.runs.count) : nil
        let context = DatasetRows.Context(
            definition: definition, packs: RecordStore.SharedPacks(records), failures: failures, idWidth: idWidth,
            generations: generations, theta: theta)
        // Small chunks, so that the rows waiting to be written stay small; they never straddle
        // two packs, and the packs are shared, so each is read once.
        try OrderedWork.run(
            count: definition.runs.count, chunkSize: RecordStore.runsPerPack / 16, workers: ProcessInfo.processInfo.activeProcessorCount,
            produce: { try DatasetRows(context, runs: $0) },
            consume: { rows in
                try runsCSV.write(rows.runs)
                try timeseriesCSV.write(rows.timeseries)
                try featuresCSV.write(rows.features)
                try arrays.write(rows.arrays)
                try thetaX.write(rows.thetaX)
                try manifest.write(rows.manifest)
                try tar.add(entry: rows.archive)
                try checks.add(rows.checks)
                for statistics in rows.statistics { try index?.add(statistics) }
            })
        try manifest.write(Array("  ],\n".utf8))
        let validation = try checks.summary()
        try manifest.write(Array("  \"validation\": ".utf8) + validation.prettyBytes(level: 1) + Array("\n}\n".utf8))
        // The archive's tail follows the records: this thread cuts it into blocks, compressed
        // on every processor, from the tables as written, while other threads finish the
        // arrays (which follow the tables in the archive), flush and rename the tables, measure
        // the card's calibration and write the card and the frames (which come last), each
        // joined only when the archive reaches its files.
        var readers: [String: (handle: FileHandle, size: Int)] = [:]
        defer { for reader in readers.values { try? reader.handle.close() } }
        for file in [manifest, runsCSV, timeseriesCSV, featuresCSV] {
            readers[URL(fileURLWithPath: file.path).lastPathComponent] = (try file.reader(), file.size)
        }
        let arraysFinished = Joinable {
            try arrays.finish()
            try thetaX.finish()
        }
        let finishing = Joinable { () throws -> TrainedReference? in
            try runsCSV.commit()
            try timeseriesCSV.commit()
            try featuresCSV.commit()
            // Packs were appended without a flush of their own: make them durable before the
            // manifest says the dataset is whole.
            try folder.synchronize()
            try index?.commit()
            // The card reports the dataset's calibration as a reference, measured from the
            // features.csv just written, so the archive that takes the card holds it too.
            let (calibration, trained) = try CardCalibration.measure(
                definition, featuresPath: folder.path + "/features.csv")
            try AtomicFile.write(
                Array(
                    DatasetCard.text(
                        definition, theta: theta, counts: counts, validation: validation, tables: tables,
                        calibration: calibration
                    ).utf8),
                to: folder.path + "/" + DatasetCard.fileName)
            if let every = definition.snapshotEvery {
                try Snapshots.write(definition, every: every, records: records) { failures[$0] == nil }
            }
            return trained
        }
        var trained: TrainedReference?
        do {
            for name in files(definition) {
                if let reader = readers[name] {
                    try addFile(name, from: reader.handle, size: reader.size, to: tar, as: definition.id)
                    continue
                }
                if name == DatasetCard.fileName || name == Snapshots.fileName {
                    trained = try finishing.join()
                } else {
                    try arraysFinished.join()
                }
                try addFile(name, of: folder, to: tar, as: definition.id)
            }
            // Nothing the other threads write may outlive the assembly.
            try arraysFinished.join()
            trained = try finishing.join()
        } catch {
            _ = try? arraysFinished.join()
            _ = try? finishing.join()
            throw error
        }
        try tar.finish()
        try gzip.finish()
        try archive.commit()
        // Last, once every other file is in place and flushed: a folder with a manifest holds
        // the whole dataset (the archive took the manifest's bytes from its temporary file).
        try manifest.commit()
        switch layout {
        case .oneFileARun: try folder.removePacks()
        case .packed: folder.removeLooseRecords(of: definition)
        case nil: break
        }
        return trained
    }

    /// The record of run `index`, or an error naming the run.
    static func recordBytes(_ run: PlannedRun, index: Int, in cursor: inout RecordStore.Cursor) throws -> [UInt8] {
        guard let found = cursor.record(run, index: index) else {
            if let unreadable = cursor.pack(of: index).unreadable {
                throw FileError.system("cannot open \(unreadable.path)", unreadable.code)
            }
            // A record file that is there but unreadable, or not this run's record, says why.
            let loose = cursor.store.folder.runPath(run.id)
            let descriptor = open(loose, O_RDONLY | O_CLOEXEC)
            if descriptor < 0 && errno != ENOENT { throw FileError.system("cannot read \(loose)", errno) }
            if descriptor >= 0, let data = try? FileHandle(fileDescriptor: descriptor, closeOnDealloc: true).readToEnd() {
                _ = try record(Array(data), of: run, path: loose)
            }
            // A folder laid out one file a run, which keeps no packs: the file is what is missing.
            if descriptor < 0 && !FileManager.default.fileExists(atPath: cursor.store.folder.path + "/" + RecordStore.folderName) {
                throw FileError.invalid("\(loose) is missing: run \(run.id) has no record; run the sweep again to compute it anew")
            }
            throw FileError.invalid(
                "run \(run.id) has no whole record in \(cursor.store.folder.path)/\(RecordStore.folderName) (\(cursor.pack(of: index).location(of: index))); run the sweep again to compute it anew"
            )
        }
        return found
    }

    /// What makes `bytes` no whole record of `run` (its id, a parameter or its seed not as the
    /// definition plans them, or no JSON); nil when they are its record.
    public static func difference(inRecord bytes: [UInt8], of run: PlannedRun) -> String? {
        guard let record = try? JSONParser.parse(bytes) else { return "it is torn or no JSON" }
        return difference(record, of: run)
    }

    /// Reads a run record and checks it is the planned run. `path` names where it was read
    /// (``place(of:index:in:)``), for the error.
    static func record(_ bytes: [UInt8], of run: PlannedRun, path: @autoclosure () -> String) throws -> JSON {
        guard let record = try? JSONParser.parse(bytes) else {
            throw FileError.invalid("\(path()) is torn or no JSON: it is no whole record of run \(run.id)")
        }
        return try checked(record, of: run, path: path())
    }

    /// A parsed record, checked to be the planned run's. A record that is not (changed
    /// after it was written, with its pack's CRC-32 made again to match, where nothing else
    /// vouches for it) is named with what mends it: the run computed again.
    static func checked(_ record: JSON, of run: PlannedRun, path: @autoclosure () -> String) throws -> JSON {
        func changed(_ what: String) -> FileError {
            let place = path()
            let remedy = place.hasSuffix(".pack") ? "remove that pack and run the sweep again to compute its runs anew"
                : "remove it and run the sweep again to compute it anew"
            return FileError.invalid("\(place): \(what); it was changed after it was written: \(remedy)")
        }
        if let what = difference(record, of: run) { throw changed(what) }
        return record
    }

    /// What makes a parsed `record` not `run`'s; nil when it is.
    private static func difference(_ record: JSON, of run: PlannedRun) -> String? {
        guard record["run_id"]?.stringValue == run.id, let config = record["config"], record["summary_stats"] != nil,
            record["timeseries"] != nil
        else { return "it is not the record of run \(run.id)" }
        for key in ParameterKey.allCases where key != .seed {
            guard config[key.rawValue].map(\.parameterValue) == run.configuration.value(key) else {
                return "\(key.rawValue) differs from the sweep definition"
            }
        }
        if let seed = run.configuration.seed, config["seed"] != .int(seed) {
            return "seed differs from the sweep definition"
        }
        return nil
    }

    /// Where run `index`'s record is read from, for a message: "run <id>'s record in <pack>"
    /// when a pack holds it, else its `<run_id>.json` file.
    static func place(of run: PlannedRun, index: Int, in cursor: inout RecordStore.Cursor) -> String {
        let pack = cursor.pack(of: index)
        guard pack.framed(index, runID: run.id) != nil else { return cursor.store.folder.runPath(run.id) }
        return "run \(run.id)'s record in \(pack.location(of: index))"
    }

    /// `features.csv` alone, for an assembled dataset (`morphic features`): every record is
    /// checked against the sha256 the manifest lists for it first.
    public static func writeFeatures(_ definition: SweepDefinition, in folder: SweepFolder) throws {
        let file = try StreamingFile(path: folder.path + "/features.csv")
        try file.write(csvLine(DatasetColumn.features.map(\.name)))
        var cursor = RecordStore.Cursor(RecordStore(folder))
        try forEachListed(definition, in: folder) { index, run, digest in
            let bytes = try recordBytes(run, index: index, in: &cursor)
            guard SHA256.hex(bytes) == digest else {
                throw FileError.invalid(
                    "the record of run \(run.id) does not match the sha256 in manifest.json: it was changed or damaged")
            }
            let values = featureValues(try record(bytes, of: run, path: place(of: run, index: index, in: &cursor)))
            try file.write(featuresLine(values, run: run, sweepSeed: definition.seed))
        }
        try file.commit()
    }

    /// The runs, by index, of an assembled folder whose record (its `<run_id>.json`, or its
    /// frame in a pack, with the CRC-32 made again to match) no longer matches the sha256 its
    /// manifest lists (changed or damaged since): a run again over the folder computes them
    /// anew rather than take them into the new dataset. Nil without a readable manifest that
    /// lists the definition's runs in order: nothing vouches for those records then
    /// (``unvouchedRecords(_:in:)``).
    public static func changedRecords(_ definition: SweepDefinition, in folder: SweepFolder) -> [Int]? {
        guard FileManager.default.fileExists(atPath: folder.path + "/manifest.json") else { return nil }
        var changed: [Int] = []
        var cursor = RecordStore.Cursor(RecordStore(folder))
        do {
            try forEachListed(definition, in: folder) { index, run, digest in
                guard let bytes = cursor.record(run, index: index) else { return }
                if SHA256.hex(bytes) != digest { changed.append(index) }
            }
        } catch {
            return nil
        }
        return changed
    }

    /// The runs, by index, whose record is only a `<run_id>.json` file (no pack holds it), in a
    /// folder with no manifest to vouch for it: a file changed by hand there would pass every
    /// other check (it parses, and is its run's), so a run again over the folder computes
    /// them anew and compares.
    public static func unvouchedRecords(_ definition: SweepDefinition, in folder: SweepFolder) -> [Int] {
        let store = RecordStore(folder)
        guard store.hasLooseRecords else { return [] }
        var cursor = RecordStore.Cursor(store)
        return (0..<definition.runs.count).filter { index in
            let run = definition.runs[index]
            return cursor.pack(of: index).framed(index, runID: run.id) == nil
                && FileManager.default.fileExists(atPath: folder.runPath(run.id))
        }
    }

    /// Calls `body` with each finished run the folder's manifest lists, its index and the
    /// sha256 listed for its record; throws when the manifest does not list the definition's
    /// runs, all of them and in order.
    private static func forEachListed(
        _ definition: SweepDefinition, in folder: SweepFolder, _ body: (Int, PlannedRun, String) throws -> Void
    ) throws {
        var index = 0
        try ManifestRuns.forEach(path: folder.path + "/manifest.json") { entry in
            guard index < definition.runs.count, entry["run_id"]?.stringValue == definition.runs[index].id else {
                throw FileError.invalid("\(folder.path)/manifest.json does not list the runs of its definition in order")
            }
            defer { index += 1 }
            guard let digest = entry["sha256"]?.stringValue else { return }
            try body(index, definition.runs[index], digest)
        }
        guard index == definition.runs.count else {
            throw FileError.invalid("\(folder.path)/manifest.json lists \(index) of the \(definition.runs.count) runs")
        }
    }

    /// A record's features (``Features``), from its observable series.
    static func featureValues(_ record: JSON) -> [Double] {
        let observable = Features.series.map { name in
            (record["timeseries"]?[name]?.elements ?? []).compactMap(\.doubleValue)
        }
        return Features(
            observable: observable, convergenceGeneration: record["summary_stats"]?["convergence_generation"]?.intValue
        ).values
    }

    /// The same from a record's series (as ``series(_:runID:)`` gives them) and their numbers,
    /// already read: a null is left out of its series, as above.
    static func featureValues(_ columns: [[JSON]], numbers: [[Double]], convergenceGeneration: Int?) -> [Double] {
        let observable = observableColumns.map { column in
            zip(columns[column], numbers[column]).compactMap { json, number -> Double? in
                if case .number = json { number } else { nil }
            }
        }
        return Features(observable: observable, convergenceGeneration: convergenceGeneration).values
    }

    /// Where each of ``Features/series`` is in ``Series/names``.
    static let observableColumns = Features.series.map { Series.names.firstIndex(of: $0)! }

    /// run_id, point, split, label, the effective ground truth, then the observable features.
    static func featuresLine(_ values: [Double], run: PlannedRun, sweepSeed: UInt64) -> String {
        csvLine(
            [
                run.id, String(run.point), DatasetSplit(run, sweepSeed: sweepSeed).rawValue,
                run.configuration.mode.rawValue,
            ]
                + GroundTruth.fields(run.configuration) + values.map { $0.isFinite ? String($0) : "" })
    }

    /// A top-level manifest member, one indentation level deep, followed by a comma.
    private static func member(_ member: JSON.Member) -> [UInt8] {
        Array("  ".utf8) + JSON.string(member.key).compactBytes + Array(": ".utf8) + member.value.prettyBytes(level: 1)
            + Array(",\n".utf8)
    }

    private static func counts(_ definition: SweepDefinition, failures: Int) -> JSON {
        var byMode: [Mode: Int] = [:]
        definition.runs.aggregate(over: [.mode]) { configuration, runs in byMode[configuration.mode, default: 0] += runs }
        let modes = Mode.allCases.compactMap { mode in byMode[mode].map { JSON.Member(mode.rawValue, .int($0)) } }
        let splits = zip(DatasetSplit.allCases, DatasetSplit.counts(definition)).map {
            JSON.Member($0.rawValue, .int($1))
        }
        return .object([
            "runs": .int(definition.runs.count),
            "by_mode": .object(modes),
            "by_status": .object(["completed": .int(definition.runs.count - failures), "failed": .int(failures)]),
            "by_split": .object(splits),
        ])
    }

    /// Every parameter with the distinct values the runs give it, ascending; seeds left out.
    private static func sweptValues(_ definition: SweepDefinition) -> JSON {
        .object(
            ParameterKey.allCases.filter { $0 != .seed }.map { key in
                var values = Set<ParameterValue>()
                definition.runs.aggregate(over: [key]) { configuration, _ in
                    if let value = configuration.value(key) { values.insert(value) }
                }
                let sorted = values.sorted { a, b in
                    switch (a, b) {
                    case (.number(let x), .number(let y)): Double(x)! < Double(y)!
                    case (.text(let x), .text(let y)): x < y
                    default: false
                    }
                }
                return JSON.Member(key.rawValue, .array(sorted.map(RunRecord.json)))
            })
    }

    /// The record's series in the order of `Series.names`, checked to be of equal length.
    static func series(_ record: JSON, runID: String) throws -> [[JSON]] {
        let columns = Series.names.map { record["timeseries"]?[$0]?.elements ?? [] }
        guard columns.allSatisfy({ $0.count == columns[0].count }) else {
            throw FileError.invalid("run \(runID): series of different lengths")
        }
        return columns
    }

    /// A run's rows of `timeseries.csv`, appended to `out` byte by byte: no string or array is
    /// made a value.
    static func appendTimeseriesRows(_ columns: [[JSON]], runID: String, to out: inout [UInt8]) {
        var prefix = Array(runID.utf8)
        prefix.append(UInt8(ascii: ","))
        for generation in columns[0].indices {
            out.append(contentsOf: prefix)
            RunRecord.appendDecimal(generation, to: &out)
            for column in columns {
                out.append(UInt8(ascii: ","))
                switch column[generation] {
                case .number(let text), .string(let text):
                    var text = text
                    text.withUTF8 { out.append(contentsOf: $0) }
                case .bool(let flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
                default: break
                }
            }
            out.append(0x0A)
        }
    }

    static func csvValue(_ json: JSON?) -> String {
        switch json {
        case .number(let text)?: text
        case .string(let text)?: text
        case .bool(let flag)?: flag ? "true" : "false"
        default: ""
        }
    }

    /// One CSV line (RFC 4180), quoting fields that need it.
    static func csvLine(_ fields: [String]) -> String {
        var line = ""
        line.reserveCapacity(fields.count * 12)
        for (index, field) in fields.enumerated() {
            if index > 0 { line += "," }
            if field.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) {
                line += "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            } else {
                line += field
            }
        }
        return line + "\n"
    }

    /// Streams the file `name` of `folder` into the archive under `id/`.
    private static func addFile(_ name: String, of folder: SweepFolder, to tar: TarWriter, as id: String) throws {
        let path = folder.path + "/" + name
        guard let handle = FileHandle(forReadingAtPath: path) else { throw FileError.invalid("cannot read \(path)") }
        defer { try? handle.close() }
        let size = Int(try handle.seekToEnd())
        try handle.seek(toOffset: 0)
        try addFile(name, from: handle, size: size, to: tar, as: id)
    }

    /// Whether the archive stores the dataset's file `name` as it is, compressed already:
    /// the arrays' zip files, a few members of a million numbers each, which deflating again
    /// takes under 3 % off. Not `frames.npz`: a member a run, each too small for deflate to
    /// have found what they share, so that deflating it again can take two thirds off.
    public static func isCompressed(_ name: String) -> Bool {
        name == "timeseries.npz" || name == ThetaXArrays.fileName
    }

    /// Streams the `size` bytes `handle` reads from its start into the archive as `id/name`.
    private static func addFile(_ name: String, from handle: FileHandle, size: Int, to tar: TarWriter, as id: String)
        throws
    {
        try tar.addFile(folder: id, name: name, size: size, compressed: isCompressed(name)) { write in
            var left = size
            while left > 0 {
                guard let chunk = try handle.read(upToCount: min(left, 1 << 16)), !chunk.isEmpty else {
                    throw FileError.invalid("\(name) ended before its \(size) bytes")
                }
                left -= chunk.count
                try write(Array(chunk))
            }
        }
    }
}

extension JSON {
    /// The value as a parameter value, when it is a number or a string.
    var parameterValue: ParameterValue? {
        switch self {
        case .number(let text): .number(text)
        case .string(let text): .text(text)
        default: nil
        }
    }
}
