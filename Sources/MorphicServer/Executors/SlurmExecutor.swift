import Foundation
import MorphicData

/// Runs sweeps on a Slurm cluster (``SlurmCluster``), from one thread, the only caller of
/// Slurm: it submits new sweeps, follows every sweep's job arrays with one `squeue` per
/// poll, counts progress from one file per shard, and confirms cancels. It takes the board's
/// lock only to read and record state, never around a command, so a slow or dead controller
/// delays no API answer. The jobs outlive the server; a restart reattaches to them.
final class SlurmExecutor: SweepExecutor, @unchecked Sendable {
    private let board: SweepBoard
    let cluster: SlurmCluster
    private let notifier: SweepNotifier
    private let log: Log

    init(board: SweepBoard, cluster: SlurmCluster, notifier: SweepNotifier, log: Log) {
        self.board = board
        self.cluster = cluster
        self.notifier = notifier
        self.log = log
    }

    /// Only Slurm can say that a sweep's jobs have stopped.
    var confirmsCancel: Bool { true }

    func start() { board.spawn("slurm") { [self] in drive() } }

    func submit(_ job: SweepJob) { board.condition.broadcast() }

    func cancel(_ job: SweepJob) { board.condition.broadcast() }

    /// A new job array, with a fresh retry budget; finished runs are skipped by its tasks.
    func reset(_ job: SweepJob) { cluster.forget(job.folder) }

    /// A sweep whose array was submitted goes on where it was; one never submitted waits.
    func recover(_ job: SweepJob, recorded: SweepState) -> SweepState {
        cluster.load(job.folder) == nil ? .queued : recorded
    }

    // MARK: The Slurm thread

    private func drive() {
        var maximumArraySize: Int?
        do {
            maximumArraySize = try cluster.maximumArraySize()
            log.info("slurm_ready", ["max_array_size": .int(maximumArraySize ?? 0)])
        } catch {
            log.error("slurm_unavailable", ["error": .string(String(describing: error))])
        }
        var failedPolls = 0
        while !board.isStopping {
            let jobs = board.locked {
                board.active.filter { ($0.state.isActive && !$0.finalizing) || $0.state == .cancelling }
            }
            let states = jobs.map { cluster.load($0.folder) }
            let queue: [String: [Int: SlurmCluster.Task]]
            do {
                queue = try cluster.queue(states.compactMap { $0?.jobs }.flatMap { $0 })
                failedPolls = 0
            } catch {
                failedPolls += 1
                log.error("slurm_error", ["error": .string(String(describing: error))])
                board.locked {
                    for job in jobs where job.state.isActive { job.waiting = job.named("Slurm does not answer: \(error)") }
                }
                board.pause(cluster.settings.pollSeconds * Double(min(16, 1 << min(failedPolls, 4))))
                continue
            }
            for (job, saved) in zip(jobs, states) {
                if board.locked({ job.state == .cancelling }) {
                    confirmCancel(job, jobs: saved?.jobs ?? [])
                } else {
                    follow(job, saved: saved, queue: queue, maximumArraySize: maximumArraySize)
                }
            }
            board.pause(cluster.settings.pollSeconds)
        }
    }

    /// Cancels a sweep's jobs and, once none is left in the queue, records it cancelled.
    private func confirmCancel(_ job: SweepJob, jobs: [String]) {
        do {
            try cluster.cancel(job.definition.id, jobs: jobs)
            guard try cluster.isGone(job.definition.id, jobs: jobs) else { return }
        } catch {
            log.error(
                "slurm_cancel_failed", ["sweep": .string(job.definition.id), "error": .string(String(describing: error))])
            board.locked { job.waiting = job.named("cancelling: \(error)") }
            return
        }
        let (snapshot, status) = board.locked { board.finish(job, as: .cancelled) }
        try? job.write(snapshot)
        log.info("sweep_cancel_confirmed", ["sweep": .string(job.definition.id)])
        if let url = job.definition.notifyURL { notifier.send(status, to: url, keptIn: job.folder.path) }
    }

