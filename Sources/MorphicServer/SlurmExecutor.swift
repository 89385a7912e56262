import Foundation
import MorphicData

/// Runs sweeps on a Slurm cluster: each sweep becomes a job array whose task I computes
/// shard I/N with `morphic sweep --shard` straight into the sweep's folder, which must be on
/// storage every node shares. A shard is done when all its runs have records, so progress is
/// counted from the files, whatever Slurm says; a task that ends without finishing its shard
/// is submitted again, up to a retry budget.
///
/// Job ids live in the sweep folder (`slurm/state.json`), so a restarted server reattaches to
/// its jobs instead of submitting again.
final class SlurmExecutor: Sendable {
    let settings: SlurmSettings
    private let log: Log

    init(settings: SlurmSettings, log: Log) {
        self.settings = settings
        self.log = log
    }

    /// What the server remembers of a sweep's jobs.
    struct State {
        var jobs: [String]
        var shards: Int
        var attempts: [Int]

        var json: JSON {
            .object([
                "jobs": .array(jobs.map { .string($0) }), "shards": .int(shards),
                "attempts": .array(attempts.map { .int($0) }),
            ])
        }

        init(jobs: [String], shards: Int, attempts: [Int]) {
            self.jobs = jobs
            self.shards = shards
            self.attempts = attempts
        }

        init?(_ json: JSON) {
            guard let jobs = json["jobs"]?.elements?.compactMap(\.stringValue), let shards = json["shards"]?.intValue,
                let attempts = json["attempts"]?.elements?.compactMap(\.intValue), attempts.count == shards
            else { return nil }
            self.init(jobs: jobs, shards: shards, attempts: attempts)
        }
    }

    /// A failed scheduler command.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private static func statePath(_ folder: SweepFolder) -> String { folder.path + "/slurm/state.json" }

    /// The stored state of a sweep's jobs, if it was submitted.
    func load(_ folder: SweepFolder) -> State? {
        FileManager.default.contents(atPath: Self.statePath(folder)).flatMap { try? JSONParser.parse(Array($0)) }
            .flatMap(State.init)
    }

    private func save(_ state: State, in folder: SweepFolder) throws {
        try AtomicFile.write(state.json.prettyBytes, to: Self.statePath(folder))
    }

    /// Submits the whole sweep as one job array.
    func submit(_ definition: SweepDefinition, in folder: SweepFolder) throws -> State {
        let shards = max(1, min(settings.shards, definition.couplingGroups.count))
        try AtomicFile.write(definition.normalized.prettyBytes, to: folder.path + "/slurm/sweep.json")
        let binary = settings.binary ?? CommandLine.arguments[0]
        let script = """
            #!/bin/bash
            #SBATCH --job-name=morphic-\(definition.id.prefix(40))
            #SBATCH --output=\(folder.path)/slurm/task-%a.log
            #SBATCH --cpus-per-task=\(settings.cpusPerTask)
            exec '\(binary)' sweep '\(folder.path)/slurm/sweep.json' --output '\(folder.path)' \\
                --shard "$SLURM_ARRAY_TASK_ID/\(shards)" --workers \(settings.cpusPerTask) --quiet

            """
        try AtomicFile.write(Array(script.utf8), to: folder.path + "/slurm/task.sh")
        let job = try sbatch(array: "0-\(shards - 1)%\(max(1, settings.parallel))", folder: folder)
        let state = State(jobs: [job], shards: shards, attempts: Array(repeating: 1, count: shards))
        try save(state, in: folder)
        log.info("slurm_submitted", ["sweep": .string(definition.id), "job": .string(job), "shards": .int(shards)])
        return state
    }

