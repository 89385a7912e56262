import Foundation
import MorphicCore
import MorphicData
import MorphicLLM
import Synchronization

/// Queues sweeps and computes their runs on a pool of worker threads, taking coupling
/// groups from the active sweeps in turn (round-robin), so a large sweep cannot starve a
/// small one.
///
/// Everything a sweep needs to resume lives in its folder under the data directory:
/// `definition.json`, `status.json`, the run records; on start the service rebuilds itself
/// from there and resumes unfinished sweeps without recomputing finished runs.
public final class JobService: @unchecked Sendable {
    /// Why a request about sweeps cannot be carried out.
    public enum Failure: Error, Equatable {
        /// The definition is invalid (422) or over a limit.
        case invalid(SweepError)
        /// No such sweep (404).
        case notFound
        /// The sweep is not in a state that allows it (409).
        case conflict(String)
        /// Too many sweeps are active (429).
        case full(String)
        /// The data directory failed (500).
        case storage(String)
    }

    private let configuration: ServerConfiguration
    private let log: Log
    private let condition = NSCondition()
    private var jobs: [String: SweepJob] = [:]
    /// Queued and running sweeps (and finished ones still being assembled), oldest first.
    private var active: [SweepJob] = []
    private var turn = 0
    private var stopping = false
    private var nextSequence = 1
    private let workersDone = DispatchGroup()
    private var totals = (runsCompleted: 0, runsFailed: 0, cellSteps: 0)
    private let llm: LLMRuleProvider?
    private let notifier: SweepNotifier
    private let slurm: SlurmExecutor?

    /// Loads the sweeps in the data directory and starts the workers.
    public init(configuration: ServerConfiguration, log: Log) throws {
        self.configuration = configuration
        self.log = log
        llm = configuration.llm.map {
            LLMRuleProvider(settings: $0, cacheDirectory: configuration.dataDirectory + "/cache")
        }
        notifier = SweepNotifier(allowedHosts: configuration.notifyHosts, allowedPorts: configuration.notifyPorts, log: log)
        slurm =
            configuration.executor == .slurm
            ? SlurmExecutor(settings: configuration.slurm, limits: configuration.sweeps, log: log) : nil
        try FileManager.default.createDirectory(atPath: sweepsPath, withIntermediateDirectories: true)
        try load()
        // The end of a rule table's fetch hands out the groups that waited for it.
        llm?.observe { [weak self] in
            guard let self else { return }
            condition.lock()
            condition.broadcast()
            condition.unlock()
        }
        if let slurm {
            workersDone.enter()
            let thread = Thread { [self] in
                drive(slurm)
                workersDone.leave()
            }
            thread.name = "slurm"
            thread.start()
        }
        for index in 0..<configuration.workerCount {
            workersDone.enter()
            let thread = Thread { [self] in
                work()
                workersDone.leave()
            }
            thread.name = "worker-\(index)"
            thread.start()
        }
    }

    private var sweepsPath: String { configuration.dataDirectory + "/sweeps" }

    /// Stops handing out work, lets running groups stop at their next step (they are
    /// recomputed after a restart) and waits for the workers.
    public func shutdown() {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
        llm?.cancelFetch()
        notifier.shutdown()
        workersDone.wait()
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
        // Claimed under the lock, stored without it: a repeat of the definition meanwhile
        // finds the claim and answers with it.
        condition.lock()
        if let existing = jobs[definition.id] {
            defer { condition.unlock() }
            guard !existing.deleting else { throw .conflict("the same sweep is being deleted; submit it again in a moment") }
            return (existing.json(now: Self.now()), false)
        }
        guard jobs.count < configuration.maximumStoredSweeps else {
            condition.unlock()
            throw .invalid(
                SweepError(
                    field: "",
                    message:
                        "this server keeps at most \(configuration.maximumStoredSweeps) sweeps (limits.max_stored_sweeps); delete one first",
                    isOverLimit: true))
        }
        guard active.count < configuration.maximumActiveSweeps else {
            condition.unlock()
            throw .full("\(active.count) sweeps are queued or running; try again when one has finished")
        }
        job.sequence = nextSequence
        nextSequence += 1
        job.finalizing = true  // keeps workers and DELETE away until it is stored
        jobs[definition.id] = job
        condition.unlock()

        do {
            try folder.prepare(for: definition)
            let count = job.count()
            condition.lock()
            job.apply(count)
            let snapshot = job.snapshot()
            condition.unlock()
            try job.write(snapshot)
        } catch {
            condition.lock()
            jobs[definition.id] = nil
            condition.unlock()
            throw .storage("cannot store the sweep: \(error)")
        }
        condition.lock()
        job.finalizing = false
        active.append(job)
        condition.broadcast()
        let status = job.json(now: Self.now())
        condition.unlock()
        log.info(
            "sweep_queued",
            [
                "sweep": .string(definition.id), "runs": .int(definition.runs.count),
                "cell_steps": .int(definition.cellSteps),
            ])
        return (status, true)
    }

