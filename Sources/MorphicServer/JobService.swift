import Foundation
import HTTP
import MorphicCore
import MorphicData
import MorphicLLM
import Synchronization

/// Keeps the server's sweeps, their states and their queue, and answers the API's requests
/// about them. The groups of queued sweeps are run by an executor (``LocalExecutor`` or
/// ``SlurmExecutor``, behind ``SweepExecutor``), and the ``SweepAssembler`` writes each
/// finished sweep's dataset; all three share the ``SweepBoard`` and its lock.
///
/// Everything a sweep needs to resume lives in its folder under the data directory:
/// `definition.json`, `status.json`, the run records; on start the service rebuilds itself
/// from there and resumes unfinished sweeps without recomputing finished runs. It does so on
/// a thread of its own, since an unfinished sweep's records are all read (about half a
/// second per 100,000 runs): the server listens meanwhile, and a request about sweeps waits
/// until they are all loaded (``lockLoaded()``).
public final class JobService: @unchecked Sendable {
    /// Why a request about sweeps cannot be carried out.
    public enum Failure: Error, Equatable {
        /// The definition is invalid (422) or over a limit.
        case invalid(SweepError)
        /// No such sweep (404).
        case notFound
        /// The sweep exists but has no such run (404), with what was asked.
        case noSuchRun(String)
        /// The sweep is not in a state that allows it (409).
        case conflict(String)
        /// Too many sweeps are active (429).
        case full(String)
        /// The data directory failed (500).
        case storage(String)
        /// Work the answer needs is still under way (503); the message says how far it got.
        case busy(String)
    }

    private let configuration: ServerConfiguration
    private let log: Log
    private let board = SweepBoard()
    private let indexBudget: RunIndexBudget
    private var nextSequence = 1
    /// Sweep folders read so far, of how many, while the service loads them; nil once every
    /// sweep is loaded and the executor started.
    private var loading: (read: Int, of: Int)?
    private let llm: LLMRuleProvider?
    /// Why this server cannot compute `llm_control` runs, or nil when it can: refused at
    /// submission rather than failing every such run later.
    private let modelProblem: String?
    private let notifier: SweepNotifier
    private let executor: any SweepExecutor
    private let assembler: SweepAssembler
    /// The data directory, open and locked (`flock` on the directory itself, which cannot be
    /// removed as a stale lock file can, released however the process ends) while the service
    /// lives: two servers on one data directory computed the same sweeps twice and wrote
    /// the same files.
    private let lock: Atomic<Int32>

