import Foundation
import MorphicData
import Synchronization

/// A sweep the server knows, with its scheduling state. Its `var`s belong to the
/// ``JobService`` lock; `cancelled` is read by workers between steps without it.
final class SweepJob: @unchecked Sendable {
    let definition: SweepDefinition
    let folder: SweepFolder
    /// The folder's run records; this process appends those it computes.
    let records: RecordStore
    let groups: CouplingGroups
    var sequence: Int
    let createdAt: Date
    /// Set to stop the sweep's running groups at their next step.
    let cancelled = Atomic<Bool>(false)
    /// The runs as columns for queries, made on first use.
    private let runIndex = Mutex<RunIndex?>(nil)

    var state: SweepState
    var startedAt: Date?
    var finishedAt: Date?
    var error: String?
    /// The size of each dataset file (and the archive) as the last assembly wrote it, kept in
    /// `status.json`: a file of another size on disk (truncated, half copied) is damaged.
    var datasetBytes: [String: Int]?
    /// Groups whose runs all have records or failures.
    var groupDone: [Bool]
    /// Groups being computed now.
    var runningGroups = Set<Int>()
    /// The runs as columns for queries.
    func index() -> RunIndex {
        runIndex.withLock { index in
            if let index { return index }
            let made = RunIndex(definition: definition)
            index = made
            return made
        }
    }

    /// Lets the index go to save memory (``RunIndexBudget``); its file stays, so the next
    /// query makes it again quickly. Queries under way keep the one they hold.
    func dropIndex() {
        runIndex.withLock { $0 = nil }
    }

    /// Forgets the index, and its file: a retry clears failures they remember.
    func forgetIndex() {
        runIndex.withLock { $0 = nil }
        RunIndexFile.remove(from: folder)
    }

    /// Which groups hold `llm_control` runs and so need the model's rule table.
    let needsModel: [Bool]
    /// Groups passed over until the rule table is known, so that waiting for a model never
    /// occupies a worker.
    var deferred: [Int] = []
    /// Where the scheduler looks for the next group.
    var cursor = 0
    var finalizing = false
    /// Set while its folder is being removed; the sweep is gone once that is done.
    var deleting = false
    /// Set while a retry clears the old failures, outside the lock.
    var retrying = false
    var progress = SweepRunner.Progress()
    /// Why the sweep waits, when its executor knows: a submission that failed, or Slurm's
    /// reason for pending tasks.
    var waiting: String?
    /// What the status says in `waiting`: the executor's reason, or, once every run has
    /// finished, that the dataset is being written (the sweep is still `running`).
    private var shownWaiting: String? { waiting ?? (finalizing ? Self.writingDataset : nil) }
    static let writingDataset = "every run has finished; its dataset is being written"
    /// Submissions to Slurm that failed in a row, and when the next may be tried.
    var submitFailures = 0
    var nextSubmit = 0.0
    /// On Slurm: the shards whose task runs now, of `shardCount`.
    var runningShards = Set<Int>()
    var shardCount = 0

    /// Which coupling groups are being computed now, here or on Slurm: a copy taken under
    /// the service lock, asked about without it.
    struct Activity: Sendable {
        let groups: Set<Int>
        let shards: Set<Int>
        let shardCount: Int

        func isRunning(group: Int) -> Bool {
            groups.contains(group) || (shardCount > 0 && shards.contains(group % shardCount))
        }
    }

    /// `message` for the sweep's status, its error or why it waits: files named within the
    /// sweep's folder, not where the server keeps it (the status is shown to clients and
    /// sent to the notification URL).
    func named(_ message: String) -> String { message.namingFiles(within: folder.path, as: SweepFolder.placeholder) }

    /// What is running now. Call with the service lock held.
    var activity: Activity { Activity(groups: runningGroups, shards: runningShards, shardCount: shardCount) }
    /// Incremented with each status snapshot, so that of two writes racing after the lock
    /// is released, the older one never overwrites the newer.
    private var snapshots = 0
    private let written = Mutex<(version: Int, moved: Bool)>((0, false))
    /// Monotonic time and cell updates when computing started in this process, for the ETA.
    var rateOrigin: (time: Double, cellSteps: Int)?