    /// One page of the sweeps, newest first, and how many there are.
    public func list(offset: Int, limit: Int) -> (total: Int, sweeps: [JSON]) {
        condition.lock()
        let known = jobs.values.filter { !$0.deleting }
        condition.unlock()
        let ordered = known.sorted { ($0.createdAt, $0.sequence) > ($1.createdAt, $1.sequence) }
        let first = min(max(0, offset), ordered.count)
        let page = ordered[first..<first + min(max(0, limit), ordered.count - first)]
        let now = Self.now()
        condition.lock()
        defer { condition.unlock() }
        return (ordered.count, page.map { $0.json(now: now) })
    }

    /// One sweep's status.
    public func status(_ id: String) throws(Failure) -> JSON {
        condition.lock()
        defer { condition.unlock() }
        guard let job = jobs[id], !job.deleting else { throw .notFound }
        return job.json(now: Self.now())
    }

    /// The runs of a sweep matching `query`, from `offset`, at most `limit`, with their
    /// state, parameters and, when finished, summary statistics; and how many there are and
    /// matched. Answered from the sweep's in-memory index, which reads each finished run's
    /// record once.
    public func runs(_ id: String, query: RunQuery = RunQuery(), offset: Int, limit: Int) throws(Failure) -> JSON {
        let (job, index, active, activity) = try runIndex(id)
        // A finished sweep's records are read once; a running one's looked at twice a second.
        let page = index.page(
            query, offset: offset, limit: limit, folder: job.folder, interval: active ? 0.5 : 0, activity: activity)
        return .object([
            "total": .int(page.total), "matched": .int(page.matched), "offset": .int(offset), "limit": .int(limit),
            "runs": .array(page.runs),
        ])
    }

    /// Every run matching `query` as CSV: the export of what ``runs(_:query:offset:limit:)`` pages.
    public func runsCSV(_ id: String, query: RunQuery) throws(Failure) -> [UInt8] {
        let (job, index, _, activity) = try runIndex(id)
        index.refresh(from: job.folder, interval: 0)
        return index.csv(query, activity: activity)
    }

    /// A sweep's run index, for setting its map columns.
    func index(of id: String) throws(Failure) -> RunIndex {
        try runIndex(id).index
    }

    /// A sweep, its index, and what its unfinished runs are doing.
    private func runIndex(_ id: String) throws(Failure) -> (
        job: SweepJob, index: RunIndex, active: Bool, activity: @Sendable (PlannedRun) -> String
    ) {
        condition.lock()
        guard let job = jobs[id], !job.deleting else {
            condition.unlock()
            throw .notFound
        }
        // A small copy, not a pass over every group, while the lock is held.
        let running = job.activity
        let active = job.state.isActive
        condition.unlock()
        return (
            job, job.index(), active,
            { run in active ? (running.isRunning(group: run.couplingGroup) ? "running" : "queued") : "not_run" }
        )
    }

    /// A finished run's record.
    public func runRecord(_ id: String, run runID: String) throws(Failure) -> [UInt8] {
        let job = try job(id)
        guard let index = job.definition.index(ofRun: runID) else { throw .notFound }
        guard let record = job.records.record(job.definition.runs[index], index: index) else {
            throw .conflict(
                job.folder.failure(runID).map { "run \(runID) failed: \($0)" } ?? "run \(runID) has not finished")
        }
        return record
    }

