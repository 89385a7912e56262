import CSystem
import Foundation
import MorphicCore
import Synchronization

/// A sweep's folder on disk: `definition.json`, one `<run_id>.json` per finished run,
/// `<run_id>.error` for a run that failed, and the dataset files once assembled.
public struct SweepFolder: Sendable {
    /// The folder's path.
    public let path: String

    /// The folder at `path` (not created until ``prepare(for:shard:)``).
    public init(path: String) { self.path = path }

    /// The file recording which sweep the folder holds.
    public var definitionPath: String { path + "/definition.json" }

    /// The path of a run's record.
    public func runPath(_ id: String) -> String { path + "/" + id + ".json" }

    /// The path of a failed run's error message.
    public func errorPath(_ id: String) -> String { path + "/" + id + ".error" }

    /// Whether the run's record exists.
    public func hasRun(_ id: String) -> Bool { FileManager.default.fileExists(atPath: runPath(id)) }

    /// Whether the run's record exists and is the one `checksums` (the folder's journals)
    /// vouch for.
    public func verified(_ run: PlannedRun, in definition: SweepDefinition, _ checksums: ChecksumTable) -> Bool {
        guard let index = definition.index(ofRun: run.id), checksums.knows(index),
            let bytes = FileManager.default.contents(atPath: runPath(run.id))
        else { return false }
        return checksums.matches(index, Array(bytes))
    }

    /// The language model's table the record of `runID` (an `llm_control` run) holds.
    public func recordedRuleTable(of runID: String) throws -> RuleTable {
        guard let bytes = FileManager.default.contents(atPath: runPath(runID)),
            let record = try? JSONParser.parse(Array(bytes)), let table = RunRecord.ruleTable(in: record)
        else { throw FileError.invalid("\(runPath(runID)) holds no llm_table") }
        return table
    }

    /// The failed run's message, if it failed.
    public func failure(_ id: String) -> String? {
        (try? Data(contentsOf: URL(fileURLWithPath: errorPath(id)))).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Creates the folder for `definition`, or checks that an existing one holds the same
    /// sweep, so that a resumed sweep never mixes runs of two definitions.
    public func prepare(for definition: SweepDefinition, shard: Shard? = nil) throws {
        if let existing = try recordedSweep() {
            guard existing.id == definition.id else {
                throw FileError.invalid(
                    "\(path) holds sweep \(existing.id), not \(definition.id); choose another output folder")
            }
            return
        }
        var members: [JSON.Member] = [
            .init("sweep_id", .string(definition.id)),
            .init("model_version", .string(RunRecord.modelVersion)),
            .init("definition", definition.normalized),
        ]
        if let shard { members.append(.init("shard", .string(shard.description))) }
        // The journals' folder marks a folder of this layout: only one without it is read as
        // written before journals existed (``ChecksumJournal/table(_:definition:)``).
        try FileManager.default.createDirectory(
            atPath: path + "/" + ChecksumJournal.folderName, withIntermediateDirectories: true)
        try AtomicFile.write(JSON.object(members).prettyBytes, to: definitionPath)
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
    /// the run records, which are renamed into place unflushed.
    public func synchronize() throws {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileError.system("cannot open \(path)", errno) }
        defer { close(descriptor) }
        guard syncfs(descriptor) == 0 else { throw FileError.system("cannot flush \(path)", errno) }
    }

    /// Writes run records into the folder: each under a temporary name, then renamed into
    /// place, both relative to one open descriptor of the folder, so that a record costs
    /// three system calls and no path resolution. Records are not flushed one by one: the
    /// checksum journal vouches for them (see ``ChecksumJournal``).
    public final class RecordWriter: Sendable {
        private let folder = Mutex<Int32>(-1)
        private let path: String

        /// A writer for `folder`, which is opened by the first write.
        public init(_ folder: SweepFolder) { path = folder.path }

        deinit {
            let descriptor = folder.withLock { $0 }
            if descriptor >= 0 { close(descriptor) }
        }

        /// Writes `bytes` as `name`, replacing any file of that name whole.
        public func write(_ bytes: [UInt8], as name: String) throws {
            let descriptor = try folder.withLock { descriptor in
                if descriptor < 0 {
                    descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                    guard descriptor >= 0 else { throw FileError.system("cannot open \(path)", errno) }
                }
                return descriptor
            }
            let temporary = StreamingFile.temporaryName(for: name)
            let file = openat(descriptor, temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard file >= 0 else { throw FileError.system("cannot create \(path)/\(temporary)", errno) }
            do {
                try Descriptor.writeAll(file, bytes, path: path + "/" + temporary)
            } catch {
                close(file)
                unlinkat(descriptor, temporary, 0)
                throw error
            }
            close(file)
            guard renameat(descriptor, temporary, descriptor, name) == 0 else {
                let code = errno
                unlinkat(descriptor, temporary, 0)
                throw FileError.system("cannot write \(path)/\(name)", code)
            }
        }
    }

    /// Records that a run failed, with the reason.
    public func recordFailure(_ id: String, message: String) throws {
        try AtomicFile.write(Array(message.utf8), to: errorPath(id))
    }

    /// The ids of the runs with a recorded failure, read from the folder's listing one entry
    /// at a time (a folder of a million records is never listed whole).
    public func failedRuns() -> [String] {
        guard let directory = opendir(path) else { return [] }
        defer { closedir(directory) }
        var ids: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasSuffix(".error"), !name.hasPrefix(".") { ids.append(String(name.dropLast(6))) }
        }
        return ids.sorted()
    }

    /// Forgets a run's failure so that it is computed again.
    public func clearFailure(_ id: String) {
        unlink(errorPath(id))
    }
}