    /// Starts loading the sweeps in the data directory, then the executor and the assembler,
    /// on a thread of the service; requests about sweeps wait for them.
    public init(configuration: ServerConfiguration, log: Log) throws {
        indexBudget = RunIndexBudget(limit: configuration.maximumIndexedRuns)
        self.configuration = configuration
        self.log = log
        llm = configuration.llm.map {
            LLMRuleProvider(settings: $0, cacheDirectory: configuration.dataDirectory + "/cache")
        }
        if let problem = llm?.keyProblem { throw ServerConfiguration.Error(description: problem) }
        // No key is sent when its variable is unset, as a local model needs none; said, so that
        // a hosted model's 401 is not the first sign of a variable that was never exported.
        if let llm, !llm.sendsKey {
            log.info(
                "llm_without_key",
                ["variable": .string(llm.settings.apiKeyVariable), "reason": .string("unset or empty: no key is sent")])
        }
        notifier = SweepNotifier(allowedHosts: configuration.notifyHosts, allowedPorts: configuration.notifyPorts, log: log)
        switch (configuration.executor, configuration.llm) {
        case (.local, nil):
            modelProblem = "this server has no language model (set llm in its configuration)"
        case (.local, _):
            modelProblem = nil
        case (.slurm, _):
            modelProblem = "this server computes sweeps on Slurm, whose tasks have no language model"
        }
        switch configuration.executor {
        case .local:
            executor = LocalExecutor(board: board, workers: configuration.workerCount, llm: llm, log: log)
        case .slurm:
            try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
            let cluster = SlurmCluster(
                settings: configuration.slurm, limits: configuration.sweeps,
                instance: try SlurmCluster.instance(in: configuration.dataDirectory), log: log)
            executor = SlurmExecutor(board: board, cluster: cluster, notifier: notifier, log: log)
        }
        assembler = SweepAssembler(board: board, notifier: notifier, log: log)
        do {
            try FileManager.default.createDirectory(
                atPath: configuration.dataDirectory + "/sweeps", withIntermediateDirectories: true)
        } catch {
            throw FileError.invalid(
                "the data directory (data_dir, --data-dir) '\(configuration.dataDirectory)' cannot hold the sweeps: "
                    + FileError.message(of: error))
        }
        // One that cannot be written (a read-only file system, an immutable folder) would
        // take every submission only to fail it, and compute the runs it resumes for nothing.
        guard access(configuration.dataDirectory + "/sweeps", W_OK) == 0 else {
            throw FileError.invalid(
                "the data directory (data_dir, --data-dir) '\(configuration.dataDirectory)' cannot be written: "
                    + "its sweeps folder refuses it (\(String(cString: strerror(errno))))")
        }
        let lockPath = configuration.dataDirectory
        let descriptor = open(lockPath, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileError.system("cannot open \(lockPath)", errno) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            close(descriptor)
            if code == EWOULDBLOCK {
                throw FileError.invalid(
                    "another morphic serve uses the data directory (data_dir, --data-dir) '\(configuration.dataDirectory)'; "
                        + "give each server its own")
            }
            throw FileError.system("cannot lock \(lockPath)", code)
        }
        lock = Atomic(descriptor)
        let names = try FileManager.default.contentsOfDirectory(atPath: sweepsPath).sorted()
        loading = (0, names.filter { !$0.hasPrefix(".") }.count)
        board.spawn("sweep-loader") { [self] in
            let start = SweepBoard.now()
            load(names)
            guard !board.isStopping else { return }
            executor.start()
            assembler.start()
            let count = board.locked {
                loading = nil
                board.condition.broadcast()
                return board.jobs.count
            }
            log.info(
                "sweeps_loaded",
                ["sweeps": .int(count), "seconds": .double(((SweepBoard.now() - start) * 1000).rounded() / 1000)])
        }
    }

    private var sweepsPath: String { configuration.dataDirectory + "/sweeps" }

    /// A failure of the server's own files (500), its paths given within the data directory:
    /// where the server keeps its data is the operator's business, not the client's.
    private func storageFailure(_ message: String) -> Failure {
        .storage(message.namingFiles(within: configuration.dataDirectory, as: "<the data directory>"))
    }

    /// Whether every sweep on disk is loaded; until then a request about sweeps waits.
    var isLoaded: Bool { board.locked { loading == nil } }

    /// The refusal (503) of a request about sweeps while they load, for an event loop, which
    /// must not wait for them; nil once they are loaded.
    var stillLoading: Failure? { board.locked { loading.map(Self.loadingRefusal) } }

    private static func loadingRefusal(_ loading: (read: Int, of: Int)) -> Failure {
        .busy("the server is still loading its sweeps (\(loading.read) of \(loading.of) read); try again in a moment")
    }

    /// Seconds a request waits for the sweeps to be loaded before it is refused: long enough
    /// for a small data folder (milliseconds), short enough that requests waiting for a large
    /// one do not hold the pool's threads while others queue behind them and are shed.
    static let loadingWait = 1.0

    /// Takes the board's lock once every sweep on disk is loaded. A request that comes while
    /// the server starts waits for them, so that it is answered as it will be then, never
    /// with a 404 or a count of some of them; past ``loadingWait`` (or the queue delay, if
    /// shorter) it is refused (503, saying how far loading is) without the lock.
    private func lockLoaded() throws(Failure) {
        board.condition.lock()
        guard loading != nil else { return }
        let deadline = Date().addingTimeInterval(min(Self.loadingWait, configuration.http.maximumQueueDelay))
        while loading != nil && !board.stopping {
            guard board.condition.wait(until: deadline) else { break }
        }
        guard let still = loading else { return }
        board.condition.unlock()
        throw Self.loadingRefusal(still)
    }

