import Foundation
import Synchronization

/// The digests of the run records a process wrote into a sweep folder, appended to
/// `checksums/<host>-<pid>.sha256` one line per record (`<sha256> <bytes> <file>`).
///
/// Records are renamed into place without a flush of their own; the journal is flushed to
/// disk once per batch (``commit()``), so the cost of durability is one `fdatasync` per
/// batch instead of one `fsync` per run. After a crash or a power loss, a record counts as
/// done only if its digest is in a journal and its bytes match it; anything else is
/// computed again, and a run is a pure function of its configuration, so the dataset ends
/// byte-identical to one never interrupted.
public final class ChecksumJournal: Sendable {
    /// The folder, inside a sweep folder, that holds the journals.
    public static let folderName = "checksums"

    /// Lines waiting for a commit at most this long (or this many bytes) before
    /// ``commitIfDue()`` writes them: what a power loss may cost to compute again.
    static let batchSeconds = 1.0
    static let batchBytes = 1 << 20

    private let directory: String
    private let path: String
    private let state = Mutex(State())

    private struct State {
        var descriptor: Int32 = -1
        var pending: [UInt8] = []
        var since = ContinuousClock.now
    }

    /// This process's journal in `folder`; the file is created by the first commit.
    public init(folder: SweepFolder) {
        directory = folder.path + "/" + Self.folderName
        path = directory + "/" + StreamingFile.writer + ".sha256"
    }

    deinit {
        let descriptor = state.withLock { $0.descriptor }
        if descriptor >= 0 { close(descriptor) }
    }

    /// Notes a record just renamed into place; it is made durable by the next ``commit()``.
    public func add(file: String, bytes: [UInt8]) {
        let line = SHA256.hex(bytes) + " \(bytes.count) " + file + "\n"
        state.withLock { $0.pending += Array(line.utf8) }
    }

    /// Commits when the oldest uncommitted line is a batch old, or the batch is large.
    public func commitIfDue() throws {
        let due = state.withLock {
            $0.pending.count >= Self.batchBytes
                || (!$0.pending.isEmpty && ContinuousClock.now - $0.since >= .seconds(Self.batchSeconds))
        }
        if due { try commit() }
    }

    /// Appends the noted lines and flushes them to disk. The lock is held only to take the
    /// lines; one `write` of whole lines is atomic with `O_APPEND`, so commits of several
    /// threads need no order.
    public func commit() throws {
        let (lines, known) = state.withLock { state in
            defer {
                state.pending = []
                state.since = .now
            }
            return (state.pending, state.descriptor)
        }
        guard !lines.isEmpty else { return }
        var descriptor = known
        if descriptor < 0 {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let opened = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            guard opened >= 0 else { throw FileError.system("cannot open \(path)", errno) }
            descriptor = state.withLock { state in
                if state.descriptor < 0 { state.descriptor = opened } else { close(opened) }
                return state.descriptor
            }
        }
        do {
            try append(lines, to: descriptor)
        } catch {
            state.withLock { $0.pending = lines + $0.pending }
            throw error
        }
    }

    private func append(_ lines: [UInt8], to descriptor: Int32) throws {
        try Descriptor.writeAll(descriptor, lines, path: path)
        guard fdatasync(descriptor) == 0 else { throw FileError.system("cannot flush \(path)", errno) }
    }

    /// Every digest the journals of `folder` hold for the runs of `definition`, compactly
    /// (the first 8 bytes of each run's digest, by its index), so that a million runs take
    /// 8 MB. Lines that do not parse (the torn end of a journal) are ignored.
    ///
    /// A folder written before journals existed (records, but no `checksums/`) has the
    /// records that are whole and of the planned runs journaled first: that layout flushed
    /// each record to disk before renaming it into place, so they are as trustworthy as a
    /// journal line.
    public static func table(_ folder: SweepFolder, definition: SweepDefinition) -> ChecksumTable {
        adoptEarlierRecords(folder, definition: definition)
        return table([folder], definition: definition)
    }

