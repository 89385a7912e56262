import Dispatch
import Foundation
import MorphicCore
import Synchronization

/// Computes a sweep's runs on a pool of worker threads, writing each run's record into the
/// sweep folder as soon as it is done. Runs whose records exist are not computed again, so
/// an interrupted sweep resumes where it stopped.
public final class SweepRunner: Sendable {
    /// How far a sweep has come.
    public struct Progress: Hashable, Sendable {
        /// Runs to compute (in this shard).
        public var runsTotal = 0
        /// Runs whose records exist.
        public var runsCompleted = 0
        /// Runs that failed.
        public var runsFailed = 0
        /// Runs being computed now.
        public var runsRunning = 0
        /// Cell updates of all runs (in this shard).
        public var cellStepsTotal = 0
        /// Cell updates done, including those of runs found already finished.
        public var cellStepsDone = 0

        /// Nothing done yet.
        public init() {}

        /// Done fraction of the cell updates, 0...1.
        public var fraction: Double { cellStepsTotal == 0 ? 1 : Double(cellStepsDone) / Double(cellStepsTotal) }
    }

    /// The sweep.
    public let definition: SweepDefinition
    /// Where its records go.
    public let folder: SweepFolder
    private let workers: Int
    private let groups: CouplingGroups
    /// The coupling groups to compute: every one, or those of a shard (g ≡ index mod count).
    private let first: Int
    private let stride: Int
    private let groupCount: Int
    private let llmTable: (@Sendable () throws -> RuleTable)?
    private let llmSource: RuleSource?
    private let state: Mutex<State>
    private let journal: ChecksumJournal
    private let records: SweepFolder.RecordWriter

    private struct State {
        var next = 0
        var progress = Progress()
        var error: (any Error)?
    }

    /// Prepares to compute `definition` (only `shard` of it, when given) into `folder`;
    /// `llmTable` supplies the rule table of `llm_control` runs, `llmSource` where it comes from.
    public init(
        definition: SweepDefinition, folder: SweepFolder, workers: Int, shard: Shard? = nil,
        llmTable: (@Sendable () throws -> RuleTable)? = nil, llmSource: RuleSource? = nil
    ) {
        self.definition = definition
        self.llmTable = llmTable
        self.llmSource = llmSource
        self.folder = folder
        self.workers = max(1, workers)
        groups = definition.couplingGroups
        first = shard?.index ?? 0
        stride = shard?.count ?? 1
        groupCount = groups.count > first ? (groups.count - first + stride - 1) / stride : 0
        var progress = Progress()
        if shard == nil {
            progress.runsTotal = definition.runs.count
            progress.cellStepsTotal = definition.cellSteps
        } else {
            for index in Swift.stride(from: first, to: groups.count, by: stride) {
                let runs = definition.runs.runs(ofGroup: index)
                progress.runsTotal += runs.count
                progress.cellStepsTotal += runs.reduce(0) { $0 + definition.runs[$1].configuration.cellSteps }
            }
        }
        state = Mutex(State(progress: progress))
        journal = ChecksumJournal(folder: folder)
        records = SweepFolder.RecordWriter(folder)
    }

    /// The progress so far.
    public var progress: Progress { state.withLock { $0.progress } }

    /// Computes every missing run. `isCancelled` is polled between steps; `report` is called
    /// about every `interval` seconds on the calling thread, and once at the end.
    public func run(
        interval: Double = 0.2, isCancelled: @escaping @Sendable () -> Bool = { false },
        report: (Progress) -> Void = { _ in }
    ) throws -> Progress {
        let done = DispatchGroup()
        let checksums = ChecksumJournal.table(folder, definition: definition)
        for _ in 0..<min(workers, max(1, groupCount)) {
            done.enter()
            Thread.detachNewThread { [self] in
                work(checksums: checksums, isCancelled: isCancelled)
                done.leave()
            }
        }
        while done.wait(timeout: .now() + interval) == .timedOut { report(progress) }
        let (final, error) = state.withLock { ($0.progress, $0.error) }
        try journal.commit()
        report(final)
        if let error { throw error }
        return final
    }