    /// Calls `body` with each reference trained while a dataset is assembled (its card's
    /// calibration), with the sweep's id and folder, before the sweep is marked completed.
    func onTrainedReference(_ body: @escaping @Sendable (String, String, TrainedReference) -> Void) {
        assembler.trained.withLock { $0 = body }
    }

    /// Stops handing out work, lets running groups stop at their next step (they are
    /// recomputed after a restart) and waits for the service's threads.
    public func shutdown() {
        board.locked {
            board.stopping = true
            board.condition.broadcast()
        }
        llm?.cancelFetch()
        notifier.shutdown()
        board.join()
        // Released once nothing more is written (close releases the flock), once.
        let descriptor = lock.exchange(-1, ordering: .relaxed)
        if descriptor >= 0 { close(descriptor) }
    }

    // MARK: Requests

    /// Accepts a definition. Returns the sweep's status and whether it is new (false when the
    /// same definition was submitted before).
    public func submit(_ body: [UInt8]) throws(Failure) -> (status: JSON, created: Bool) {
        let definition: SweepDefinition
        do {
            definition = try SweepDefinition.parse(body, limits: configuration.sweeps)
        } catch {
            throw .invalid(error)
        }
        if let url = definition.notifyURL, !notifier.allows(url) {
            throw .invalid(
                SweepError(
                    field: "notify_url",
                    message:
                        "this server only notifies the hosts (and ports) of its notify settings, with no credentials in the URL"))
        }
        let folder = SweepFolder(path: sweepsPath + "/" + definition.id)
        let job = SweepJob(definition: definition, folder: folder, sequence: 0, createdAt: Date(), state: .queued)
        if let problem = modelProblem, job.needsModel.contains(true) {
            throw .invalid(SweepError(field: "groups", message: "llm_control runs cannot be computed: \(problem)"))
        }
        // Claimed under the lock, stored without it: a repeat of the definition meanwhile
        // finds the claim and answers with it.
        try lockLoaded()
        if let existing = board.jobs[definition.id] {
            defer { board.condition.unlock() }
            guard !existing.deleting else { throw .conflict("the same sweep is being deleted; submit it again in a moment") }
            return (existing.json(now: SweepBoard.now()), false)
        }
        guard board.jobs.count < configuration.maximumStoredSweeps else {
            board.condition.unlock()
            throw .invalid(
                SweepError(
                    field: "",
                    message:
                        "this server keeps at most \(configuration.maximumStoredSweeps) sweeps (limits.max_stored_sweeps); delete one first",
                    isOverLimit: true))
        }
        guard board.active.count < configuration.maximumActiveSweeps else {
            board.condition.unlock()
            throw .full("\(board.active.count) sweeps are queued or running; try again when one has finished")
        }
        job.sequence = nextSequence
        nextSequence += 1
        job.finalizing = true  // keeps the executor and DELETE away until it is stored
        board.jobs[definition.id] = job
        board.condition.unlock()

        do {
            try folder.prepare(for: definition)
            let count = job.count(log: log)
            let snapshot = board.locked {
                job.apply(count)
                return job.snapshot()
            }
            try job.write(snapshot)
        } catch {
            board.locked { board.jobs[definition.id] = nil }
            throw storageFailure("cannot store the sweep: \(FileError.message(of: error))")
        }
        let status = board.locked {
            job.finalizing = false
            board.active.append(job)
            executor.submit(job)
            return job.json(now: SweepBoard.now())
        }
        log.info(
            "sweep_queued",
            [
                "sweep": .string(definition.id), "runs": .int(definition.runs.count),
                "cell_steps": .int(definition.cellSteps),
            ])
        return (status, true)
    }