    /// Frames of a finished run, computed again (``RunFrames``): generations `from`, `from +
    /// every`, … up to `to` (the run's last when nil). Call off the event loops: it simulates.
    /// - Throws: ``Failure`` for an unknown or unfinished run, `APIError` for a range past
    ///   the run or over `max_frame_cells` or `max_frame_cell_steps`.
    func frames(_ id: String, run runID: String, from: Int, to requested: Int?, every: Int) throws -> [UInt8] {
        // Only a finished run has frames (and an llm_control run's table in its record).
        let record = try runRecord(id, run: runID)
        let job = try job(id)
        let definition = job.definition
        let run = definition.runs[definition.index(ofRun: runID)!]
        let generations = run.configuration.generations
        let to = requested ?? generations
        guard to <= generations, from <= to else {
            throw APIError(
                status: .badRequest, code: "bad_parameter",
                message: "from and to must lie in 0...\(generations), the generations of \(runID)",
                field: to > generations ? "to" : "from")
        }
        let limits = configuration.sweeps
        let frames = (to - from) / every + 1
        guard frames.multipliedReportingOverflow(by: run.configuration.cellCount).partialValue <= limits.maximumFrameCells
        else {
            throw APIError(
                status: .unprocessableContent, code: "over_limit",
                message:
                    "\(frames) frames of \(run.configuration.cellCount) cells exceed this server's max_frame_cells (\(limits.maximumFrameCells)); ask for fewer (every, from, to)",
                field: "every")
        }
        let group = definition.runs.runs(ofGroup: run.couplingGroup).map { definition.runs[$0] }
        let cost = group.reduce(0) { $0 + $1.configuration.cellCount } * to
        guard cost <= limits.maximumFrameCellSteps else {
            throw APIError(
                status: .unprocessableContent, code: "over_limit",
                message:
                    "recomputing \(runID) up to generation \(to) takes \(cost) cell updates, over this server's max_frame_cell_steps (\(limits.maximumFrameCellSteps))",
                field: "to")
        }
        var table: RuleTable?
        if run.configuration.mode == .llmControl {
            guard let parsed = RunRecord.ruleTable(inRecord: record) else {
                throw Failure.storage("the record of \(runID) holds no llm_table")
            }
            table = parsed
        }
        return try RunFrames(
            group: group, member: group.firstIndex { $0.id == runID }!, sweepSeed: definition.seed, llmTable: table,
            from: from, to: to, every: every, isCancelled: { [self] in isStopping }
        ).encoded
    }

    /// The path of a dataset file (`manifest.json`, `dataset.tar.gz`) once the sweep is done.
    public func datasetFile(_ id: String, name: String) throws(Failure) -> String {
        let job = try job(id)
        condition.lock()
        let ready = (job.state == .completed || job.state == .failed) && !job.finalizing
        condition.unlock()
        let path = job.folder.path + "/" + name
        guard ready, FileManager.default.fileExists(atPath: path) else {
            throw .conflict("the dataset of \(id) is not ready; its status is \(job.state.rawValue)")
        }
        return path
    }

    /// Stops a queued or running sweep; finished runs are kept. On Slurm the sweep is
    /// `cancelling` until the Slurm thread has seen its jobs leave the queue: only the
    /// executor can say that a sweep has stopped.
    public func cancel(_ id: String) throws(Failure) -> JSON {
        condition.lock()
        guard let job = jobs[id], !job.deleting else {
            condition.unlock()
            throw .notFound
        }
        guard job.state.isActive && !job.finalizing else {
            defer { condition.unlock() }
            throw .conflict("the sweep is \(job.state.rawValue); only queued or running sweeps can be cancelled")
        }
        job.cancelled.store(true, ordering: .sequentiallyConsistent)
        job.deferred = []
        if slurm != nil {
            job.state = .cancelling
            condition.broadcast()
        } else {
            job.state = .cancelled
            job.finishedAt = Date()
            active.removeAll { $0 === job }
        }
        releaseModel()
        let snapshot = job.snapshot()
        let status = job.json(now: Self.now())
        condition.unlock()
        try store(job, snapshot)
        log.info("sweep_cancelled", ["sweep": .string(id), "status": status["status"] ?? .null])
        if status["status"] == .string("cancelled"), let url = job.definition.notifyURL { notifier.send(status, to: url) }
        return status
    }