    private func work(checksums: ChecksumTable, isCancelled: @escaping @Sendable () -> Bool) {
        while true {
            let index: Int? = state.withLock { state in
                guard state.error == nil, state.next < groupCount else { return nil }
                state.next += 1
                return state.next - 1
            }
            guard let index, !isCancelled() else { return }
            let group = groups[first + index * stride]
            // A record counts only if the journal vouches for it: one damaged by a power loss,
            // or written but not yet journaled when the process died, is computed again.
            if group.allSatisfy({ folder.verified($0, in: definition, checksums) || folder.failure($0.id) != nil }) {
                state.withLock { state in
                    for run in group {
                        if folder.hasRun(run.id) {
                            state.progress.runsCompleted += 1
                        } else {
                            state.progress.runsFailed += 1
                        }
                        state.progress.cellStepsDone += run.configuration.cellSteps
                    }
                }
                continue
            }
            state.withLock { $0.progress.runsRunning += group.count }
            let counted = Mutex(0)
            do {
                let finished = try Self.compute(
                    group, sweepSeed: definition.seed, records: records, journal: journal, llmTable: llmTable,
                    llmSource: llmSource, isCancelled: isCancelled
                ) { cells in
                    counted.withLock { $0 += cells }
                    state.withLock { $0.progress.cellStepsDone += cells }
                }
                try journal.commitIfDue()
                state.withLock { state in
                    state.progress.runsRunning -= group.count
                    if finished {
                        state.progress.runsCompleted += group.count
                    } else {
                        // A stopped group starts again from its first step.
                        state.progress.cellStepsDone -= counted.withLock { $0 }
                    }
                }
            } catch let failure as RunFailure {
                do {
                    for run in group { try folder.recordFailure(run.id, message: failure.description) }
                } catch {
                    state.withLock { $0.error = $0.error ?? error }
                    return
                }
                let cells = group.reduce(0) { $0 + $1.configuration.cellSteps } - counted.withLock { $0 }
                state.withLock { state in
                    state.progress.runsRunning -= group.count
                    state.progress.runsFailed += group.count
                    state.progress.cellStepsDone += cells
                }
            } catch {
                state.withLock { state in
                    state.progress.runsRunning -= group.count
                    state.error = state.error ?? error
                }
                return
            }
        }
    }

    /// Computes one coupling group in lockstep and writes each member's record, noting its
    /// digest in `journal` (which the caller commits in batches).
    ///
    /// - Parameter stepped: told the cell updates done, about every million.
    /// - Returns: false when cancelled before the end (nothing is written then).
    /// - Throws: ``RunFailure`` when the group cannot be computed (no language model), other
    ///   errors when its records cannot be written.
    public static func compute(
        _ group: [PlannedRun], sweepSeed: UInt64, records: SweepFolder.RecordWriter, journal: ChecksumJournal,
        llmTable: (() throws -> RuleTable)?,
        llmSource: RuleSource? = nil, isCancelled: () -> Bool, stepped: (Int) -> Void
    ) throws -> Bool {
        var table: RuleTable?
        if group.contains(where: { $0.configuration.mode == .llmControl }) {
            guard let llmTable else {
                throw RunFailure("llm_control needs a language model endpoint, and none is configured")
            }
            do {
                table = try llmTable()
            } catch {
                throw RunFailure(String(describing: error))
            }
        }
        var ensemble = Ensemble(try Simulation.group(group, sweepSeed: sweepSeed, llmTable: table))
        let cellsPerStep = group.reduce(0) { $0 + $1.configuration.cellCount }
        var pending = 0
        while !ensemble.isFinished {
            guard !isCancelled() else { return false }
            ensemble.step()
            pending += cellsPerStep
            if pending >= 1 << 20 {
                stepped(pending)
                pending = 0
            }
        }
        stepped(pending)
        for (run, member) in zip(group, ensemble.members) {
            let bytes = RunRecord.json(runID: run.id, result: member.result, source: llmSource).prettyBytes
            try records.write(bytes, as: run.fileName)
            journal.add(file: run.fileName, bytes: bytes)
        }
        return true
    }
}