    /// One page of the sweeps, newest first, and how many there are.
    public func list(offset: Int, limit: Int) throws(Failure) -> (total: Int, sweeps: [JSON]) {
        try lockLoaded()
        let known = board.jobs.values.filter { !$0.deleting }
        board.condition.unlock()
        let ordered = known.sorted { ($0.createdAt, $0.sequence) > ($1.createdAt, $1.sequence) }
        let first = min(max(0, offset), ordered.count)
        let page = ordered[first..<first + min(max(0, limit), ordered.count - first)]
        let now = SweepBoard.now()
        return board.locked { (ordered.count, page.map { $0.json(now: now) }) }
    }

    /// One sweep's status.
    public func status(_ id: String) throws(Failure) -> JSON {
        try lockLoaded()
        defer { board.condition.unlock() }
        guard let job = board.jobs[id], !job.deleting else { throw .notFound }
        return job.json(now: SweepBoard.now())
    }

    /// One sweep's status as the bytes the API sends, and their entity tag
    /// (``SweepJob/statusDocument(now:)``).
    func statusDocument(_ id: String) throws(Failure) -> (bytes: [UInt8], tag: String) {
        try lockLoaded()
        defer { board.condition.unlock() }
        guard let job = board.jobs[id], !job.deleting else { throw .notFound }
        return job.statusDocument(now: SweepBoard.now())
    }

    /// How many runs sweep `id` has, from memory (cheap enough for an event loop); nil
    /// when there is no such sweep, or it is not loaded yet.
    func runCount(_ id: String) -> Int? {
        board.condition.lock()
        defer { board.condition.unlock() }
        guard let job = board.jobs[id], !job.deleting else { return nil }
        return job.definition.runs.count
    }

    /// The runs of a sweep matching `query`, from `offset`, at most `limit` (``RunListing``).
    public func runs(_ id: String, query: RunQuery = RunQuery(), offset: Int, limit: Int) throws(Failure) -> JSON {
        try listing(id).page(query, offset: offset, limit: limit)
    }

    /// Every run matching `query` as CSV (``RunListing``).
    public func runsCSV(_ id: String, query: RunQuery, offset: Int = 0, limit: Int = .max) throws(Failure) -> [UInt8] {
        try listing(id).csv(query, offset: offset, limit: limit)
    }

    /// The page of ``runs(_:query:offset:limit:)``, made as it is sent (``StreamedDocument``).
    func runsDocument(_ id: String, query: RunQuery, offset: Int, limit: Int) throws(Failure) -> StreamedDocument {
        try listing(id).pageDocument(query, offset: offset, limit: limit)
    }

    /// The CSV of ``runsCSV(_:query:offset:limit:)``, made as it is sent (``StreamedDocument``).
    func runsCSVDocument(_ id: String, query: RunQuery, offset: Int = 0, limit: Int = .max) throws(Failure)
        -> StreamedDocument
    {
        try listing(id).csvDocument(query, offset: offset, limit: limit)
    }

    /// The finished runs matching `query` as numeric columns, one per name, over all of
    /// them (``RunListing``).
    func columns(_ id: String, names: [String], query: RunQuery) throws(Failure) -> (total: Int, columns: [[Double]]) {
        try listing(id).columns(names, query: query)
    }

    /// The columns and what they are made of (``RunListing/columnsAndVersion(_:query:)``).
    func columnsAndVersion(_ id: String, names: [String], query: RunQuery) throws(Failure)
        -> (answer: (total: Int, columns: [[Double]]), version: String)
    {
        try listing(id).columnsAndVersion(names, query: query)
    }

    /// What columns of sweep `id` are made of when known without reading its index
    /// (``RunListing/settledVersion(_:query:)``).
    func settledColumnsVersion(_ id: String, names: [String], query: RunQuery) throws(Failure) -> String? {
        try listing(id).settledVersion(names, query: query)
    }

    /// The parameters a sweep varies (see ``RunIndex/sweptParameters()``).
    func sweptParameters(_ id: String) throws(Failure) -> [String] {
        try listing(id).job.index().sweptParameters()
    }

    /// A sweep's definition.
    func definition(_ id: String) throws(Failure) -> SweepDefinition {
        try listing(id).job.definition
    }

