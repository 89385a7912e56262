import Foundation
import Gzip
import Synchronization

/// The run records of a sweep folder, packed many to a file: `records/<pack>.<n>.pack`
/// holds records of runs `pack × runsPerPack ..< (pack + 1) × runsPerPack`, each framed
/// with its run's index, its length and its CRC-32, in the order they were written.
///
/// A million runs are a thousand files rather than a million, so a record costs a `pwrite`
/// instead of a file created and renamed (on ext4 those dominated a sweep of tiny runs).
/// Packs are appended without a flush: a frame counts only if its bytes match the CRC-32 in
/// its header, so a record torn by a crash or a power loss is computed again, and a run is
/// a pure function of its configuration, so the dataset ends byte-identical. (The sha256
/// the manifest lists is computed once, when the dataset is assembled.) Each process
/// appends to packs it created (`n` is the first number free), never to another's, so the
/// tasks of a sharded sweep can share a folder. The archive still holds one
/// `<run_id>.json` per run: packs are how the folder keeps records, not the dataset layout.
///
/// A folder of an earlier layout (or an unpacked archive) holds `<run_id>.json` files;
/// they are read when no pack has the run, and count only if they parse as the run's record.
public final class RecordStore: @unchecked Sendable {
    /// The folder, inside a sweep folder, that holds the packs.
    public static let folderName = "records"
    /// Runs whose records share a pack.
    public static let runsPerPack = 1024
    /// Packs one store keeps open for appending; the least recently used is closed beyond.
    static let openPacks = 16

    private static let magic: [UInt8] = Array("MRR1".utf8)
    /// Magic, run index (UInt64, little-endian), length (UInt32), CRC-32 (UInt32).
    static let headerSize = 4 + 8 + 4 + 4

    /// The sweep folder.
    public let folder: SweepFolder
    private let directory: String
    /// Packs open for appending, guarded by `condition`.
    private let condition = NSCondition()
    private var appending = Appending()
    /// Whether `<run_id>.json` files may hold records: looked up once, on first need.
    private let looseRecords = Mutex<Bool?>(nil)

    private struct Appending {
        var packs: [Int: OpenPack] = [:]
        /// Packs found removed from the folder, by descriptor, with their writers: each is
        /// closed when its last writer is done.
        var removed: [Int32: Int] = [:]
        /// Packs whose file a thread is creating; others wait for it rather than make a second.
        var creating: Set<Int> = []
        var clock = 0
    }

    private struct OpenPack {
        let descriptor: Int32
        let path: String
        var end: Int
        var writers = 0
        var used = 0
    }

    /// The records of `folder`.
    public init(_ folder: SweepFolder) {
        self.folder = folder
        directory = folder.path + "/" + Self.folderName
    }

    deinit {
        for pack in appending.packs.values { close(pack.descriptor) }
        for descriptor in appending.removed.keys { close(descriptor) }
    }

    /// The pack that holds run `index`.
    public static func pack(ofRun index: Int) -> Int { index / runsPerPack }

    private func packPath(_ pack: Int, _ number: Int) -> String {
        directory + "/" + String(pack) + "." + String(number) + ".pack"
    }

    // MARK: Writing

    /// Appends run `index`'s record. Threads append to one pack at once: each reserves its
    /// bytes under the lock and writes them outside it.
    public func write(_ bytes: [UInt8], run index: Int) throws {
        guard bytes.count <= Int(UInt32.max) else {
            throw FileError.invalid("the record of run \(index) is \(bytes.count) bytes, more than a pack frame holds")
        }
        var frame = Self.magic
        frame.reserveCapacity(Self.headerSize + bytes.count)
        frame.le64(index)
        frame.le32(bytes.count)
        frame.le32(Int(CRC32.of(bytes)))
        frame += bytes
        let pack = Self.pack(ofRun: index)
        let (descriptor, offset, path) = try reserve(frame.count, in: pack)
        defer { release(pack, descriptor) }
        try frame.withUnsafeBytes { try Descriptor.writeAll(descriptor, $0, at: offset, path: path) }
        // A pack removed from the folder while open (the folder deleted or replaced under a
        // running sweep) takes writes that no one will read: the run would count as finished
        // and its record be missing from the dataset. The run fails instead, saying why, and
        // the next write makes a new pack (or says why it cannot).
        var stats = stat()
        if fstat(descriptor, &stats) == 0 && stats.st_nlink == 0 {
            setAside(pack, descriptor)
            throw FileError.invalid("\(path) was removed while the sweep ran: this run's record is lost; retry the sweep")
        }
    }

