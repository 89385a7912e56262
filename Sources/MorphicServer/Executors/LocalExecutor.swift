import Foundation
import MorphicCore
import MorphicData
import MorphicLLM
import Synchronization

/// Runs sweeps on this machine: a pool of worker threads takes coupling groups from the
/// active sweeps in turn (round-robin), so a large sweep cannot starve a small one, and
/// computes each group with ``SweepRunner`` into the sweep's folder.
///
/// Groups that need the model's rule table are set aside while it is being fetched, so a
/// slow or dead model holds no worker; the end of the fetch wakes the workers. A cancel
/// takes effect at once: running groups stop at their next step, and their runs are
/// computed again if the sweep is retried.
final class LocalExecutor: SweepExecutor, @unchecked Sendable {
    private let board: SweepBoard
    private let workers: Int
    private let llm: LLMRuleProvider?
    private let log: Log
    /// Where the next look for work starts among the active sweeps. Guarded by the board.
    private var turn = 0
    /// Why a sweep with groups set aside for the model's rule table waits (its status's
    /// `waiting`), until the fetch ends.
    static let waitingForModel = "waiting for the language model's rule table; the sweep's other runs go on"

    init(board: SweepBoard, workers: Int, llm: LLMRuleProvider?, log: Log) {
        self.board = board
        self.workers = workers
        self.llm = llm
        self.log = log
        // The end of a rule table's fetch hands out the groups that waited for it.
        llm?.observe { [weak board] in
            guard let board else { return }
            board.locked {
                for job in board.active where job.waiting == Self.waitingForModel { job.waiting = nil }
                board.condition.broadcast()
            }
        }
    }

    var confirmsCancel: Bool { false }

    func start() {
        for index in 0..<workers {
            board.spawn("worker-\(index)") { [self] in work() }
        }
    }

    func submit(_ job: SweepJob) { board.condition.broadcast() }

    func cancel(_ job: SweepJob) {
        job.deferred = []
        // Stops the model's fetch when no sweep waits for it any more.
        if !board.active.contains(where: { $0 !== job && $0.state.isActive && !$0.deferred.isEmpty }) {
            llm?.cancelFetch()
        }
    }

    func reset(_ job: SweepJob) {
        if job.needsModel.contains(true) { llm?.forgetFailure() }
    }

    /// Groups that were running when the server stopped are computed again from their
    /// first step: the sweep waits for a worker.
    func recover(_ job: SweepJob, recorded: SweepState) -> SweepState { .queued }

    // MARK: Workers

    /// The next group to compute, taking active sweeps in turn. Call with the lock held.
    private func nextGroup() -> (SweepJob, Int)? {
        let active = board.active
        guard !active.isEmpty else { return nil }
        let modelSettled: Bool
        switch llm?.status(start: false) {
        case .pending?: modelSettled = false
        default: modelSettled = true
        }
        defer {
            // The fetch is started here when some sweep waits for it.
            if !modelSettled, active.contains(where: { $0.state.isActive && !$0.deferred.isEmpty }) {
                _ = llm?.status(start: true)
                for job in active where job.state.isActive && !job.deferred.isEmpty {
                    job.waiting = Self.waitingForModel
                }
            }
        }
        for offset in 0..<active.count {
            let index = (turn + offset) % active.count
            let job = active[index]
            if job.state.isActive, !job.finalizing, let group = job.nextGroup(modelSettled: modelSettled) {
                turn = index + 1
                return (job, group)
            }
        }
        return nil
    }

    private func work() {
        let condition = board.condition
        while true {
            condition.lock()
            var next: (SweepJob, Int)?
            while !board.stopping {
                next = nextGroup()
                if next != nil { break }
                condition.wait()
            }
            guard let (job, group) = next, !board.stopping else {
                condition.unlock()
                return
            }
            let snapshot = start(job, group: group)
            condition.unlock()
            if let snapshot { try? job.write(snapshot) }
            compute(job, group: group)
        }
    }

    /// Marks a group as running. Call with the lock held; returns the status to write
    /// when the sweep has just started.
    private func start(_ job: SweepJob, group: Int) -> (version: Int, bytes: [UInt8])? {
        job.runningGroups.insert(group)
        job.progress.runsRunning += job.groups[group].count
        if job.rateOrigin == nil { job.rateOrigin = (SweepBoard.now(), job.progress.cellStepsDone) }
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
                    isCancelled: { [board] in job.cancelled.load(ordering: .relaxed) || board.isStopping }
                ) { [board] cells in
                    counted.withLock { $0 += cells }
                    board.locked {
                        job.progress.cellStepsDone += cells
                        board.totals.cellSteps += cells
                    }
                }
            } catch {
                failure = FileError.message(of: error)
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
        board.condition.lock()
        job.runningGroups.remove(index)
        // A cancel has already counted the sweep's runs as not running.
        job.progress.runsRunning = max(0, job.progress.runsRunning - group.count)
        if finished {
            job.groupDone[index] = true
            job.progress.runsCompleted += group.count
            board.totals.runsCompleted += group.count
        } else if failure != nil {
            job.groupDone[index] = true
            job.progress.runsFailed += group.count
            job.progress.cellStepsDone += group.reduce(0) { $0 + $1.configuration.cellSteps } - counted.withLock { $0 }
            board.totals.runsFailed += group.count
        } else if notReady {
            job.deferred.append(index)
        } else {
            // Stopped part-way: the group starts again from its first step.
            job.progress.cellStepsDone -= counted.withLock { $0 }
        }
        let stoppedWriting = job.runningGroups.isEmpty && (job.isDrained || job.cancelled.load(ordering: .relaxed))
        board.condition.broadcast()
        board.condition.unlock()
        // A finished or cancelled sweep writes no more records: its packs' descriptors are
        // given back (a server keeps thousands of sweeps, and held one or two each).
        if stoppedWriting { job.records.closeAppending() }
    }
}
