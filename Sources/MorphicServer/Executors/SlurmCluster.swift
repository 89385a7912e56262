import Foundation
import HTTPClient
import MorphicData

/// Runs sweeps on a Slurm cluster: each sweep becomes a job array whose task I computes
/// shard I/N with `morphic sweep --shard` straight into the sweep's folder, which must be on
/// storage every node shares. Each task keeps a small progress file (`slurm/progress-I.json`)
/// and its exit status (`slurm/exit-I-JOB`), so one poll reads one file per shard and one
/// `squeue` for every sweep; a task that ends unfinished is submitted again, up to a retry
/// budget, unless it was refused as a usage error, which no retry can mend.
///
/// Only the server's Slurm thread calls it, never under the service lock, and every command
/// has a deadline. Job ids live in the sweep folder (`slurm/state.json`), and jobs are named
/// after this server's instance and the sweep (``jobName(_:)``), so a restarted server
/// reattaches instead of submitting again, a cancel reaches jobs whose ids were never saved,
/// and two servers on one cluster running the same definition never touch each other's jobs.
final class SlurmCluster: Sendable {
    let settings: SlurmSettings
    /// The limits the server accepted the sweep under, handed to its tasks.
    let limits: SweepLimits
    /// This server's own id, kept in its data directory: part of every job name.
    let instance: String
    private let log: Log

    init(settings: SlurmSettings, limits: SweepLimits, instance: String, log: Log) {
        self.settings = settings
        self.limits = limits
        self.instance = instance
        self.log = log
    }

    /// The file in the data directory that keeps the server's instance id.
    static let instanceFile = "slurm-instance"