    /// Only a folder without `checksums/` is looked at: ``SweepFolder/prepare(for:shard:)``
    /// creates it for every folder of this layout, so a fresh sweep pays one `stat`.
    private static func adoptEarlierRecords(_ folder: SweepFolder, definition: SweepDefinition) {
        guard !FileManager.default.fileExists(atPath: folder.path + "/" + folderName),
            FileManager.default.fileExists(atPath: folder.definitionPath)
        else { return }
        let journal = ChecksumJournal(folder: folder)
        for run in definition.runs where folder.hasRun(run.id) {
            guard let bytes = try? Dataset.recordBytes(run, in: folder),
                (try? Dataset.record(bytes, of: run, path: folder.runPath(run.id))) != nil
            else { continue }
            journal.add(file: run.fileName, bytes: bytes)
            try? journal.commitIfDue()
        }
        // With nothing found the folder stays as it was: only a commit with lines creates
        // the journal.
        try? journal.commit()
    }

    /// The digests the journals of all `folders` hold (the shards of one sweep).
    public static func table(_ folders: [SweepFolder], definition: SweepDefinition) -> ChecksumTable {
        var table = ChecksumTable(count: definition.runs.count)
        for folder in folders { read(folder, into: &table, definition: definition) }
        return table
    }

    private static func read(_ folder: SweepFolder, into table: inout ChecksumTable, definition: SweepDefinition) {
        let directory = folder.path + "/" + folderName
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names.sorted() where name.hasSuffix(".sha256") {
            // Read in pieces: the journal of a million runs is 90 MB.
            guard let handle = FileHandle(forReadingAtPath: directory + "/" + name) else { continue }
            defer { try? handle.close() }
            var pending: [UInt8] = []
            while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty {
                pending += chunk
                guard let end = pending.lastIndex(of: 0x0A) else { continue }
                for line in pending[..<end].split(separator: 0x0A) { Self.note(line, in: &table, definition: definition) }
                pending.removeSubrange(...end)
            }
        }
    }
}

extension ChecksumJournal {
    /// Notes one journal line in `table`; a line that does not parse (the torn end of a
    /// journal) is ignored.
    fileprivate static func note(_ line: ArraySlice<UInt8>, in table: inout ChecksumTable, definition: SweepDefinition) {
        let fields = line.split(separator: 0x20)
        guard fields.count == 3, fields[0].count == 64, let prefix = UInt64(hex: fields[0].prefix(16)),
            let file = String(bytes: fields[2], encoding: .utf8), file.hasSuffix(".json"),
            let index = definition.index(ofRun: String(file.dropLast(5)))
        else { return }
        table.set(index, digest: prefix)
    }
}

/// What the journals say of each run's record: the first 8 bytes of its sha256, by the
/// run's index in the sweep (0 for a run no journal lists).
public struct ChecksumTable: Sendable {
    private var digests: [UInt64]

    /// A table knowing nothing of `count` runs.
    public init(count: Int) { digests = Array(repeating: 0, count: count) }

    mutating func set(_ index: Int, digest: UInt64) { digests[index] = digest }

    /// Whether `bytes` are the record the journals list for run `index`.
    public func matches(_ index: Int, _ bytes: [UInt8]) -> Bool { matches(index, digest: SHA256.hex(bytes)) }

    /// Whether `digest` (hex) is the one the journals list for run `index`.
    public func matches(_ index: Int, digest: String) -> Bool {
        digests[index] != 0 && UInt64(hex: digest.utf8.prefix(16)) == digests[index]
    }

    /// Whether the journals list run `index` at all.
    public func knows(_ index: Int) -> Bool { digests[index] != 0 }
}

extension UInt64 {
    /// Parses hex digits (lower case, as digests are written).
    init?(hex digits: some Collection<UInt8>) {
        guard !digits.isEmpty, digits.count <= 16 else { return nil }
        var value: UInt64 = 0
        for digit in digits {
            switch digit {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = value << 4 | UInt64(digit - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): value = value << 4 | UInt64(digit - UInt8(ascii: "a") + 10)
            default: return nil
            }
        }
        self = value
    }
}