    /// Reserves `size` bytes at the end of `pack`, creating its file first if this store has
    /// none open. The lock is never held across the creation: one thread creates, the others
    /// needing the same pack wait for it.
    private func reserve(_ size: Int, in pack: Int) throws -> (Int32, Int, String) {
        condition.lock()
        defer { condition.unlock() }
        while appending.creating.contains(pack) { condition.wait() }
        if appending.packs[pack] == nil {
            appending.creating.insert(pack)
            condition.unlock()
            let created = Result { try create(pack) }
            condition.lock()
            appending.creating.remove(pack)
            condition.broadcast()
            let (descriptor, path) = try created.get()
            appending.packs[pack] = OpenPack(descriptor: descriptor, path: path, end: 0)
        }
        appending.clock += 1
        var open = appending.packs[pack]!
        open.used = appending.clock
        open.writers += 1
        open.end += size
        appending.packs[pack] = open
        return (open.descriptor, open.end - size, open.path)
    }

    /// Stops appending to `pack`'s file `descriptor`, found removed from the folder; it is
    /// closed once no thread writes to it.
    private func setAside(_ pack: Int, _ descriptor: Int32) {
        condition.withLock {
            guard let open = appending.packs[pack], open.descriptor == descriptor else { return }
            appending.packs[pack] = nil
            appending.removed[descriptor] = open.writers
        }
    }

    /// Ends a write to `pack`'s file `descriptor`, closing the least recently used idle pack
    /// when too many are open, or the file when it was set aside and this was its last writer.
    private func release(_ pack: Int, _ descriptor: Int32) {
        condition.lock()
        var idle: Int32?
        if let writers = appending.removed[descriptor] {
            appending.removed[descriptor] = writers > 1 ? writers - 1 : nil
            condition.unlock()
            if writers == 1 { close(descriptor) }
            return
        }
        appending.packs[pack]!.writers -= 1
        if appending.packs.count > Self.openPacks,
            let oldest = appending.packs.filter({ $0.value.writers == 0 }).min(by: { $0.value.used < $1.value.used })
        {
            appending.packs[oldest.key] = nil
            idle = oldest.value.descriptor
        }
        condition.unlock()
        if let idle { close(idle) }
    }

    /// Closes the packs open for appending that no thread is writing to: called once a sweep
    /// has stopped writing (finished, failed or cancelled), so that a server holding
    /// thousands of sweeps does not hold a descriptor for each. A later write (a retry)
    /// creates a new pack file.
    public func closeAppending() {
        let idle = condition.withLock {
            let idle = appending.packs.filter { $0.value.writers == 0 }
            for pack in idle.keys { appending.packs[pack] = nil }
            return idle.values.map(\.descriptor)
        }
        for descriptor in idle { close(descriptor) }
    }

    /// Creates this process's next pack file for `pack`.
    private func create(_ pack: Int) throws -> (Int32, String) {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var number = 0
        while true {
            let path = packPath(pack, number)
            let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if descriptor >= 0 { return (descriptor, path) }
            guard errno == EEXIST else { throw FileError.system("cannot create \(path)", errno) }
            number += 1
        }
    }

    // MARK: Reading

    /// The records of one pack, for reading: where each frame lies, found from the headers
    /// alone; a record is read, and checked against its CRC-32, only when asked for. Nothing
    /// changes after it is made, so threads may share one.
    public final class Pack: @unchecked Sendable {
        private struct Frame {
            let file: Int
            let offset: Int
            let length: Int
            let crc: UInt32
        }

        private var descriptors: [Int32] = []
        private var paths: [String] = []
        /// Frames by run index; duplicates (a run written again) in the order found.
        private var frames: [Int: [Frame]] = [:]
        private let loose: SweepFolder?
        /// A pack file that exists but could not be opened (out of descriptors, no
        /// permission), with the error: its records are not missing, only unread.
        public private(set) var unreadable: (path: String, code: Int32)?

        fileprivate init(_ store: RecordStore, pack: Int) {
            loose = store.hasLooseRecords ? store.folder : nil
            let runs = pack * RecordStore.runsPerPack..<(pack + 1) * RecordStore.runsPerPack
            var number = 0
            while true {
                let path = store.packPath(pack, number)
                let descriptor = open(path, O_RDONLY | O_CLOEXEC)
                guard descriptor >= 0 else {
                    // The numbers end at the first file missing; any other error is kept.
                    if errno != ENOENT { unreadable = (path, errno) }
                    break
                }
                descriptors.append(descriptor)
                paths.append(path)
                index(descriptor, file: number, runs: runs)
                number += 1
            }
        }

        deinit { for descriptor in descriptors { close(descriptor) } }