    /// Queues a failed or cancelled sweep again: failed runs are retried and missing runs
    /// computed; finished runs are kept.
    public func retry(_ id: String) throws(Failure) -> JSON {
        condition.lock()
        guard let job = jobs[id], !job.deleting else {
            condition.unlock()
            throw .notFound
        }
        do {
            defer { condition.unlock() }
            guard job.state == .failed || job.state == .cancelled, !job.retrying else {
                throw .conflict("the sweep is \(job.state.rawValue); only failed or cancelled sweeps can be retried")
            }
            guard job.runningGroups.isEmpty else { throw .conflict("the sweep is still stopping; retry in a moment") }
            guard active.count < configuration.maximumActiveSweeps else {
                throw .full("\(active.count) sweeps are queued or running")
            }
            job.retrying = true
        }
        for run in job.definition.runs { job.folder.clearFailure(run.id) }
        job.forgetIndex()
        if job.needsModel.contains(true) { llm?.forgetFailure() }
        // A new job array, with a fresh retry budget; finished runs are skipped by its tasks.
        slurm?.forget(job.folder)
        let count = job.count(trustingManifest: false)
        condition.lock()
        job.retrying = false
        job.cancelled.store(false, ordering: .sequentiallyConsistent)
        job.state = .queued
        job.finishedAt = nil
        job.error = nil
        job.apply(count)
        active.append(job)
        condition.broadcast()
        let snapshot = job.snapshot()
        let status = job.json(now: Self.now())
        condition.unlock()
        try store(job, snapshot)
        log.info("sweep_retried", ["sweep": .string(id)])
        return status
    }

    /// Writes a status snapshot taken under the lock; call without it.
    private func store(_ job: SweepJob, _ snapshot: (version: Int, bytes: [UInt8])) throws(Failure) {
        do {
            try job.write(snapshot)
        } catch {
            throw .storage("cannot write \(job.statusPath): \(error)")
        }
    }

    /// Removes a sweep that is not running, and its files. The folder is first renamed
    /// out of the way, so the sweep is gone at once and can be submitted again.
    public func delete(_ id: String) throws(Failure) {
        condition.lock()
        guard let job = jobs[id], !job.deleting else {
            condition.unlock()
            throw .notFound
        }
        guard job.state != .running && job.runningGroups.isEmpty && !job.finalizing && !job.retrying else {
            condition.unlock()
            throw .conflict("the sweep is running; cancel it first")
        }
        guard job.state != .cancelling else {
            condition.unlock()
            throw .conflict("the sweep's Slurm jobs are still being cancelled; delete it once it is cancelled")
        }
        job.cancelled.store(true, ordering: .sequentiallyConsistent)
        job.deleting = true
        active.removeAll { $0 === job }
        condition.unlock()
        let trash = sweepsPath + "/.deleted-" + id + "-" + UUID().uuidString
        do {
            try FileManager.default.moveItem(atPath: job.folder.path, toPath: trash)
        } catch {
            condition.lock()
            job.deleting = false
            condition.unlock()
            throw .storage("cannot remove \(job.folder.path): \(error)")
        }
        condition.lock()
        jobs[id] = nil
        condition.unlock()
        do {
            try FileManager.default.removeItem(atPath: trash)
        } catch {
            log.error("sweep_not_removed", ["folder": .string(trash), "error": .string(String(describing: error))])
        }
        log.info("sweep_deleted", ["sweep": .string(id)])
    }

    /// Figures for `/metrics`.
    public func metrics() -> (
        sweeps: [SweepState: Int], queuedRuns: Int, runningRuns: Int, runsCompleted: Int, runsFailed: Int,
        cellSteps: Int
    ) {
        condition.lock()
        defer { condition.unlock() }
        var sweeps: [SweepState: Int] = [:]
        for job in jobs.values { sweeps[job.state, default: 0] += 1 }
        var queued = 0
        var running = 0
        for job in active where job.state.isActive {
            running += job.progress.runsRunning
            queued +=
                job.progress.runsTotal - job.progress.runsCompleted - job.progress.runsFailed - job.progress.runsRunning
        }
        return (sweeps, queued, running, totals.runsCompleted, totals.runsFailed, totals.cellSteps)
    }

