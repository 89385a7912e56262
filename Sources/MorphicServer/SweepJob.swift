import Foundation
import MorphicData
import Synchronization

/// A sweep the server knows, with its scheduling state. Its `var`s belong to the
/// ``JobService`` lock; `cancelled` is read by workers between steps without it.
final class SweepJob: @unchecked Sendable {
    let definition: SweepDefinition
    let folder: SweepFolder
    let groups: [[PlannedRun]]
    let sequence: Int
    let createdAt: Date
    /// Set to stop the sweep's running groups at their next step.
    let cancelled = Atomic<Bool>(false)
    /// Summary statistics of finished runs, by run id, as read from their records.
    let summaries = Mutex<[String: JSON]>([:])

    var state: SweepState
    var startedAt: Date?
    var finishedAt: Date?
    var error: String?
    /// Groups whose runs all have records or failures.
    var groupDone: [Bool]
    /// Groups being computed now.
    var runningGroups = Set<Int>()
    /// Where the scheduler looks for the next group.
    var cursor = 0
    var finalizing = false
    var progress = SweepRunner.Progress()
    /// Monotonic time and cell updates when computing started in this process, for the ETA.
    var rateOrigin: (time: Double, cellSteps: Int)?

    init(definition: SweepDefinition, folder: SweepFolder, sequence: Int, createdAt: Date, state: SweepState) {
        self.definition = definition
        self.folder = folder
        self.sequence = sequence
        self.createdAt = createdAt
        self.state = state
        groups = definition.couplingGroups
        groupDone = Array(repeating: false, count: groups.count)
        recount()
    }

    /// Recomputes which groups are done, and the progress, from the files on disk.
    func recount() {
        var progress = SweepRunner.Progress()
        for (index, group) in groups.enumerated() {
            var done = true
            for run in group {
                progress.runsTotal += 1
                progress.cellStepsTotal += run.configuration.cellSteps
                if folder.hasRun(run.id) {
                    progress.runsCompleted += 1
                    progress.cellStepsDone += run.configuration.cellSteps
                } else if folder.failure(run.id) != nil {
                    progress.runsFailed += 1
                    progress.cellStepsDone += run.configuration.cellSteps
                } else {
                    done = false
                }
            }
            groupDone[index] = done
        }
        self.progress = progress
        cursor = 0
    }

    /// The next group to compute, if any is left to hand out.
    func nextGroup() -> Int? {
        while cursor < groups.count && groupDone[cursor] { cursor += 1 }
        guard cursor < groups.count else { return nil }
        cursor += 1
        return cursor - 1
    }

    /// Whether every group has been handed out and none is still running.
    var isDrained: Bool {
        while cursor < groups.count && groupDone[cursor] { cursor += 1 }
        return cursor >= groups.count && runningGroups.isEmpty
    }

    var statusPath: String { folder.path + "/status.json" }

    /// Writes the state that must survive a restart.
    func persist() throws {
        var members: [JSON.Member] = [
            .init("status", .string(state.rawValue)),
            .init("sequence", .int(sequence)),
            .init("created_at", .string(Timestamp.string(createdAt))),
            .init("started_at", startedAt.map { .string(Timestamp.string($0)) } ?? .null),
            .init("finished_at", finishedAt.map { .string(Timestamp.string($0)) } ?? .null),
        ]
        if let error { members.append(.init("error", .string(error))) }
        try AtomicFile.write(JSON.object(members).prettyBytes, to: statusPath)
    }

    /// The sweep's status as the API shows it.
    func json(now: Double) -> JSON {
        var eta: JSON = .null
        if state.isActive, let origin = rateOrigin, now > origin.time {
            let rate = Double(progress.cellStepsDone - origin.cellSteps) / (now - origin.time)
            if rate > 0 {
                eta = .double((Double(progress.cellStepsTotal - progress.cellStepsDone) / rate * 10).rounded() / 10)
            }
        }
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
            .init("eta_seconds", eta),
            .init(
                "links",
                .object([
                    "self": .string(base), "runs": .string(base + "/runs"),
                    "manifest": .string(base + "/manifest.json"), "dataset": .string(base + "/dataset.tar.gz"),
                ])),
        ]
        if let error { members.append(.init("error", .string(error))) }
        return .object(members)
    }
}