    /// A sweep's run index, for setting its map columns.
    func index(of id: String) throws(Failure) -> RunIndex {
        try listing(id).job.index()
    }

    private func listing(_ id: String) throws(Failure) -> RunListing {
        try lockLoaded()
        defer { board.condition.unlock() }
        guard let job = board.jobs[id], !job.deleting else { throw .notFound }
        indexBudget.use(job)
        return RunListing(job)
    }

    /// A finished run's record.
    public func runRecord(_ id: String, run runID: String) throws(Failure) -> [UInt8] {
        try record(of: try job(id), run: runID)
    }

    /// ``RunListing/record(of:run:completed:)``, told whether the sweep has completed.
    private func record(of job: SweepJob, run runID: String) throws(Failure) -> [UInt8] {
        try RunListing.record(of: job, run: runID, completed: board.locked { job.state == .completed })
    }

    /// Frames of a finished run, computed again (``SweepFrames``). Call off the event loops.
    func frames(_ id: String, run runID: String, from: Int, to: Int?, every: Int) throws -> [UInt8] {
        let job = try job(id)
        // Only a finished run has frames (and an llm_control run's table in its record).
        let record = try record(of: job, run: runID)
        return try SweepFrames(limits: configuration.sweeps).frames(
            of: job, run: runID, record: record, from: from, to: to, every: every,
            isCancelled: { [board] in board.isStopping })
    }

    /// The path of a dataset file (`manifest.json`, `dataset.tar.gz`) once the sweep is done.
    public func datasetFile(_ id: String, name: String) throws(Failure) -> String {
        let job = try job(id)
        let (ready, state, written) = board.locked {
            ((job.state == .completed || job.state == .failed) && !job.finalizing, job.state, job.datasetBytes)
        }
        let path = job.folder.path + "/" + name
        guard ready else { throw .conflict("the dataset of \(id) is not ready; its status is \(state.rawValue)") }
        // Gone from a written dataset, or not the size it was written with (removed or
        // truncated on disk): the server's loss, which a retry mends.
        if let problem = job.problem(ofDatasetFile: name, written: written) {
            throw storageFailure("\(path) is \(problem) on disk; a retry (POST /api/sweeps/\(id)/retry) writes it again")
        }
        return path
    }

    /// Stops a queued or running sweep; finished runs are kept. When the executor confirms
    /// cancels (Slurm), the sweep is `cancelling` until it has seen its work stop.
    public func cancel(_ id: String) throws(Failure) -> JSON {
        try lockLoaded()
        guard let job = board.jobs[id], !job.deleting else {
            board.condition.unlock()
            throw .notFound
        }
        guard job.state.isActive else {
            defer { board.condition.unlock() }
            throw .conflict("the sweep is \(job.state.rawValue); only queued or running sweeps can be cancelled")
        }
        // Drained, the assembler is about to take the sweep: every run has finished, and a
        // cancel now would only throw the dataset away.
        guard !job.finalizing && !job.isDrained else {
            defer { board.condition.unlock() }
            throw .conflict(
                "every run of the sweep has finished and its dataset is being written; there is nothing left to cancel")
        }
        job.cancelled.store(true, ordering: .sequentiallyConsistent)
        let snapshot: (version: Int, bytes: [UInt8])
        let status: JSON
        if executor.confirmsCancel {
            job.state = .cancelling
            executor.cancel(job)
            snapshot = job.snapshot()
            status = job.json(now: SweepBoard.now())
        } else {
            executor.cancel(job)
            (snapshot, status) = board.finish(job, as: .cancelled)
        }
        // With none of its groups running, nothing will write its records again (a group
        // that is running closes them as it ends): its packs are closed now. A sweep whose
        // earlier groups ran, cancelled while it waited behind another, held them open.
        let stoppedWriting = job.runningGroups.isEmpty
        board.condition.unlock()
        if stoppedWriting { job.records.closeAppending() }
        try store(job, snapshot)
        log.info("sweep_cancelled", ["sweep": .string(id), "status": status["status"] ?? .null])
        if status["status"] == .string("cancelled"), let url = job.definition.notifyURL { notifier.send(status, to: url, keptIn: job.folder.path) }
        return status
    }