    // MARK: Workers

    private enum Work {
        case compute(SweepJob, Int)
        case assemble(SweepJob)
    }

    /// The next piece of work, taking active sweeps in turn. Call with the lock held.
    ///
    /// Groups that need the model's rule table are set aside while it is being fetched, so
    /// a slow or dead model holds no worker; the fetch is started here when some sweep waits
    /// for it, and its end wakes the workers.
    private func nextWork() -> Work? {
        guard !active.isEmpty else { return nil }
        let modelSettled: Bool
        switch llm?.status(start: false) {
        case .pending?: modelSettled = false
        default: modelSettled = true
        }
        defer {
            if !modelSettled, active.contains(where: { $0.state.isActive && !$0.deferred.isEmpty }) {
                _ = llm?.status(start: true)
            }
        }
        for offset in 0..<active.count {
            let index = (turn + offset) % active.count
            let job = active[index]
            if job.state.isActive, slurm == nil, let group = job.nextGroup(modelSettled: modelSettled) {
                turn = index + 1
                return .compute(job, group)
            }
            if !job.finalizing && job.isDrained && !job.cancelled.load(ordering: .relaxed) {
                job.finalizing = true
                turn = index + 1
                return .assemble(job)
            }
        }
        return nil
    }

    /// Stops the model's fetch when no sweep waits for it any more. Call with the lock held.
    private func releaseModel() {
        if !active.contains(where: { $0.state.isActive && !$0.deferred.isEmpty }) { llm?.cancelFetch() }
    }

    private func work() {
        while true {
            condition.lock()
            var next: Work?
            while !stopping {
                next = nextWork()
                if next != nil { break }
                condition.wait()
            }
            guard let work = next, !stopping else {
                condition.unlock()
                return
            }
            switch work {
            case .compute(let job, let group):
                let snapshot = start(job, group: group)
                condition.unlock()
                if let snapshot { try? job.write(snapshot) }
                compute(job, group: group)
            case .assemble(let job):
                condition.unlock()
                assemble(job)
            }
        }
    }

    /// Marks a group as running. Call with the lock held; returns the status to write
    /// when the sweep has just started.
    private func start(_ job: SweepJob, group: Int) -> (version: Int, bytes: [UInt8])? {
        job.runningGroups.insert(group)
        job.progress.runsRunning += job.groups[group].count
        if job.rateOrigin == nil { job.rateOrigin = (Self.now(), job.progress.cellStepsDone) }
        if job.state == .queued {
            job.state = .running
            job.startedAt = job.startedAt ?? Date()
            log.info("sweep_started", ["sweep": .string(job.definition.id)])
            return job.snapshot()
        }
        return nil
    }

    private func compute(_ job: SweepJob, group index: Int) {
        let group = job.groups[index]
        let counted = Mutex(0)
        var failure: String?
        var finished = false
        // The table's fetch began again (its failure outlived the cool-down): wait for it.
        let notReady: Bool
        if job.needsModel[index], case .pending? = llm?.status(start: false) { notReady = true } else { notReady = false }
        if !notReady {
            do {
                let llm = self.llm
                finished = try SweepRunner.compute(
                    group: index, of: job.definition, records: job.records,
                    llmTable: llm.map { provider in
                        { () throws -> RuleTable in
                            switch provider.status(start: false) {
                            case .ready(let table): return table
                            case .failed(let error): throw error
                            case .pending: throw LLMError("the rule table is being fetched again; retry the sweep")
                            }
                        }
                    }, llmSource: llm?.source,
                    isCancelled: { [self] in job.cancelled.load(ordering: .relaxed) || isStopping }
                ) { cells in
                    counted.withLock { $0 += cells }
                    condition.lock()
                    job.progress.cellStepsDone += cells
                    totals.cellSteps += cells
                    condition.unlock()
                }
            } catch {
                failure = String(describing: error)
            }
        }
        // A cancelled sweep's runs did not fail: they were not wanted.
        if job.cancelled.load(ordering: .relaxed) { failure = nil }
        if let failure {
            for run in group { try? job.folder.recordFailure(run.id, message: failure) }
            log.error(
                "runs_failed",
                [
                    "sweep": .string(job.definition.id), "runs": .array(group.map { .string($0.id) }),
                    "error": .string(failure),
                ])
        }
        condition.lock()
        defer { condition.unlock() }
        job.runningGroups.remove(index)
        job.progress.runsRunning -= group.count
        if finished {
            job.groupDone[index] = true
            job.progress.runsCompleted += group.count
            totals.runsCompleted += group.count
        } else if failure != nil {
            job.groupDone[index] = true
            job.progress.runsFailed += group.count
            job.progress.cellStepsDone += group.reduce(0) { $0 + $1.configuration.cellSteps } - counted.withLock { $0 }
            totals.runsFailed += group.count
        } else if notReady {
            job.deferred.append(index)
        } else {
            // Stopped part-way: the group starts again from its first step.
            job.progress.cellStepsDone -= counted.withLock { $0 }
        }
        condition.broadcast()
    }