    init(definition: SweepDefinition, folder: SweepFolder, sequence: Int, createdAt: Date, state: SweepState) {
        records = RecordStore(folder)
        self.definition = definition
        self.folder = folder
        self.sequence = sequence
        self.createdAt = createdAt
        self.state = state
        groups = definition.couplingGroups
        // Planning every group's runs took most of a large sweep's loading: it is done only
        // when some run may need the model, and the totals come from the definition.
        let mayNeedModel = definition.runs.total(over: [.mode]) { $0.mode == .llmControl ? 1 : 0 } > 0
        needsModel =
            mayNeedModel
            ? groups.map { $0.contains { $0.configuration.mode == .llmControl } }
            : Array(repeating: false, count: groups.count)
        groupDone = Array(repeating: false, count: groups.count)
        apply(Count(groupDone: groupDone, progress: Self.untouched(definition)))
    }

    /// The progress of a sweep none of whose runs is done.
    private static func untouched(_ definition: SweepDefinition) -> SweepRunner.Progress {
        var progress = SweepRunner.Progress()
        progress.runsTotal = definition.runs.count
        progress.cellStepsTotal = definition.cellSteps
        return progress
    }

    /// What the files on disk say of a sweep's runs: which groups are done, and the progress.
    struct Count {
        let groupDone: [Bool]
        let progress: SweepRunner.Progress
    }

    /// Reads which runs have records or failures. It reads every record, so it is called
    /// without the service lock, and its result applied under it. Until the dataset is
    /// assembled, a record counts only if it is whole (so one torn by a crash is computed
    /// again); after, the manifest vouches for every run that did not fail, unless
    /// `trustingManifest` is false (a retry, whose cleared failures the manifest still lists).
    /// Records there but not whole (changed or torn since they were written) count as not
    /// done, so their runs are computed again; they are logged to `log` (how many, and the
    /// first few ids), since the folder was changed by something other than the server.
    /// The runs `recomputing` lists (by index) count as not done whatever their records.
    func count(trustingManifest: Bool = true, recomputing: Set<Int> = [], log: Log) -> Count {
        var done = Array(repeating: true, count: groups.count)
        let failures = Set(folder.failedRuns())
        let assembled = trustingManifest && FileManager.default.fileExists(atPath: folder.path + "/manifest.json")
        if assembled && failures.isEmpty {
            // Every run is done: nothing to plan run by run.
            var progress = Self.untouched(definition)
            progress.runsCompleted = progress.runsTotal
            progress.cellStepsDone = progress.cellStepsTotal
            return Count(groupDone: done, progress: progress)
        }
        var damaged: [String] = []
        let finished =
            assembled
            ? nil
            : records.finishedRuns(of: definition, groups: 0..<groups.count) { damaged.append(definition.runs[$0].id) }
        let progress = countedProgress(
            done: { index, run in !recomputing.contains(index) && (finished?.contains(index) ?? !failures.contains(run.id)) },
            failed: { failures.contains($0.id) },
            unfinished: { done[$0] = false })
        if !damaged.isEmpty {
            log.error(
                "records_damaged",
                [
                    "sweep": .string(definition.id), "runs": .int(damaged.count),
                    "first": .array(damaged.prefix(Self.loggedDamaged).map { .string($0) }),
                    "action": .string("computing them again"),
                ])
        }
        return Count(groupDone: done, progress: progress)
    }