        /// Reads headers to the end. A header that does not parse is a torn tail, or a frame
        /// damaged in the middle of the pack: the frames after it are found again from the next
        /// magic (each is still taken only if its bytes match its CRC-32), so one damaged
        /// header costs its own run, not every run after it.
        private func index(_ descriptor: Int32, file: Int, runs: Range<Int>) {
            var stats = stat()
            guard fstat(descriptor, &stats) == 0 else { return }
            let size = Int(stats.st_size)
            var offset = 0
            var header = [UInt8](repeating: 0, count: RecordStore.headerSize)
            // The frame whose length led here, while it is not yet known to be whole.
            var previous: (header: Int, run: Int, frame: Frame)?
            // Where the next frame is looked for when none is where the last length led: that
            // length may be what is damaged (a flipped bit spans the frames after it), so
            // its frame is dropped unless whole, and the search starts just after its header.
            func resume(after offset: Int) -> Int? {
                var from = offset + 1
                if let last = previous, bytes(of: last.frame) == nil {
                    frames[last.run]?.removeLast()
                    if frames[last.run]?.isEmpty == true { frames[last.run] = nil }
                    from = last.header + 1
                }
                previous = nil
                return Self.magic(in: descriptor, from: from, size: size)
            }
            while true {
                // The end, or a tail too short for a header (an append a crash tore), is
                // where the last length should lead; a header that does not parse is not.
                guard offset + RecordStore.headerSize <= size,
                    header.withUnsafeMutableBytes({ Descriptor.read(descriptor, into: $0, at: offset) })
                else {
                    guard let next = resume(after: offset) else { return }
                    offset = next
                    continue
                }
                let body = offset + RecordStore.headerSize
                // Read unchecked: any bits may be there (a run index past Int.max trapped).
                let run = Int(exactly: header.le(at: 4, bytes: 8)) ?? -1
                let length = Int(header.le(at: 12, bytes: 4))
                guard header[0..<4].elementsEqual(RecordStore.magic), runs.contains(run), length <= size - body else {
                    guard let next = resume(after: offset) else { return }
                    offset = next
                    continue
                }
                let crc = UInt32(header.le(at: 16, bytes: 4))
                let frame = Frame(file: file, offset: body, length: length, crc: crc)
                frames[run, default: []].append(frame)
                previous = (offset, run, frame)
                offset = body + length
            }
        }

        /// `frame`'s bytes, when they match its CRC-32.
        private func bytes(of frame: Frame) -> [UInt8]? {
            var bytes = [UInt8](repeating: 0, count: frame.length)
            guard bytes.withUnsafeMutableBytes({ Descriptor.read(descriptors[frame.file], into: $0, at: frame.offset) }),
                CRC32.of(bytes) == frame.crc
            else { return nil }
            return bytes
        }

        /// The offset of the first frame magic at or after `start`, read a block at a time.
        private static func magic(in descriptor: Int32, from start: Int, size: Int) -> Int? {
            let magic = RecordStore.magic
            var block = [UInt8](repeating: 0, count: 1 << 16)
            var offset = start
            while offset + magic.count <= size {
                let count = min(block.count, size - offset)
                let read = block.withUnsafeMutableBytes {
                    Descriptor.read(descriptor, into: UnsafeMutableRawBufferPointer(rebasing: $0[..<count]), at: offset)
                }
                guard read else { return nil }
                var index = 0
                while index + magic.count <= count {
                    if block[index] == magic[0] && block[index..<index + magic.count].elementsEqual(magic) {
                        return offset + index
                    }
                    index += 1
                }
                // The next block overlaps this one by a magic less a byte, so none is split.
                offset += count - (magic.count - 1)
                if count < block.count { return nil }
            }
            return nil
        }

        /// Run `index`'s record, if a frame holds it whole; else, in a folder of the earlier
        /// layout, its `<run_id>.json` if that parses as the run's record.
        public func record(_ run: PlannedRun, index: Int) -> [UInt8]? {
            if let bytes = framed(index, runID: run.id) { return bytes }
            guard let loose, let data = FileManager.default.contents(atPath: loose.runPath(run.id)) else { return nil }
            let bytes = Array(data)
            guard (try? Dataset.record(bytes, of: run, path: loose.runPath(run.id))) != nil else { return nil }
            return bytes
        }

        /// Run `index`'s record, if a frame of the pack holds it whole: the last written whose
        /// bytes match its CRC-32 (a run computed again supersedes what was there) and, given
        /// `runID`, begin as that run's record does
        /// (`{\n  "run_id": "m_1",`, as ``RunRecord`` writes every record). A header's run index
        /// is not under the CRC, so a frame whose index was changed holds another run's
        /// record, which is no record of this run (and it is computed again).
        public func framed(_ index: Int, runID: String? = nil) -> [UInt8]? {
            let start = runID.map { Array("{\n  \"run_id\": ".utf8) + JSON.string($0).compactBytes + Array(",".utf8) }
            for frame in (frames[index] ?? []).reversed() {
                if let bytes = bytes(of: frame), start.map({ bytes.starts(with: $0) }) ?? true { return bytes }
            }
            return nil
        }