    /// The Slurm executor's loop, the only caller of Slurm: submits new sweeps, follows
    /// every sweep's job arrays with one `squeue` per poll, counts progress from one file per
    /// shard, and confirms cancels. It takes the service lock only to read and record state,
    /// never around a command, so a slow or dead controller delays no API answer. Until
    /// shutdown; the jobs go on, and a restart reattaches.
    private func drive(_ slurm: SlurmExecutor) {
        var maximumArraySize: Int?
        do {
            maximumArraySize = try slurm.maximumArraySize()
            log.info("slurm_ready", ["max_array_size": .int(maximumArraySize ?? 0)])
        } catch {
            log.error("slurm_unavailable", ["error": .string(String(describing: error))])
        }
        var failedPolls = 0
        while !isStopping {
            condition.lock()
            let jobs = active.filter { ($0.state.isActive && !$0.finalizing) || $0.state == .cancelling }
            condition.unlock()
            let states = jobs.map { slurm.load($0.folder) }
            let queue: [String: [Int: SlurmExecutor.Task]]
            do {
                queue = try slurm.queue(states.compactMap { $0?.jobs }.flatMap { $0 })
                failedPolls = 0
            } catch {
                failedPolls += 1
                log.error("slurm_error", ["error": .string(String(describing: error))])
                condition.lock()
                for job in jobs where job.state.isActive { job.waiting = "Slurm does not answer: \(error)" }
                condition.unlock()
                pause(slurm.settings.pollSeconds * Double(min(16, 1 << min(failedPolls, 4))))
                continue
            }
            for (job, saved) in zip(jobs, states) {
                if job.state == .cancelling {
                    confirmCancel(job, jobs: saved?.jobs ?? [], slurm)
                } else {
                    follow(job, saved: saved, queue: queue, maximumArraySize: maximumArraySize, slurm)
                }
            }
            pause(slurm.settings.pollSeconds)
        }
    }

    /// Waits up to `seconds`, or until shutdown.
    private func pause(_ seconds: Double) {
        condition.lock()
        if !stopping { _ = condition.wait(until: Date().addingTimeInterval(seconds)) }
        condition.unlock()
    }

    /// Cancels a sweep's jobs and, once none is left in the queue, records it cancelled.
    private func confirmCancel(_ job: SweepJob, jobs: [String], _ slurm: SlurmExecutor) {
        do {
            try slurm.cancel(job.definition.id, jobs: jobs)
            guard try slurm.isGone(job.definition.id, jobs: jobs) else { return }
        } catch {
            log.error(
                "slurm_cancel_failed", ["sweep": .string(job.definition.id), "error": .string(String(describing: error))])
            condition.lock()
            job.waiting = "cancelling: \(error)"
            condition.unlock()
            return
        }
        condition.lock()
        job.state = .cancelled
        job.finishedAt = Date()
        job.waiting = nil
        active.removeAll { $0 === job }
        let snapshot = job.snapshot()
        let status = job.json(now: Self.now())
        condition.unlock()
        try? job.write(snapshot)
        log.info("sweep_cancel_confirmed", ["sweep": .string(job.definition.id)])
        if let url = job.definition.notifyURL { notifier.send(status, to: url) }
    }