    private func countedProgress(
        done: (Int, PlannedRun) -> Bool, failed: (PlannedRun) -> Bool, unfinished: (Int) -> Void = { _ in }
    ) -> SweepRunner.Progress {
        var progress = SweepRunner.Progress()
        for (number, group) in groups.enumerated() {
            for (index, run) in zip(definition.runs.runs(ofGroup: number), group) {
                progress.runsTotal += 1
                progress.cellStepsTotal += run.configuration.cellSteps
                if done(index, run) {
                    progress.runsCompleted += 1
                    progress.cellStepsDone += run.configuration.cellSteps
                } else if failed(run) {
                    progress.runsFailed += 1
                    progress.cellStepsDone += run.configuration.cellSteps
                } else {
                    unfinished(number)
                }
            }
        }
        return progress
    }

    /// The most damaged runs' ids one log line names.
    static let loggedDamaged = 10

    /// Takes a count made by ``count(trustingManifest:log:)``. Call with the service lock held.
    func apply(_ count: Count) {
        groupDone = count.groupDone
        progress = count.progress
        cursor = 0
        deferred = []
    }

    /// The next group to compute, if any is left to hand out. Until `modelSettled` (the
    /// rule table is known, or known to have failed) groups that need it are set aside.
    func nextGroup(modelSettled: Bool) -> Int? {
        if modelSettled, let group = deferred.popLast() { return group }
        while cursor < groups.count {
            let group = cursor
            cursor += 1
            if groupDone[group] { continue }
            if needsModel[group] && !modelSettled {
                deferred.append(group)
                continue
            }
            return group
        }
        return nil
    }

    /// Whether every group has been handed out and none is still running.
    var isDrained: Bool {
        while cursor < groups.count && groupDone[cursor] { cursor += 1 }
        return cursor >= groups.count && deferred.isEmpty && runningGroups.isEmpty
    }

    var statusPath: String { folder.path + "/status.json" }

    /// The state that must survive a restart, as of now. Call with the service lock held,
    /// then ``write(_:)`` it after unlocking.
    func snapshot() -> (version: Int, bytes: [UInt8]) {
        snapshots += 1
        var members: [JSON.Member] = [
            .init("status", .string(state.rawValue)),
            .init("sequence", .int(sequence)),
            .init("created_at", .string(Timestamp.string(createdAt))),
            .init("started_at", startedAt.map { .string(Timestamp.string($0)) } ?? .null),
            .init("finished_at", finishedAt.map { .string(Timestamp.string($0)) } ?? .null),
        ]
        if let error { members.append(.init("error", .string(error))) }
        if let datasetBytes {
            members.append(
                .init("dataset_bytes", .object(datasetBytes.sorted { $0.key < $1.key }.map { .init($0.key, .int($0.value)) })))
        }
        return (snapshots, JSON.object(members).prettyBytes)
    }

    /// The dataset's files and its archive.
    var datasetFileNames: [String] { Dataset.files(definition) + [Dataset.archiveName] }

    /// The size on disk of the folder's file `name`; nil when it is missing.
    func sizeOnDisk(_ name: String) -> Int? {
        var info = stat()
        return stat(folder.path + "/" + name, &info) == 0 ? Int(info.st_size) : nil
    }

    /// What is wrong with dataset file `name` on disk, given the sizes it was written with
    /// (``datasetBytes``, read under the service lock): "missing", "damaged (…)", or nil when
    /// it is as written (or its size was not recorded, by an earlier version).
    func problem(ofDatasetFile name: String, written: [String: Int]?) -> String? {
        guard let bytes = sizeOnDisk(name) else { return "missing" }
        guard let expected = written?[name], expected != bytes else { return nil }
        return "damaged (\(bytes) bytes where \(expected) were written)"
    }

    /// Whether every dataset file is on disk as it was written (``problem(ofDatasetFile:written:)``).
    func datasetIsWhole(written: [String: Int]?) -> Bool {
        !datasetFileNames.contains { problem(ofDatasetFile: $0, written: written) != nil }
    }

