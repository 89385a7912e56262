import CSystem
import Foundation

/// A sweep's folder on disk: `definition.json`, the finished runs' records packed in
/// `records/` (``RecordStore``), `<run_id>.error` for a run that failed, and the dataset
/// files once assembled.
public struct SweepFolder: Sendable {
    /// The folder's path.
    public let path: String

    /// The folder at `path` (not created until ``prepare(for:shard:)``), written without the
    /// `/`s at its end.
    public init(path: String) { self.path = path.withoutFinalSlashes }

    /// What a message shown to others says in place of the folder's path
    /// (``Swift/String/namingFiles(within:as:)``).
    public static let placeholder = "<the sweep's folder>"

    /// The folder's absolute path with `.`, `..` and symbolic links resolved, nil when it does
    /// not exist: one folder however it was written.
    public var resolvedPath: String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The file recording which sweep the folder holds.
    public var definitionPath: String { path + "/definition.json" }

    /// Where a run's record is in a folder of the earlier layout, or an unpacked archive.
    public func runPath(_ id: String) -> String { path + "/" + id + ".json" }

    /// The path of a failed run's error message.
    public func errorPath(_ id: String) -> String { path + "/" + id + ".error" }

    /// The failed run's message, if it failed.
    public func failure(_ id: String) -> String? {
        (try? Data(contentsOf: URL(fileURLWithPath: errorPath(id)))).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Creates the folder for `definition`, or checks that an existing one holds the same
    /// sweep, so that a resumed sweep never mixes runs of two definitions. A folder prepared
    /// for a shard and now prepared for the whole sweep (a sweep without `--shard`, or a
    /// merge into it) no longer says it is a shard.
    public func prepare(for definition: SweepDefinition, shard: Shard? = nil) throws {
        if let existing = try recordedSweep() {
            guard existing.id == definition.id else {
                throw FileError.invalid(
                    "\(path) holds sweep \(existing.id), not \(definition.id); choose another output folder")
            }
            removeAbandonedTemporaries()
            if shard == nil, isShard, let members = recordedMembers {
                try AtomicFile.write(JSON.object(members.filter { $0.key != "shard" }).prettyBytes, to: definitionPath)
            }
            return
        }
        var members: [JSON.Member] = [
            .init("sweep_id", .string(definition.id)),
            .init("model_version", .string(RunRecord.modelVersion)),
            .init("definition", definition.normalized),
        ]
        if let shard { members.append(.init("shard", .string(shard.description))) }
        try FileManager.default.createDirectory(
            atPath: path + "/" + RecordStore.folderName, withIntermediateDirectories: true)
        try AtomicFile.write(JSON.object(members).prettyBytes, to: definitionPath)
    }

    /// Whether the folder was prepared for one shard of its sweep and for nothing more since
    /// (``prepare(for:shard:)``).
    public var isShard: Bool { recordedMembers?.contains { $0.key == "shard" } == true }

    /// The members of `definition.json`; nil when it is missing or no JSON object.
    private var recordedMembers: [JSON.Member]? {
        FileManager.default.contents(atPath: definitionPath).flatMap { try? JSONParser.parse(Array($0)) }?.members
    }

    /// The sweep id and model version recorded in the folder, if it has been prepared.
    public func recordedSweep() throws -> (id: String, modelVersion: String, definition: JSON)? {
        guard let data = FileManager.default.contents(atPath: definitionPath) else { return nil }
        guard let json = try? JSONParser.parse(Array(data)), let id = json["sweep_id"]?.stringValue,
            let version = json["model_version"]?.stringValue, let definition = json["definition"]
        else { throw FileError.invalid("\(definitionPath) is not a sweep record") }
        return (id, version, definition)
    }

    /// Flushes every file written on the folder's file system to disk: one `syncfs` for
    /// the record packs, which are appended unflushed.
    public func synchronize() throws {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileError.system("cannot open \(path)", errno) }
        defer { close(descriptor) }
        guard syncfs(descriptor) == 0 else { throw FileError.system("cannot flush \(path)", errno) }
    }

    /// Records that a run failed, with the reason. Files within the folder are named relative
    /// to it: the message is shown to the server's clients and kept in the dataset.
    public func recordFailure(_ id: String, message: String) throws {
        let message = message.namingFiles(within: path, as: Self.placeholder)
        try AtomicFile.write(Array(message.utf8), to: errorPath(id))
    }

    /// The ids of the runs with a recorded failure, read from the folder's listing one entry
    /// at a time (a folder of a million records is never listed whole).
    public func failedRuns() -> [String] {
        var ids: [String] = []
        forEachName { name in
            if name.hasSuffix(".error"), !name.hasPrefix(".") { ids.append(String(name.dropLast(6))) }
            return true
        }
        return ids.sorted()
    }

