import Foundation
import MorphicData
import Synchronization

/// Writes a sweep's dataset (`manifest.json`, the tables, `dataset.tar.gz`) once every one
/// of its groups is done, whichever executor ran them, and records how the sweep ended.
///
/// One thread of its own does it, so a long archive holds no worker and no Slurm poll. The
/// sweep is `finalizing` meanwhile: its groups are not handed out again, it cannot be
/// deleted, and a cancel is refused because nothing is left to stop.
final class SweepAssembler: @unchecked Sendable {
    private let board: SweepBoard
    private let notifier: SweepNotifier
    private let log: Log
    /// Hears each reference trained while a dataset was assembled (for its card), with the
    /// sweep's id and folder, before the sweep is marked completed.
    let trained = Mutex<(@Sendable (String, String, TrainedReference) -> Void)?>(nil)

    init(board: SweepBoard, notifier: SweepNotifier, log: Log) {
        self.board = board
        self.notifier = notifier
        self.log = log
    }

    func start() { board.spawn("assembler") { [self] in run() } }

    /// A sweep ready to be assembled: all its groups handed out and finished, not cancelled.
    /// Call with the lock held.
    private func nextReady() -> SweepJob? {
        board.active.first { !$0.finalizing && !$0.cancelled.load(ordering: .relaxed) && $0.isDrained }
    }

    private func run() {
        let condition = board.condition
        while true {
            condition.lock()
            var next: SweepJob?
            while !board.stopping {
                next = nextReady()
                if next != nil { break }
                condition.wait()
            }
            guard let job = next, !board.stopping else {
                condition.unlock()
                return
            }
            job.finalizing = true
            condition.unlock()
            assemble(job)
        }
    }

    /// Characters of the first failed run's reason a failed sweep's error quotes. 200.
    static let quotedFailure = 200

    private func assemble(_ job: SweepJob) {
        var error: String?
        // What an earlier server killed mid-assembly left, its writer gone since it started.
        job.folder.removeAbandonedTemporaries()
        do {
            if let reference = try Dataset.assemble(job.definition, in: job.folder, writesIndex: true),
                let hear = trained.withLock({ $0 })
            {
                hear(job.definition.id, job.folder.path, reference)
            }
        } catch let failure {
            error = "cannot write the dataset: \(FileError.message(of: failure))"
        }
        // Each file's size as written, so that one damaged on disk later is told from whole.
        var sizes: [String: Int]?
        if error == nil {
            let written = job.datasetFileNames.compactMap { name in job.sizeOnDisk(name).map { (name, $0) } }
            if written.count == job.datasetFileNames.count { sizes = Dictionary(uniqueKeysWithValues: written) }
        }
        // A record lost after its run counted as finished (its pack removed under the sweep)
        // fails the dataset: the progress is counted again from what the folder holds, so the
        // status says as many runs finished as the listing does, and a retry computes the rest.
        let recount = error == nil ? nil : job.count(trustingManifest: false, log: log)
        // What a failed run says, for a status that notifications carry: the first one's in
        // the sweep's order (`l_2` before `l_10`; each run's is in the runs listing). Looked
        // for only when some run failed: it lists the sweep's folder.
        let someFailed = error == nil && board.locked { job.progress.runsFailed > 0 }
        let definition = job.definition
        let first = !someFailed ? nil : job.folder.failedRuns().min {
            (definition.index(ofRun: $0) ?? .max, $0) < (definition.index(ofRun: $1) ?? .max, $1)
        }
        let firstFailure = first.flatMap { id in
            job.folder.failure(id).map { reason in
                "\(id): " + String(reason.prefix(Self.quotedFailure)) + (reason.count > Self.quotedFailure ? "…" : "")
            }
        }
        board.condition.lock()
        job.finalizing = false
        guard board.jobs[job.definition.id] === job else {
            board.active.removeAll { $0 === job }
            board.condition.unlock()
            return
        }
        if let recount { job.apply(recount) }
        if let sizes { job.datasetBytes = sizes }
        let failed =
            error
            ?? (job.progress.runsFailed > 0
                ? "\(job.progress.runsFailed) run(s) failed" + (firstFailure.map { "; the first, \($0)" } ?? "") : nil)
        job.error = nil
        let (snapshot, status) = board.finish(job, as: failed == nil ? .completed : .failed, error: failed)
        let progress = job.progress
        board.condition.unlock()
        try? job.write(snapshot)
        if let url = job.definition.notifyURL { notifier.send(status, to: url, keptIn: job.folder.path) }
        log.info(
            "sweep_finished",
            [
                "sweep": .string(job.definition.id), "status": status["status"] ?? .null,
                "runs_completed": .int(progress.runsCompleted), "runs_failed": .int(progress.runsFailed),
            ])
    }
}