    /// Queues a failed or cancelled sweep again: failed runs are retried and missing runs
    /// computed; finished runs are kept. A completed sweep is queued again only if some of
    /// its records are missing or damaged on disk (its run answered 500): those runs are
    /// computed again and its dataset written anew, the same bytes for the same runs.
    public func retry(_ id: String) throws(Failure) -> JSON {
        try lockLoaded()
        guard let job = board.jobs[id], !job.deleting else {
            board.condition.unlock()
            throw .notFound
        }
        let completed: Bool
        do {
            defer { board.condition.unlock() }
            guard job.state == .failed || job.state == .cancelled || job.state == .completed, !job.retrying else {
                throw .conflict(
                    "the sweep is \(job.state.rawValue); only failed or cancelled sweeps, or completed ones whose records are missing or damaged on disk, can be retried")
            }
            guard job.runningGroups.isEmpty else { throw .conflict("the sweep is still stopping; retry in a moment") }
            guard board.active.count < configuration.maximumActiveSweeps else {
                throw .full("\(board.active.count) sweeps are queued or running")
            }
            completed = job.state == .completed
            job.retrying = true
        }
        // A folder that cannot be written (a read-only file system) is found before anything
        // changes: the retry would be made, and only its status not stored.
        guard access(job.folder.path, W_OK) == 0 else {
            let reason = String(cString: strerror(errno))
            board.locked { job.retrying = false }
            throw storageFailure("cannot retry: \(job.folder.path) cannot be written (\(reason)); nothing was changed")
        }
        // A completed sweep's records are read first: one whose every run has a whole record
        // that its manifest's sha256 vouches for is left as it is (a record edited with its
        // CRC-32 made again is whole, but not the record the dataset was made of). The count
        // stands unless failures are cleared.
        let changed = completed ? Set(Dataset.changedRecords(job.definition, in: job.folder) ?? []) : []
        if !changed.isEmpty {
            log.error(
                "records_changed",
                [
                    "sweep": .string(id), "runs": .int(changed.count),
                    "first": .array(changed.sorted().prefix(SweepJob.loggedDamaged).map { .string(job.definition.runs[$0].id) }),
                    "action": .string("computing them again"),
                ])
        }
        var counted = completed ? job.count(trustingManifest: false, recomputing: changed, log: log) : nil
        if let count = counted {
            // A dataset file missing or damaged on disk is written again, as a start does.
            let datasetWhole = job.datasetIsWhole(written: board.locked { job.datasetBytes })
            guard count.progress.runsCompleted < count.progress.runsTotal || !datasetWhole else {
                board.locked { job.retrying = false }
                throw .conflict(
                    "the sweep is completed, every run's record is whole on disk and so is its dataset; nothing to retry")
            }
            if count.progress.runsFailed > 0 { counted = nil }
        }
        for run in job.definition.runs { job.folder.clearFailure(run.id) }
        job.forgetIndex()
        executor.reset(job)
        let count = counted ?? job.count(trustingManifest: false, recomputing: changed, log: log)
        let (snapshot, status) = board.locked {
            job.retrying = false
            job.cancelled.store(false, ordering: .sequentiallyConsistent)
            job.state = .queued
            job.finishedAt = nil
            job.error = nil
            job.apply(count)
            board.active.append(job)
            executor.submit(job)
            return (job.snapshot(), job.json(now: SweepBoard.now()))
        }
        try store(job, snapshot)
        log.info("sweep_retried", ["sweep": .string(id)])
        return status
    }

    /// Writes a status snapshot taken under the lock; call without it.
    private func store(_ job: SweepJob, _ snapshot: (version: Int, bytes: [UInt8])) throws(Failure) {
        do {
            try job.write(snapshot)
        } catch {
            throw storageFailure("cannot write the sweep's status: \(FileError.message(of: error))")
        }
    }