        /// Whether the pack holds no record, nor may a `<run_id>.json` file.
        public var isEmpty: Bool { frames.isEmpty && loose == nil }

        /// Whether the pack has a frame of run `index`, or the folder its `<run_id>.json`,
        /// whole or not.
        public func hasAnyRecord(_ run: PlannedRun, index: Int) -> Bool {
            frames[index] != nil || loose.map { FileManager.default.fileExists(atPath: $0.runPath(run.id)) } == true
        }

        /// Where run `index`'s record is, for messages.
        public func location(of index: Int) -> String {
            frames[index].flatMap { $0.first.map { paths[$0.file] } } ?? "no pack"
        }
    }

    /// The records of `pack`.
    public func pack(_ pack: Int) -> Pack { Pack(self, pack: pack) }

    /// Packs of a store whose records no longer change (a dataset being assembled), shared
    /// by the threads that read it, so that each pack's headers are read once rather than
    /// once per range of runs. The last few are kept.
    public final class SharedPacks: Sendable {
        /// The store whose packs are shared.
        public let store: RecordStore
        private let kept = Mutex<[(number: Int, pack: Pack)]>([])

        /// Shares the packs of `store`.
        public init(_ store: RecordStore) { self.store = store }

        /// Pack `number`, read now or earlier.
        public func pack(_ number: Int) -> Pack {
            if let found = kept.withLock({ $0.first { $0.number == number }?.pack }) { return found }
            let made = store.pack(number)
            kept.withLock { kept in
                kept.append((number, made))
                if kept.count > 8 { kept.removeFirst() }
            }
            return made
        }
    }

    /// Reads records run after run, keeping the pack of the last one open: what a pass over
    /// a sweep in its order needs.
    public struct Cursor {
        /// The store read.
        public let store: RecordStore
        private let shared: SharedPacks?
        private var current: (number: Int, pack: Pack)?

        /// A cursor over `store`'s records.
        public init(_ store: RecordStore) {
            self.store = store
            shared = nil
        }

        /// A cursor over packs shared with other threads.
        public init(_ shared: SharedPacks) {
            store = shared.store
            self.shared = shared
        }

        /// Run `index`'s record, if it is whole.
        public mutating func record(_ run: PlannedRun, index: Int) -> [UInt8]? {
            pack(of: index).record(run, index: index)
        }

        /// The pack holding run `index`, opened when the cursor moves on to it.
        public mutating func pack(of index: Int) -> Pack {
            let number = RecordStore.pack(ofRun: index)
            if current?.number != number { current = (number, shared?.pack(number) ?? store.pack(number)) }
            return current!.pack
        }
    }

    /// Run `index`'s record, if it is whole.
    public func record(_ run: PlannedRun, index: Int) -> [UInt8]? {
        pack(Self.pack(ofRun: index)).record(run, index: index)
    }

    /// Which runs of `groups` (coupling groups of `definition`, ascending) have a whole
    /// record: every record is read and checked, a pack at a time. `damaged` is told each
    /// run that has a record, none of it whole (changed since it was written, or a
    /// `<run_id>.json` torn). A pack's torn tail, which a crash leaves, is no record.
    public func finishedRuns(
        of definition: SweepDefinition, groups: some Sequence<Int>, damaged: (Int) -> Void = { _ in }
    ) -> RunSet {
        var found = RunSet(count: definition.runs.count)
        var cursor = Cursor(self)
        for group in groups {
            for index in definition.runs.runs(ofGroup: group) {
                let pack = cursor.pack(of: index)
                guard !pack.isEmpty else { continue }
                if pack.record(definition.runs[index], index: index) != nil {
                    found.insert(index)
                } else if pack.hasAnyRecord(definition.runs[index], index: index) {
                    damaged(index)
                }
            }
        }
        return found
    }

    /// Whether the folder may hold `<run_id>.json` records (an earlier layout, or an
    /// unpacked archive): its listing is read until one is found, so a folder of packs,
    /// which holds a handful of files, costs a few entries.
    var hasLooseRecords: Bool {
        if let known = looseRecords.withLock({ $0 }) { return known }
        var found = false
        folder.forEachName { name in
            found =
                name.hasSuffix(".json") && !name.hasPrefix(".")
                // The folder's own files; `notification.json` is a server's status not yet
                // delivered (SweepNotifier.pendingFile).
                && !["definition.json", "manifest.json", "status.json", "notification.json"].contains(name)
            return !found
        }
        looseRecords.withLock { $0 = found }
        return found
    }
}

extension [UInt8] {
    /// The little-endian integer of `bytes` bytes at `offset` (as ``le64(_:)`` writes them).
    fileprivate func le(at offset: Int, bytes: Int) -> UInt64 {
        (0..<bytes).reduce(0) { $0 | UInt64(self[offset + $1]) << (8 * UInt64($1)) }
    }
}