    /// Writes a snapshot to `status.json`, unless a newer one was written already or the
    /// sweep's folder has been moved away to be deleted (a cancel answered while a delete
    /// went on: its status would otherwise go nowhere, or into the folder of the same
    /// definition submitted again). Only this sweep's writers wait on each other here; the
    /// service lock is not held.
    func write(_ snapshot: (version: Int, bytes: [UInt8])) throws {
        try written.withLock { written in
            guard snapshot.version > written.version, !written.moved else { return }
            try AtomicFile.write(snapshot.bytes, to: statusPath)
            written.version = snapshot.version
        }
    }

    /// Moves the sweep's folder to `trash`, to be deleted there, after any status being
    /// written; none is written after it.
    func moveFolder(to trash: String) throws {
        try written.withLock { written in
            try FileManager.default.moveItem(atPath: folder.path, toPath: trash)
            written.moved = true
        }
    }

    /// Everything the status shows that can change; the id, name and creation time cannot.
    private struct Shown: Equatable {
        let state: SweepState
        let progress: SweepRunner.Progress
        let startedAt: Date?
        let finishedAt: Date?
        let eta: JSON
        let error: String?
        let waiting: String?
    }

    /// The last status document sent and its entity tag, with what it showed.
    private var statusCache: (shown: Shown, bytes: [UInt8], tag: String)?

    /// The status document (``json(now:)``, pretty-printed) and its entity tag. A page or a
    /// script polling a sweep asks for it far more often than it changes, and building and
    /// printing the JSON was most of the cost of the answer, so the bytes are kept until
    /// something they show changes. Called under the board's lock, as every read is.
    func statusDocument(now: Double) -> (bytes: [UInt8], tag: String) {
        let shown = Shown(
            state: state, progress: progress, startedAt: startedAt, finishedAt: finishedAt, eta: eta(now: now),
            error: error, waiting: shownWaiting)
        if let cached = statusCache, cached.shown == shown { return (cached.bytes, cached.tag) }
        let bytes = json(now: now).prettyBytes
        let tag = EntityTag.of(bytes: bytes)
        statusCache = (shown, bytes, tag)
        return (bytes, tag)
    }

    /// Seconds left at the rate computed so far in this process, to a tenth; null when
    /// finished or not yet known (while the dataset is written: how long that takes is not).
    private func eta(now: Double) -> JSON {
        guard state.isActive, !finalizing, let origin = rateOrigin, now > origin.time else { return .null }
        let rate = Double(progress.cellStepsDone - origin.cellSteps) / (now - origin.time)
        guard rate > 0 else { return .null }
        return .double((Double(progress.cellStepsTotal - progress.cellStepsDone) / rate * 10).rounded() / 10)
    }

    /// The sweep's status as the API shows it.
    func json(now: Double) -> JSON {
        let remaining = eta(now: now)
        let base = "/api/sweeps/" + definition.id
        var members: [JSON.Member] = [
            .init("id", .string(definition.id)),
            .init("name", .string(definition.name)),
            .init("status", .string(state.rawValue)),
            .init(
                "progress",
                .object([
                    "runs_total": .int(progress.runsTotal),
                    "runs_completed": .int(progress.runsCompleted),
                    "runs_failed": .int(progress.runsFailed),
                    "runs_running": .int(progress.runsRunning),
                    "cell_steps_total": .int(progress.cellStepsTotal),
                    "cell_steps_done": .int(progress.cellStepsDone),
                    "fraction": .double((progress.fraction * 10000).rounded() / 10000),
                ])),
            .init("created_at", .string(Timestamp.string(createdAt))),
            .init("started_at", startedAt.map { .string(Timestamp.string($0)) } ?? .null),
            .init("finished_at", finishedAt.map { .string(Timestamp.string($0)) } ?? .null),
            .init("eta_seconds", remaining),
            .init(
                "links",
                .object([
                    "self": .string(base), "runs": .string(base + "/runs"),
                    "manifest": .string(base + "/manifest.json"), "dataset": .string(base + "/dataset.tar.gz"),
                ])),
        ]
        if let error { members.append(.init("error", .string(error))) }
        if let waiting = shownWaiting { members.append(.init("waiting", .string(waiting))) }
        return .object(members)
    }
}