    /// Removes a sweep that is not running, and its files. The folder is first renamed
    /// out of the way, so the sweep is gone at once and can be submitted again.
    public func delete(_ id: String) throws(Failure) {
        try lockLoaded()
        guard let job = board.jobs[id], !job.deleting else {
            board.condition.unlock()
            throw .notFound
        }
        // Each refusal says what to do: a running sweep is cancelled first, one busy with its
        // end (writing its dataset, stopping its runs, being retried) is deleted in a moment.
        let busy: String? =
            job.finalizing
            ? "every run of the sweep has finished and its dataset is being written; delete it once it is completed"
            : job.state == .running ? "the sweep is running; cancel it first"
            : !job.runningGroups.isEmpty ? "the sweep's runs are still stopping; delete it in a moment"
            : job.retrying ? "the sweep is being retried; cancel it first" : nil
        if let busy {
            board.condition.unlock()
            throw .conflict(busy)
        }
        guard job.state != .cancelling else {
            board.condition.unlock()
            throw .conflict("the sweep's Slurm jobs are still being cancelled; delete it once it is cancelled")
        }
        // A queued sweep may have its job array waiting in the cluster: deleted, the array
        // would still run (and fail) there. Cancelling it cancels the array.
        guard !(executor.confirmsCancel && job.state.isActive) else {
            board.condition.unlock()
            throw .conflict("the sweep is queued on Slurm; cancel it first")
        }
        job.cancelled.store(true, ordering: .sequentiallyConsistent)
        job.deleting = true
        board.active.removeAll { $0 === job }
        board.condition.unlock()
        let trash = sweepsPath + "/.deleted-" + id + "-" + UUID().uuidString
        do {
            try job.moveFolder(to: trash)
        } catch {
            board.locked { job.deleting = false }
            throw storageFailure("cannot remove the sweep's folder: \(FileError.message(of: error))")
        }
        board.locked { board.jobs[id] = nil }
        do {
            try FileManager.default.removeItem(atPath: trash)
        } catch {
            log.error("sweep_not_removed", ["folder": .string(trash), "error": .string(String(describing: error))])
        }
        log.info("sweep_deleted", ["sweep": .string(id)])
    }

    /// Figures for `/metrics`.
    public func metrics() throws(Failure) -> (
        sweeps: [SweepState: Int], queuedRuns: Int, runningRuns: Int, runsCompleted: Int, runsFailed: Int,
        cellSteps: Int
    ) {
        try lockLoaded()
        defer { board.condition.unlock() }
        var sweeps: [SweepState: Int] = [:]
        for job in board.jobs.values { sweeps[job.state, default: 0] += 1 }
        var queued = 0
        var running = 0
        for job in board.active where job.state.isActive {
            running += job.progress.runsRunning
            queued +=
                job.progress.runsTotal - job.progress.runsCompleted - job.progress.runsFailed - job.progress.runsRunning
        }
        let totals = board.totals
        return (sweeps, queued, running, totals.runsCompleted, totals.runsFailed, totals.cellSteps)
    }

    private func job(_ id: String) throws(Failure) -> SweepJob {
        try lockLoaded()
        defer { board.condition.unlock() }
        guard let job = board.jobs[id], !job.deleting else { throw .notFound }
        return job
    }

    // MARK: Start-up