    /// This data directory's instance id: made once at random (12 hex digits) and kept, so
    /// the server finds its jobs again after a restart, and another server (another data
    /// directory) never takes them for its own.
    static func instance(in dataDirectory: String) throws -> String {
        let path = dataDirectory + "/" + instanceFile
        if let data = FileManager.default.contents(atPath: path) {
            let id = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard !id.isEmpty, id.count <= 32, id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
                throw Failure(description: "\(path) does not hold an instance id (letters and digits); remove it to make a new one")
            }
            return id
        }
        var generator = SystemRandomNumberGenerator()
        let id = (0..<6).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        try AtomicFile.write(Array((id + "\n").utf8), to: path)
        return id
    }

    /// Pending reasons (`squeue %r`) that waiting cannot resolve: the request breaks a limit
    /// of the partition, account or QOS, or names what the cluster does not have. A sweep whose
    /// tasks pend for one of these fails with it, instead of staying queued for ever.
    static let unsatisfiableReasons: Set<String> = [
        "PartitionConfig", "PartitionNodeLimit", "PartitionTimeLimit", "BadConstraints", "InvalidAccount",
        "InvalidQOS", "AccountNotAllowed", "QOSNotAllowed", "DependencyNeverSatisfied", "ReqNodeNotAvail",
    ]

    /// Whether a pending reason can never resolve. `ReqNodeNotAvail` is so only when no node
    /// is named as merely unavailable (down or drained nodes may come back).
    static func isUnsatisfiable(_ reason: String) -> Bool {
        let name = reason.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? reason
        guard unsatisfiableReasons.contains(name) else { return false }
        if name == "ReqNodeNotAvail" {
            let nodes = reason.components(separatedBy: "UnavailableNodes:").dropFirst().first ?? ""
            return nodes.trimmingCharacters(in: .whitespaces).isEmpty
        }
        return true
    }

    /// What the server remembers of a sweep's jobs.
    struct State {
        var jobs: [String]
        var shards: Int
        var attempts: [Int]
        /// The job that last ran each shard, whose log and exit status tell how it ended.
        var lastJob: [String]

        var json: JSON {
            .object([
                "jobs": .array(jobs.map { .string($0) }), "shards": .int(shards),
                "attempts": .array(attempts.map { .int($0) }), "last_job": .array(lastJob.map { .string($0) }),
            ])
        }

        init(jobs: [String], shards: Int, attempts: [Int], lastJob: [String]) {
            self.jobs = jobs
            self.shards = shards
            self.attempts = attempts
            self.lastJob = lastJob
        }

        init?(_ json: JSON) {
            guard let jobs = json["jobs"]?.elements?.compactMap(\.stringValue), let shards = json["shards"]?.intValue,
                let attempts = json["attempts"]?.elements?.compactMap(\.intValue), attempts.count == shards, !jobs.isEmpty
            else { return nil }
            let last = json["last_job"]?.elements?.compactMap(\.stringValue) ?? []
            self.init(
                jobs: jobs, shards: shards, attempts: attempts,
                lastJob: last.count == shards ? last : Array(repeating: jobs[0], count: shards))
        }
    }

    /// A scheduler command that failed, or answered what cannot be used.
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// One task of the queue.
    struct Task: Equatable {
        /// `PENDING`, `RUNNING`, …
        let state: String
        /// Why it waits, when it does (`Resources`, `Priority`, …).
        let reason: String
    }

    /// The job name of a sweep's arrays, this server's and this sweep's alone: how a cancel
    /// finds jobs whose ids were not saved.
    func jobName(_ sweep: String) -> String { "morphic-" + instance + "-" + sweep }

    private static func statePath(_ folder: SweepFolder) -> String { folder.path + "/slurm/state.json" }

    /// The stored state of a sweep's jobs, if it was submitted.
    func load(_ folder: SweepFolder) -> State? {
        FileManager.default.contents(atPath: Self.statePath(folder)).flatMap { try? JSONParser.parse(Array($0)) }
            .flatMap(State.init)
    }

    private func save(_ state: State, in folder: SweepFolder) throws {
        try AtomicFile.write(state.json.prettyBytes, to: Self.statePath(folder))
    }

    /// Removes what a previous submission left, so that a retried sweep starts a new array.
    func forget(_ folder: SweepFolder) {
        try? FileManager.default.removeItem(atPath: Self.statePath(folder))
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path + "/slurm")) ?? []
        where name.hasPrefix("progress-") || name.hasPrefix("exit-") {
            try? FileManager.default.removeItem(atPath: folder.path + "/slurm/" + name)
        }
    }

    /// The cluster's `MaxArraySize`, asked once at start; nil when Slurm does not answer.
    func maximumArraySize() throws -> Int {
        let output = try command(["scontrol", "show", "config"])
        for line in output.split(separator: "\n") where line.hasPrefix("MaxArraySize") {
            if let value = line.split(separator: "=").last.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) {
                return value
            }
        }
        throw Failure(description: "scontrol show config did not say MaxArraySize")
    }

    /// How many tasks a sweep gets: `slurm.shards`, at most one per coupling group.
    func shards(_ definition: SweepDefinition) -> Int { max(1, min(settings.shards, definition.couplingGroups.count)) }

    /// Submits the whole sweep as one job array.
    func submit(_ definition: SweepDefinition, in folder: SweepFolder, maximumArraySize: Int?) throws -> State {
        let shards = shards(definition)
        if let maximumArraySize, shards > maximumArraySize {
            throw Failure(
                description:
                    "slurm.shards gives this sweep \(shards) tasks, but the cluster's MaxArraySize allows \(maximumArraySize)")
        }
        try AtomicFile.write(definition.normalized.prettyBytes, to: folder.path + "/slurm/sweep.json")
        // This server's own binary by its path, even when it was started from the PATH.
        let binary =
            settings.binary ?? (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        let slurm = folder.path + "/slurm"
        // The exit status is kept per attempt: 64 (a usage error) is not worth a retry.
        let script = """
            #!/bin/bash
            #SBATCH --job-name=\(jobName(definition.id))
            #SBATCH --output=\(slurm)/task-%a-%A.log
            #SBATCH --open-mode=append
            #SBATCH --cpus-per-task=\(settings.cpusPerTask)
            '\(binary)' sweep '\(slurm)/sweep.json' --output '\(folder.path)' \\
                --shard "$SLURM_ARRAY_TASK_ID/\(shards)" --workers \(settings.cpusPerTask) --quiet \\
                --max-runs \(limits.maximumRuns) --max-cell-steps \(limits.maximumCellSteps) \\
                --max-sweep-bytes \(limits.maximumEstimatedBytes) --max-snapshot-bytes \(limits.maximumSnapshotBytes) \\
                --progress-file "\(slurm)/progress-$SLURM_ARRAY_TASK_ID.json"
            code=$?
            echo "$code" > "\(slurm)/exit-$SLURM_ARRAY_TASK_ID-$SLURM_ARRAY_JOB_ID"
            exit "$code"

            """
        try AtomicFile.write(Array(script.utf8), to: slurm + "/task.sh")
        let job = try sbatch(array: "0-\(shards - 1)%\(max(1, settings.parallel))", folder: folder)
        let state = State(
            jobs: [job], shards: shards, attempts: Array(repeating: 1, count: shards),
            lastJob: Array(repeating: job, count: shards))
        try save(state, in: folder)
        log.info("slurm_submitted", ["sweep": .string(definition.id), "job": .string(job), "shards": .int(shards)])
        return state
    }

    private func sbatch(array: String, folder: SweepFolder) throws -> String {
        let output = try command(
            ["sbatch", "--parsable", "--array=\(array)"] + settings.sbatchOptions + [folder.path + "/slurm/task.sh"])
        guard let job = output.split(separator: ";").first.map({ $0.trimmingCharacters(in: .whitespacesAndNewlines) }),
            !job.isEmpty, job.allSatisfy(\.isNumber)
        else { throw Failure(description: "sbatch gave no job id: \(output.prefix(200))") }
        return job
    }

    /// The tasks of `jobs` still in the queue, by array job and task index: one `squeue` for
    /// every sweep.
    func queue(_ jobs: [String]) throws -> [String: [Int: Task]] {
        guard !jobs.isEmpty else { return [:] }
        let output = try command(["squeue", "-h", "-r", "-o", "%F|%K|%T|%r", "-j", jobs.joined(separator: ",")])
        var tasks: [String: [Int: Task]] = [:]
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 4, let index = Int(fields[1]) else { continue }
            tasks[fields[0], default: [:]][index] = Task(state: fields[2], reason: fields[3])
        }
        return tasks
    }

    /// Where a sweep's shards stand.
    struct Survey {
        /// Runs with records, and runs that failed, from the shards' progress files.
        var completed = 0
        var failed = 0
        /// Shards whose task reported it finished, or whose runs were failed for good.
        var done: Set<Int> = []
        /// Shards with a task running, and with one waiting (with Slurm's reason).
        var running: Set<Int> = []
        var pending: [Int: String] = [:]
        /// Pending reasons that cannot resolve (``isUnsatisfiable(_:)``), by shard.
        var unsatisfiable: [Int: String] = [:]
    }

    /// Looks at the queue and the shards' files; resubmits shards whose task ended
    /// unfinished, and fails the runs of shards out of retries or refused as a usage error.
    /// `groups` are the sweep's coupling groups, in order.
    func advance(
        _ definition: SweepDefinition, groups: CouplingGroups, in folder: SweepFolder, state: inout State,
        queue: [String: [Int: Task]]
    ) throws -> Survey {
        var survey = Survey()
        var resubmit: [Int] = []
        for shard in 0..<state.shards {
            let progress = Self.progress(folder, shard: shard)
            survey.completed += progress?.completed ?? 0
            survey.failed += progress?.failed ?? 0
            if progress?.finished == true {
                survey.done.insert(shard)
                continue
            }
            if let task = state.jobs.lazy.compactMap({ queue[$0]?[shard] }).first {
                if task.state == "PENDING" {
                    survey.pending[shard] = task.reason
                    if Self.isUnsatisfiable(task.reason) { survey.unsatisfiable[shard] = task.reason }
                } else {
                    survey.running.insert(shard)
                }
                continue
            }
            // Its task has left the queue unfinished.
            let job = state.lastJob[shard]
            let exit = Self.exitStatus(folder, shard: shard, job: job)
            if exit != 64 && state.attempts[shard] <= settings.retries {
                resubmit.append(shard)
                continue
            }
            let numbers = Swift.stride(from: shard, to: groups.count, by: state.shards)
            let finished = RecordStore(folder).finishedRuns(of: definition, groups: numbers)
            // Stopped from outside: Slurm's cancel and limits signal the task, whose script then
            // writes no exit status or, when it outlives its command, 128 plus the signal's number.
            let stopped =
                exit == nil
                ? " (the last ended without an exit status: cancelled in Slurm, out of its time or memory, or its node lost)"
                : exit.map { $0 > 128 && $0 < 160 } == true
                    ? " (the last was stopped by signal \(exit! - 128): cancelled in Slurm, or out of its time or memory)" : ""
            let why =
                exit == 64
                ? "the Slurm task of shard \(shard)/\(state.shards) was refused"
                : "the Slurm task of shard \(shard)/\(state.shards) failed \(state.attempts[shard]) times" + stopped
            let message = why + ": " + Self.tail(folder, shard: shard, job: job)
            var total = 0
            for number in numbers {
                for index in definition.runs.runs(ofGroup: number) {
                    total += 1
                    let run = definition.runs[index]
                    if !finished.contains(index) && folder.failure(run.id) == nil {
                        try folder.recordFailure(run.id, message: message)
                        survey.failed += 1
                    }
                }
            }
            try AtomicFile.write(
                JSON.object([
                    "runs_total": .int(total), "runs_completed": .int(finished.count),
                    "runs_failed": .int(total - finished.count), "finished": .bool(true),
                ]).compactBytes, to: folder.path + "/slurm/progress-\(shard).json")
            survey.done.insert(shard)
            log.error(
                "slurm_shard_failed", ["sweep": .string(definition.id), "shard": .int(shard), "error": .string(message)])
        }
        if !resubmit.isEmpty {
            let job = try sbatch(array: resubmit.map(String.init).joined(separator: ","), folder: folder)
            state.jobs.append(job)
            for shard in resubmit {
                state.attempts[shard] += 1
                state.lastJob[shard] = job
            }
            try save(state, in: folder)
            for shard in resubmit { survey.pending[shard] = "resubmitted" }
            log.info(
                "slurm_resubmitted",
                ["sweep": .string(definition.id), "job": .string(job), "shards": .array(resubmit.map { .int($0) })])
        }
        return survey
    }

    /// Cancels every job of a sweep: the saved ids, and by name those that were submitted
    /// but never saved.
    func cancel(_ sweep: String, jobs: [String]) throws {
        _ = try command(["scancel", "--name=" + jobName(sweep)] + jobs)
    }

    /// Whether none of a sweep's jobs is in the queue any more, by name and by id.
    func isGone(_ sweep: String, jobs: [String]) throws -> Bool {
        let byName = try command(["squeue", "-h", "-o", "%i", "--name=" + jobName(sweep)])
        guard byName.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return false }
        return try queue(jobs).isEmpty
    }

    private static func progress(_ folder: SweepFolder, shard: Int) -> (completed: Int, failed: Int, finished: Bool)? {
        guard let data = FileManager.default.contents(atPath: folder.path + "/slurm/progress-\(shard).json"),
            let json = try? JSONParser.parse(Array(data))
        else { return nil }
        return (
            json["runs_completed"]?.intValue ?? 0, json["runs_failed"]?.intValue ?? 0,
            json["finished"] == .bool(true)
        )
    }

    private static func exitStatus(_ folder: SweepFolder, shard: Int, job: String) -> Int? {
        (try? String(contentsOfFile: folder.path + "/slurm/exit-\(shard)-\(job)", encoding: .utf8)).flatMap {
            Int($0.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    /// The end of a task's log, cleaned, for its runs' error.
    private static func tail(_ folder: SweepFolder, shard: Int, job: String) -> String {
        let path = folder.path + "/slurm/task-\(shard)-\(job).log"
        guard let data = FileManager.default.contents(atPath: path), !data.isEmpty else {
            return "no output; see slurm/task-\(shard)-\(job).log"
        }
        let lines = String(decoding: data.suffix(2000), as: UTF8.self).split(separator: "\n").suffix(3).map { line in
            // The shell's word on a command it lost (`/var/spool/…/slurm_script: line 10: 25310
            // Killed  morphic sweep …`) without the node's spool path and the process id, so
            // that what happened ("Killed") comes first, not past the cut.
            line.replacing(/\S*slurm_script: line [0-9]+: ([0-9]+ +)?/, with: "the task's script: ")
        }
        return Redaction.clean(lines.joined(separator: " | "), limit: 400)
    }

    /// Runs a Slurm command under `slurm.command_timeout_seconds`; its standard output.
    private func command(_ arguments: [String]) throws -> String {
        // Slurm's commands retry a missing configuration for a minute; say so at once.
        if let conf = ProcessInfo.processInfo.environment["SLURM_CONF"], !FileManager.default.fileExists(atPath: conf) {
            throw Failure(description: "SLURM_CONF names \(conf), which does not exist")
        }
        let result: ChildProcess.Output
        do {
            result = try ChildProcess.run(arguments, timeout: settings.commandTimeout)
        } catch {
            throw Failure(description: error.description)
        }
        // squeue and scancel exit non-zero when a job is known no more: for them, that is
        // "not queued" and "already gone".
        let gone = ["squeue", "scancel"].contains(arguments[0]) && result.errors.contains("Invalid job id")
        if result.status != 0 && !gone {
            throw Failure(
                description:
                    "\(arguments[0]) failed (\(result.status)): \(Redaction.clean(result.errors.trimmingCharacters(in: .whitespacesAndNewlines)))"
            )
        }
        return result.output
    }
}