    private func sbatch(array: String, folder: SweepFolder) throws -> String {
        let output = try run(
            "sbatch", ["--parsable", "--array=\(array)"] + settings.sbatchOptions + [folder.path + "/slurm/task.sh"])
        guard let job = output.split(separator: ";").first.map({ $0.trimmingCharacters(in: .whitespacesAndNewlines) }),
            !job.isEmpty, job.allSatisfy(\.isNumber)
        else { throw Failure(description: "sbatch gave no job id: \(output)") }
        return job
    }

    /// Where a sweep's shards stand.
    struct Survey {
        /// Shards whose runs all have records or failures.
        var done: Set<Int> = []
        /// Shards with a task queued or running.
        var inFlight: Set<Int> = []
    }

    /// Looks at the queue and the folder; resubmits shards whose task ended unfinished,
    /// and marks the runs of shards out of retries as failed.
    /// `groups` are the sweep's coupling groups, in order.
    func advance(_ definition: SweepDefinition, groups: [[PlannedRun]], in folder: SweepFolder, state: inout State)
        throws
        -> Survey
    {
        let queued = try queuedTasks(state.jobs)
        var survey = Survey()
        var missing: [Int: [PlannedRun]] = [:]
        for (index, group) in groups.enumerated() {
            let shard = index % state.shards
            for run in group where !folder.hasRun(run.id) && folder.failure(run.id) == nil {
                missing[shard, default: []].append(run)
            }
        }
        var resubmit: [Int] = []
        for shard in 0..<state.shards {
            if missing[shard] == nil {
                survey.done.insert(shard)
            } else if queued.contains(shard) {
                survey.inFlight.insert(shard)
            } else if state.attempts[shard] <= settings.retries {
                resubmit.append(shard)
            } else {
                let message =
                    "the Slurm task of shard \(shard)/\(state.shards) failed \(state.attempts[shard]) times; see slurm/task-\(shard).log"
                for run in missing[shard]! { try folder.recordFailure(run.id, message: message) }
                survey.done.insert(shard)
                log.error("slurm_shard_failed", ["sweep": .string(definition.id), "shard": .int(shard)])
            }
        }
        if !resubmit.isEmpty {
            let job = try sbatch(array: resubmit.map(String.init).joined(separator: ","), folder: folder)
            state.jobs.append(job)
            for shard in resubmit { state.attempts[shard] += 1 }
            try save(state, in: folder)
            survey.inFlight.formUnion(resubmit)
            log.info(
                "slurm_resubmitted",
                ["sweep": .string(definition.id), "job": .string(job), "shards": .array(resubmit.map { .int($0) })])
        }
        return survey
    }

    /// Cancels every job of a sweep.
    func cancel(_ state: State) {
        do {
            _ = try run("scancel", state.jobs)
        } catch {
            log.error(
                "slurm_cancel_failed",
                ["jobs": .array(state.jobs.map { .string($0) }), "error": .string(String(describing: error))])
        }
    }

    /// Array task indices of `jobs` still queued or running.
    private func queuedTasks(_ jobs: [String]) throws -> Set<Int> {
        let output = try run("squeue", ["-h", "-r", "-o", "%i", "-j", jobs.joined(separator: ",")], allowFailure: true)
        var tasks = Set<Int>()
        for line in output.split(separator: "\n") {
            let parts = line.split(separator: "_")
            if parts.count == 2, let index = Int(parts[1]) { tasks.insert(index) }
        }
        return tasks
    }

    /// Runs a Slurm command and returns its standard output.
    private func run(_ command: String, _ arguments: [String], allowFailure: Bool = false) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [command] + arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        do {
            try process.run()
        } catch {
            throw Failure(description: "cannot run \(command): \(error)")
        }
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let problem = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        // squeue exits non-zero when none of the jobs is known any more: that means "none queued".
        if process.terminationStatus != 0 && !(allowFailure && problem.contains("Invalid job id")) {
            throw Failure(
                description:
                    "\(command) failed (\(process.terminationStatus)): \(problem.trimmingCharacters(in: .whitespacesAndNewlines))"
            )
        }
        return text
    }
}