    /// Rebuilds the sweeps from `names`, the data directory's entries; returns early when the
    /// service stops.
    private func load(_ names: [String]) {
        let unlimited = SweepLimits(maximumRuns: .max, maximumCellSteps: .max)
        var loaded: [SweepJob] = []
        for name in names where name.hasPrefix(".deleted-") {
            // A delete interrupted after its rename: finish it.
            try? FileManager.default.removeItem(atPath: sweepsPath + "/" + name)
        }
        var nextSequence = 1
        for name in names where !name.hasPrefix(".") {
            guard !board.isStopping else { return }
            defer { board.locked { loading?.read += 1 } }
            let folder = SweepFolder(path: sweepsPath + "/" + name)
            folder.removeAbandonedTemporaries()
            do {
                guard let recorded = try folder.recordedSweep() else {
                    // A submission stopped before its definition was written (a crash, a full
                    // disk) was never answered 202: its empty folder is removed, not reported
                    // at every start.
                    let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
                    let records = (try? FileManager.default.contentsOfDirectory(atPath: folder.path + "/" + RecordStore.folderName)) ?? []
                    if entries.allSatisfy({ $0 == RecordStore.folderName }), records.isEmpty {
                        try? FileManager.default.removeItem(atPath: folder.path)
                        log.info("submission_abandoned", ["folder": .string(folder.path), "action": .string("removed its empty folder")])
                        continue
                    }
                    // Said, not skipped in silence: a submission interrupted before its
                    // definition was written (submitting it again completes the folder), or
                    // a damaged or stray entry.
                    throw FileError.invalid("it has no readable definition.json")
                }
                let definition = try SweepDefinition(json: recorded.definition, limits: unlimited)
                guard definition.id == recorded.id, definition.id == name else {
                    throw FileError.invalid("definition.json does not match the folder name")
                }
                let status = FileManager.default.contents(atPath: folder.path + "/status.json")
                    .flatMap { try? JSONParser.parse(Array($0)) }
                let state = status?["status"]?.stringValue.flatMap(SweepState.init(rawValue:)) ?? .queued
                let created = status?["created_at"]?.stringValue.flatMap(Timestamp.parse) ?? Date()
                let sequence = status?["sequence"]?.intValue ?? 0
                let job = SweepJob(
                    definition: definition, folder: folder, sequence: sequence, createdAt: created, state: state)
                job.startedAt = status?["started_at"]?.stringValue.flatMap(Timestamp.parse)
                job.finishedAt = status?["finished_at"]?.stringValue.flatMap(Timestamp.parse)
                job.error = status?["error"]?.stringValue
                job.datasetBytes = status?["dataset_bytes"]?.members.map { members in
                    Dictionary(members.compactMap { member in member.value.intValue.map { (member.key, $0) } }) { first, _ in first }
                }
                // An active sweep with a manifest is a completed one being retried (or one
                // whose dataset was being written again): the manifest vouches for no run
                // until it is written anew, as for the retry itself, but its sha256s still
                // find the records changed since it was (which a retry computes again).
                let retried = state.isActive && FileManager.default.fileExists(atPath: folder.path + "/manifest.json")
                let changed = retried ? Set(Dataset.changedRecords(definition, in: folder) ?? []) : []
                job.apply(job.count(trustingManifest: !retried, recomputing: changed, log: log))
                if state.isActive {
                    job.state = executor.recover(job, recorded: state)
                } else if state == .cancelling {
                    // The cancel goes on where the executor confirms it; elsewhere nothing runs on.
                    job.cancelled.store(true, ordering: .sequentiallyConsistent)
                    if !executor.confirmsCancel { job.state = .cancelled }
                } else if state == .completed && !job.datasetIsWhole(written: job.datasetBytes) {
                    // A completed sweep's dataset file gone or damaged: written again. (A sweep stopped
                    // while its dataset was written recorded itself running, above. A failed
                    // one stays failed until it is retried: on Slurm, queueing it again here
                    // submitted it anew at every start.)
                    job.state = executor.recover(job, recorded: .running)
                }
                loaded.append(job)
                nextSequence = max(nextSequence, sequence + 1)
            } catch {
                log.error(
                    "sweep_not_loaded", ["folder": .string(folder.path), "error": .string(String(describing: error))])
            }
        }
        board.locked {
            self.nextSequence = nextSequence
            for job in loaded.sorted(by: { $0.sequence < $1.sequence }) {
                board.jobs[job.definition.id] = job
                if job.state == .cancelling { board.active.append(job) }
                if job.state.isActive {
                    board.active.append(job)
                    log.info(
                        "sweep_resumed",
                        ["sweep": .string(job.definition.id), "runs_done": .int(job.progress.runsCompleted)])
                }
            }
        }
        // Statuses a stop kept from their receivers are sent now.
        for job in loaded { notifier.resume(keptIn: job.folder.path) }
    }
}