    /// Submits a sweep that has no jobs yet, or advances one that has, and records its progress.
    private func follow(
        _ job: SweepJob, saved: SlurmExecutor.State?, queue: [String: [Int: SlurmExecutor.Task]],
        maximumArraySize: Int?, _ slurm: SlurmExecutor
    ) {
        var state: SlurmExecutor.State
        if let saved {
            state = saved
        } else {
            condition.lock()
            let wait = job.nextSubmit - Self.now()
            condition.unlock()
            // Re-read just before sbatch: a cancel may have come since this poll began.
            guard wait <= 0, !job.cancelled.load(ordering: .sequentiallyConsistent) else { return }
            do {
                state = try slurm.submit(job.definition, in: job.folder, maximumArraySize: maximumArraySize)
            } catch {
                submitFailed(job, error: error, slurm)
                return
            }
            // The queue was read before this submission: the array is followed from the next
            // poll. A cancel that came during sbatch is carried out then, by name too.
            condition.lock()
            if job.state == .queued { job.waiting = "submitted to Slurm" }
            condition.unlock()
            return
        }
        let survey: SlurmExecutor.Survey
        do {
            survey = try slurm.advance(job.definition, groups: job.groups, in: job.folder, state: &state, queue: queue)
        } catch {
            log.error("slurm_error", ["sweep": .string(job.definition.id), "error": .string(String(describing: error))])
            return
        }
        var snapshot: (version: Int, bytes: [UInt8])?
        condition.lock()
        if job.state.isActive {
            let perRun = job.progress.runsTotal > 0 ? job.progress.cellStepsTotal / job.progress.runsTotal : 0
            job.submitFailures = 0
            let before = job.progress
            job.progress.runsCompleted = max(job.progress.runsCompleted, survey.completed)
            job.progress.runsFailed = max(job.progress.runsFailed, survey.failed)
            job.progress.cellStepsDone = min(
                job.progress.cellStepsTotal, (job.progress.runsCompleted + job.progress.runsFailed) * perRun)
            // The server's counters include the cluster's work.
            totals.runsCompleted += job.progress.runsCompleted - before.runsCompleted
            totals.runsFailed += job.progress.runsFailed - before.runsFailed
            totals.cellSteps += max(0, job.progress.cellStepsDone - before.cellStepsDone)
            let runsPerShard = Double(job.progress.runsTotal) / Double(max(1, state.shards))
            let unfinished = job.progress.runsTotal - job.progress.runsCompleted - job.progress.runsFailed
            job.progress.runsRunning = min(unfinished, Int((Double(survey.running.count) * runsPerShard).rounded(.up)))
            job.runningShards = survey.running
            job.shardCount = state.shards
            if job.rateOrigin == nil { job.rateOrigin = (Self.now(), job.progress.cellStepsDone) }
            let reasons = Set(survey.pending.values)
            job.waiting =
                survey.running.isEmpty && !reasons.isEmpty
                ? "Slurm: " + reasons.sorted().joined(separator: ", ") : nil
            if survey.done.count == state.shards {
                job.groupDone = Array(repeating: true, count: job.groups.count)
                job.cursor = job.groups.count
                job.waiting = nil
            }
            if job.state == .queued && !survey.running.isEmpty {
                job.state = .running
                job.startedAt = job.startedAt ?? Date()
                snapshot = job.snapshot()
                log.info("sweep_started", ["sweep": .string(job.definition.id), "executor": .string("slurm")])
            }
            condition.broadcast()
        }
        condition.unlock()
        if let snapshot { try? job.write(snapshot) }
    }

