import Foundation

/// Bounds the memory the sweeps' runs indexes hold together. An index lives as long as its
/// sweep (about 130 bytes a run), so without a bound every client that can read could make
/// the server hold the index of every stored sweep. Past ``limit`` runs, the indexes of the
/// sweeps asked least recently are dropped; a query that needs one again makes it again,
/// from the sweep's index file when it has been assembled (a fraction of a second for
/// 100,000 runs), else from its records.
final class RunIndexBudget: @unchecked Sendable {
    /// Most runs the indexes held together may cover; the sweep asked last is always kept.
    let limit: Int
    private let lock = NSLock()
    /// Sweeps whose index may be held, least recently asked first.
    private var held: [(job: Weak, runs: Int)] = []

    private struct Weak {
        weak var job: SweepJob?
    }

    init(limit: Int) {
        self.limit = limit
    }

    /// Notes that `job`'s index is about to be used, and drops the indexes of the sweeps
    /// asked least recently while the rest cover more than ``limit`` runs.
    func use(_ job: SweepJob) {
        let dropped: [SweepJob] = lock.withLock {
            held.removeAll { $0.job.job == nil || $0.job.job === job }
            held.append((Weak(job: job), job.definition.runs.count))
            var total = held.reduce(0) { $0 + $1.runs }
            var dropped: [SweepJob] = []
            while total > limit, held.count > 1 {
                let oldest = held.removeFirst()
                total -= oldest.runs
                if let job = oldest.job.job { dropped.append(job) }
            }
            return dropped
        }
        // Outside the budget's lock: a job's index lock is never taken while holding it.
        for job in dropped { job.dropIndex() }
    }
}