    /// Removes the temporary files a crash left mid-write (a dataset file half assembled,
    /// say); the finished files they would have replaced are intact. Only those whose writer
    /// is provably gone (``StreamingFile/isAbandonedTemporary(_:)``): Slurm tasks may be
    /// writing into the folder from this host or others.
    public func removeAbandonedTemporaries() {
        var abandoned: [String] = []
        forEachName { name in
            if StreamingFile.isAbandonedTemporary(name) { abandoned.append(name) }
            return true
        }
        for name in abandoned { unlink(path + "/" + name) }
    }

    /// Calls `body` with the names in the folder's listing, read one entry at a time, until
    /// it returns false.
    func forEachName(_ body: (String) -> Bool) {
        guard let directory = opendir(path) else { return }
        defer { closedir(directory) }
        // The name is read where it lies, up to its NUL: an entry is only as long as its
        // name needs, so copying the whole `dirent` (`entry.pointee`, 280 bytes) read past
        // the last entry of the listing's buffer, and crashed when that ended a page.
        let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name)!
        while let entry = readdir(directory) {
            let name = String(cString: UnsafeRawPointer(entry).advanced(by: nameOffset).assumingMemoryBound(to: CChar.self))
            guard body(name) else { return }
        }
    }

    /// Lays the finished runs' records out as the archive holds them, one `<run_id>.json` per
    /// run (byte for byte the record the manifest's sha256 names), and flushes them; the
    /// packs stay, read first, until ``removePacks()`` once the dataset is assembled
    /// (``Dataset/assemble(_:in:writesIndex:records:waiting:)``). Returns the files written.
    @discardableResult
    func unpackRecords(of definition: SweepDefinition) throws -> Int {
        var cursor = RecordStore.Cursor(RecordStore(self))
        var written = 0
        for (index, run) in definition.runs.enumerated() {
            // A record no pack holds is its file already, and a file that holds its pack's
            // record is left as it is: neither is written again (truncated first, it would
            // be torn for a moment to whoever reads it).
            guard let record = cursor.pack(of: index).framed(index, runID: run.id) else { continue }
            let path = runPath(run.id)
            if let present = FileManager.default.contents(atPath: path), present.elementsEqual(record) { continue }
            // Written in place, not through a temporary (Foundation's, which an interruption
            // left behind): the pack keeps the record until every file is flushed, and is read
            // first, so a file cut short is written whole again on the next run.
            let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard descriptor >= 0 else { throw FileError.system("cannot write \(path)", errno) }
            defer { close(descriptor) }
            try Descriptor.writeAll(descriptor, record, path: path)
            written += 1
        }
        try synchronize()
        return written
    }

    /// Runs `body` holding the folder's lock (`flock` on the folder itself, released when the
    /// process ends however it ends): processes that assemble the folder's dataset and change
    /// how it keeps its records (one file a run, or packed) take turns, so that one's removal
    /// of the packs or of the files never meets the other's copy of them. `waiting` is
    /// called once if another process holds it.
    public func whileLocked<T>(waiting: () -> Void, _ body: () throws -> T) throws -> T {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileError.system("cannot open \(path)", errno) }
        defer { close(descriptor) }
        if flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK else { throw FileError.system("cannot lock \(path)", errno) }
            waiting()
            while flock(descriptor, LOCK_EX) != 0 {
                guard errno == EINTR else { throw FileError.system("cannot lock \(path)", errno) }
            }
        }
        return try body()
    }

    /// Appends to packs each record the folder holds only as a `<run_id>.json` file (a folder
    /// laid out one file a run, swept or merged again with `--packed`), and flushes them;
    /// the files stay, read after the packs, until ``removeLooseRecords(of:)`` once the
    /// dataset is assembled. Returns the records packed.
    @discardableResult
    func packRecords(of definition: SweepDefinition) throws -> Int {
        let store = RecordStore(self)
        guard store.hasLooseRecords else { return 0 }
        var cursor = RecordStore.Cursor(store)
        var packed = 0
        for (index, run) in definition.runs.enumerated() {
            let pack = cursor.pack(of: index)
            guard pack.framed(index, runID: run.id) == nil, let record = pack.record(run, index: index) else { continue }
            try store.write(record, run: index)
            packed += 1
        }
        store.closeAppending()
        try synchronize()
        return packed
    }

    /// Removes the `<run_id>.json` records of `definition`'s runs, once packed.
    func removeLooseRecords(of definition: SweepDefinition) {
        guard RecordStore(self).hasLooseRecords else { return }
        for run in definition.runs { unlink(runPath(run.id)) }
    }

    /// Removes `records/`, once its records are laid out one file a run.
    func removePacks() throws {
        let packs = path + "/" + RecordStore.folderName
        if FileManager.default.fileExists(atPath: packs) { try FileManager.default.removeItem(atPath: packs) }
    }

    /// Forgets a run's failure so that it is computed again.
    public func clearFailure(_ id: String) {
        unlink(errorPath(id))
    }
}
