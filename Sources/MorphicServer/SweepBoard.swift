import Foundation
import MorphicData

/// The sweeps a server knows, and the one lock that guards their scheduling state: shared
/// by the ``JobService`` (requests), the executors (running groups) and the
/// ``SweepAssembler`` (writing datasets).
///
/// Every `var` of a ``SweepJob`` and of this board is read and written with `condition`
/// held, and nothing is done under it that can wait: files, commands and simulations run
/// after a snapshot taken under the lock. Any change that could hand out work or end a wait
/// broadcasts `condition`.
final class SweepBoard: @unchecked Sendable {
    let condition = NSCondition()
    /// Every stored sweep, by id.
    var jobs: [String: SweepJob] = [:]
    /// Queued and running sweeps (and finished ones still being assembled, and, on Slurm,
    /// cancelling ones), oldest first.
    var active: [SweepJob] = []
    /// Set at shutdown: every thread of the service returns at its next look.
    var stopping = false
    /// The server's counters since it started, for `/metrics`.
    var totals = (runsCompleted: 0, runsFailed: 0, cellSteps: 0)
    /// The service's threads: workers, the Slurm thread, the assembler.
    fileprivate let threads = DispatchGroup()

    /// Runs `body` with the lock held.
    func locked<T>(_ body: () throws -> T) rethrows -> T {
        condition.lock()
        defer { condition.unlock() }
        return try body()
    }

    /// Wakes every thread waiting for work or for a change.
    func wake() { locked { condition.broadcast() } }

    var isStopping: Bool { locked { stopping } }

    /// Waits up to `seconds`, or until shutdown (or any broadcast).
    func pause(_ seconds: Double) {
        condition.lock()
        if !stopping { _ = condition.wait(until: Date().addingTimeInterval(seconds)) }
        condition.unlock()
    }

    /// Ends an active sweep in `state`: it leaves the queue, its end is stamped, and the
    /// status to store (and to notify) is returned; the error names files within the
    /// sweep's folder, not where the server keeps it. Call with the lock held; write the
    /// snapshot after unlocking.
    func finish(_ job: SweepJob, as state: SweepState, error: String? = nil) -> (
        snapshot: (version: Int, bytes: [UInt8]), status: JSON
    ) {
        job.state = state
        if let error { job.error = job.named(error) }
        job.finishedAt = Date()
        job.waiting = nil
        job.progress.runsRunning = 0
        active.removeAll { $0 === job }
        condition.broadcast()
        return (job.snapshot(), job.json(now: Self.now()))
    }

    /// Monotonic seconds, for rates and back-off.
    static func now() -> Double { ProcessInfo.processInfo.systemUptime }
}

extension SweepBoard {
    /// Starts a named thread of the service, whose end ``join()`` waits for.
    func spawn(_ name: String, _ body: @escaping @Sendable () -> Void) {
        threads.enter()
        let thread = Thread { [threads] in
            body()
            threads.leave()
        }
        thread.name = name
        thread.start()
    }

    /// Waits until every thread started with ``spawn(_:_:)`` has returned.
    func join() { threads.wait() }
}