    /// Submits a sweep that has no jobs yet, or advances one that has, and records its progress.
    private func follow(
        _ job: SweepJob, saved: SlurmCluster.State?, queue: [String: [Int: SlurmCluster.Task]], maximumArraySize: Int?
    ) {
        var state: SlurmCluster.State
        if let saved {
            state = saved
        } else {
            let wait = board.locked { job.nextSubmit - SweepBoard.now() }
            // Re-read just before sbatch: a cancel may have come since this poll began.
            guard wait <= 0, !job.cancelled.load(ordering: .sequentiallyConsistent) else { return }
            do {
                state = try cluster.submit(job.definition, in: job.folder, maximumArraySize: maximumArraySize)
            } catch {
                submitFailed(job, error: error)
                return
            }
            // The queue was read before this submission: the array is followed from the next
            // poll. A cancel that came during sbatch is carried out then, by name too.
            board.locked { if job.state == .queued { job.waiting = "submitted to Slurm" } }
            return
        }
        let survey: SlurmCluster.Survey
        do {
            survey = try cluster.advance(job.definition, groups: job.groups, in: job.folder, state: &state, queue: queue)
        } catch {
            log.error("slurm_error", ["sweep": .string(job.definition.id), "error": .string(String(describing: error))])
            return
        }
        if !survey.unsatisfiable.isEmpty {
            unsatisfiable(job, reasons: Set(survey.unsatisfiable.values), jobs: state.jobs)
            return
        }
        var snapshot: (version: Int, bytes: [UInt8])?
        board.condition.lock()
        if job.state.isActive {
            let perRun = job.progress.runsTotal > 0 ? job.progress.cellStepsTotal / job.progress.runsTotal : 0
            job.submitFailures = 0
            let before = job.progress
            job.progress.runsCompleted = max(job.progress.runsCompleted, survey.completed)
            job.progress.runsFailed = max(job.progress.runsFailed, survey.failed)
            job.progress.cellStepsDone = min(
                job.progress.cellStepsTotal, (job.progress.runsCompleted + job.progress.runsFailed) * perRun)
            // The server's counters include the cluster's work.
            board.totals.runsCompleted += job.progress.runsCompleted - before.runsCompleted
            board.totals.runsFailed += job.progress.runsFailed - before.runsFailed
            board.totals.cellSteps += max(0, job.progress.cellStepsDone - before.cellStepsDone)
            let runsPerShard = Double(job.progress.runsTotal) / Double(max(1, state.shards))
            let unfinished = job.progress.runsTotal - job.progress.runsCompleted - job.progress.runsFailed
            job.progress.runsRunning = min(unfinished, Int((Double(survey.running.count) * runsPerShard).rounded(.up)))
            job.runningShards = survey.running
            job.shardCount = state.shards
            if job.rateOrigin == nil { job.rateOrigin = (SweepBoard.now(), job.progress.cellStepsDone) }
            let reasons = Set(survey.pending.values)
            job.waiting =
                survey.running.isEmpty && !reasons.isEmpty
                ? "Slurm: " + reasons.sorted().joined(separator: ", ") : nil
            if survey.done.count == state.shards {
                job.groupDone = Array(repeating: true, count: job.groups.count)
                job.cursor = job.groups.count
                job.waiting = nil
            }
            // A shard seen only once it was done has run too: a short sweep whose tasks all
            // start and end between two polls still reads `running` and has its start time.
            if job.state == .queued && !(survey.running.isEmpty && survey.done.isEmpty) {
                job.state = .running
                job.startedAt = job.startedAt ?? Date()
                snapshot = job.snapshot()
                log.info("sweep_started", ["sweep": .string(job.definition.id), "executor": .string("slurm")])
            }
            board.condition.broadcast()
        }
        board.condition.unlock()
        if let snapshot { try? job.write(snapshot) }
    }

    /// Slurm says the sweep's tasks wait for what it can never give: its jobs are cancelled
    /// and the sweep fails with Slurm's reason. A retry submits it again (with other
    /// `slurm.sbatch_options`, say).
    private func unsatisfiable(_ job: SweepJob, reasons: Set<String>, jobs: [String]) {
        let reason =
            "Slurm cannot run this sweep's tasks as requested: "
            + reasons.sorted().joined(separator: "; ")
            + " (a pending reason that waiting does not resolve; check slurm.sbatch_options against the cluster's partitions and limits)"
        log.error("slurm_unsatisfiable", ["sweep": .string(job.definition.id), "error": .string(reason)])
        do {
            try cluster.cancel(job.definition.id, jobs: jobs)
        } catch {
            // Still failed: the next retry or delete finds the jobs by name.
            log.error(
                "slurm_cancel_failed", ["sweep": .string(job.definition.id), "error": .string(String(describing: error))])
        }
        board.condition.lock()
        guard job.state.isActive else {
            board.condition.unlock()
            return
        }
        let (snapshot, status) = board.finish(job, as: .failed, error: reason)
        board.condition.unlock()
        try? job.write(snapshot)
        if let url = job.definition.notifyURL { notifier.send(status, to: url, keptIn: job.folder.path) }
    }

    /// A submission failed: say why in the status, wait longer each time, and after
    /// `slurm.submit_attempts` fail the sweep with the reason.
    private func submitFailed(_ job: SweepJob, error: any Error) {
        let reason = "cannot submit to Slurm: \(error)"
        log.error("slurm_submit_failed", ["sweep": .string(job.definition.id), "error": .string(reason)])
        board.condition.lock()
        job.submitFailures += 1
        job.waiting = job.named(reason)
        job.nextSubmit = SweepBoard.now() + cluster.settings.pollSeconds * Double(1 << min(job.submitFailures, 6))
        guard job.submitFailures >= cluster.settings.submitAttempts, job.state.isActive else {
            board.condition.unlock()
            return
        }
        let (snapshot, status) = board.finish(job, as: .failed, error: reason + " (\(job.submitFailures) attempts)")
        board.condition.unlock()
        try? job.write(snapshot)
        if let url = job.definition.notifyURL { notifier.send(status, to: url, keptIn: job.folder.path) }
    }
}