    /// A submission failed: say why in the status, wait longer each time, and after
    /// `slurm.submit_attempts` fail the sweep with the reason.
    private func submitFailed(_ job: SweepJob, error: any Error, _ slurm: SlurmExecutor) {
        let reason = "cannot submit to Slurm: \(error)"
        log.error("slurm_submit_failed", ["sweep": .string(job.definition.id), "error": .string(reason)])
        condition.lock()
        job.submitFailures += 1
        job.waiting = reason
        job.nextSubmit = Self.now() + slurm.settings.pollSeconds * Double(1 << min(job.submitFailures, 6))
        guard job.submitFailures >= slurm.settings.submitAttempts, job.state.isActive else {
            condition.unlock()
            return
        }
        job.state = .failed
        job.error = reason + " (\(job.submitFailures) attempts)"
        job.waiting = nil
        job.finishedAt = Date()
        active.removeAll { $0 === job }
        let snapshot = job.snapshot()
        let status = job.json(now: Self.now())
        condition.unlock()
        try? job.write(snapshot)
        if let url = job.definition.notifyURL { notifier.send(status, to: url) }
    }

    private var isStopping: Bool {
        condition.lock()
        defer { condition.unlock() }
        return stopping
    }

    private func assemble(_ job: SweepJob) {
        var error: String?
        do {
            try Dataset.assemble(job.definition, in: job.folder)
        } catch let failure {
            error = "cannot write the dataset: \(failure)"
        }
        condition.lock()
        job.finalizing = false
        active.removeAll { $0 === job }
        guard jobs[job.definition.id] === job else {
            condition.unlock()
            return
        }
        job.error = error ?? (job.progress.runsFailed > 0 ? "\(job.progress.runsFailed) run(s) failed" : nil)
        job.state = job.error == nil ? .completed : .failed
        job.finishedAt = Date()
        let snapshot = job.snapshot()
        let status = job.json(now: Self.now())
        let state = job.state
        let progress = job.progress
        condition.unlock()
        try? job.write(snapshot)
        if let url = job.definition.notifyURL { notifier.send(status, to: url) }
        log.info(
            "sweep_finished",
            [
                "sweep": .string(job.definition.id), "status": .string(state.rawValue),
                "runs_completed": .int(progress.runsCompleted), "runs_failed": .int(progress.runsFailed),
            ])
    }

    private func job(_ id: String) throws(Failure) -> SweepJob {
        condition.lock()
        defer { condition.unlock() }
        guard let job = jobs[id], !job.deleting else { throw .notFound }
        return job
    }

    // MARK: Start-up

    /// Rebuilds the sweeps from the data directory.
    private func load() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: sweepsPath).sorted()
        let unlimited = SweepLimits(maximumRuns: .max, maximumCellSteps: .max)
        var loaded: [SweepJob] = []
        for name in names where name.hasPrefix(".deleted-") {
            // A delete interrupted after its rename: finish it.
            try? FileManager.default.removeItem(atPath: sweepsPath + "/" + name)
        }
        for name in names where !name.hasPrefix(".") {
            let folder = SweepFolder(path: sweepsPath + "/" + name)
            folder.removeAbandonedTemporaries()
            do {
                guard let recorded = try folder.recordedSweep() else { continue }
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
                job.apply(job.count())
                if state.isActive {
                    job.state = .queued
                } else if state == .cancelling {
                    // The cancel of its Slurm jobs goes on; without Slurm, nothing runs on.
                    job.cancelled.store(true, ordering: .sequentiallyConsistent)
                    if slurm == nil { job.state = .cancelled }
                } else if state != .cancelled
                    && (Dataset.files(definition) + [Dataset.archiveName]).contains(where: {
                        !FileManager.default.fileExists(atPath: folder.path + "/" + $0)
                    })
                {
                    // Stopped while the dataset was being written: write it again.
                    job.state = .queued
                }
                loaded.append(job)
                nextSequence = max(nextSequence, sequence + 1)
            } catch {
                log.error(
                    "sweep_not_loaded", ["folder": .string(folder.path), "error": .string(String(describing: error))])
            }
        }
        for job in loaded.sorted(by: { $0.sequence < $1.sequence }) {
            jobs[job.definition.id] = job
            if job.state == .cancelling { active.append(job) }
            if job.state.isActive {
                active.append(job)
                log.info(
                    "sweep_resumed",
                    ["sweep": .string(job.definition.id), "runs_done": .int(job.progress.runsCompleted)])
            }
        }
    }

    private static func now() -> Double { ProcessInfo.processInfo.systemUptime }
}
