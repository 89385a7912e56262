import Dispatch
import Foundation
import MorphicCore
import Synchronization

/// Computes a sweep's runs on a pool of worker threads, writing each run's record into the
/// sweep folder's packs as soon as it is done. Runs whose records are whole are not
/// computed again, so an interrupted sweep resumes where it stopped.
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
    private let records: RecordStore

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
        records = RecordStore(folder)
    }

    /// The progress so far.
    public var progress: Progress { state.withLock { $0.progress } }

    /// Computes every missing run. `isCancelled` is polled between steps; `report` is called
    /// about every `interval` seconds on the calling thread, and once at the end;
    /// `foundDamaged`, before any run is computed, with the ids of the runs whose records are
    /// there but none whole (``RecordStore/finishedRuns(of:groups:damaged:)``), which are
    /// computed again. The runs `recomputing` lists are computed whether their records are
    /// found or not (``Dataset/unvouchedRecords(_:in:)``).
    public func run(
        interval: Double = 0.2, isCancelled: @escaping @Sendable () -> Bool = { false }, recomputing: [Int] = [],
        foundDamaged: ([String]) -> Void = { _ in }, report: (Progress) -> Void = { _ in }
    ) throws -> Progress {
        let done = DispatchGroup()
        var damaged: [String] = []
        var found = records.finishedRuns(
            of: definition, groups: Swift.stride(from: first, to: groups.count, by: stride)
        ) { damaged.append(definition.runs[$0].id) }
        for index in recomputing { found.remove(index) }
        let finished = found
        if !damaged.isEmpty { foundDamaged(damaged) }
        for _ in 0..<min(workers, max(1, groupCount)) {
            done.enter()
            Thread.detachNewThread { [self] in
                work(finished: finished, isCancelled: isCancelled)
                done.leave()
            }
        }
        while done.wait(timeout: .now() + interval) == .timedOut { report(progress) }
        let (final, error) = state.withLock { ($0.progress, $0.error) }
        report(final)
        if let error { throw error }
        return final
    }

    private func work(finished: RunSet, isCancelled: @escaping @Sendable () -> Bool) {
        while true {
            let index: Int? = state.withLock { state in
                guard state.error == nil, state.next < groupCount else { return nil }
                state.next += 1
                return state.next - 1
            }
            guard let index, !isCancelled() else { return }
            let number = first + index * stride
            let indices = definition.runs.runs(ofGroup: number)
            let group = groups[number]
            // A record counts only if it is whole: one torn by a crash or a power loss is
            // computed again.
            if zip(indices, group).allSatisfy({ finished.contains($0) || folder.failure($1.id) != nil }) {
                state.withLock { state in
                    for (index, run) in zip(indices, group) {
                        if finished.contains(index) {
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
                    group: number, of: definition, records: records, llmTable: llmTable, llmSource: llmSource,
                    isCancelled: isCancelled
                ) { cells in
                    counted.withLock { $0 += cells }
                    state.withLock { $0.progress.cellStepsDone += cells }
                }
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

    /// Computes coupling group `number` of `definition` in lockstep and writes each member's
    /// record.
    ///
    /// - Parameter stepped: told the cell updates done, about every million.
    /// - Returns: false when cancelled before the end (nothing is written then).
    /// - Throws: ``RunFailure`` when the group cannot be computed (no language model), other
    ///   errors when its records cannot be written.
    public static func compute(
        group number: Int, of definition: SweepDefinition, records: RecordStore, llmTable: (() throws -> RuleTable)?,
        llmSource: RuleSource? = nil, isCancelled: () -> Bool, stepped: (Int) -> Void
    ) throws -> Bool {
        let indices = definition.runs.runs(ofGroup: number)
        let group = indices.map { definition.runs[$0] }
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
        var ensemble = Ensemble(try Simulation.group(group, sweepSeed: definition.seed, llmTable: table))
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
        for (index, (run, member)) in zip(indices, zip(group, ensemble.members)) {
            try records.write(
                RunRecord.prettyBytes(runID: run.id, result: member.result, source: llmSource), run: index)
        }
        return true
    }
}
