/// How sweeps become Slurm job arrays when the server's executor is `slurm`.
public struct SlurmSettings: Hashable, Sendable {
    /// Most array tasks (shards) per sweep; a sweep with fewer coupling groups gets fewer.
    public var shards = 8
    /// Tasks running at once (`--array=0-N%parallel`).
    public var parallel = 4
    /// Times a failed task is submitted again before its runs are marked failed.
    public var retries = 2
    /// The `morphic` binary as the nodes see it; nil means this server's own executable.
    public var binary: String?
    /// CPUs each task asks for, and its worker threads.
    public var cpusPerTask = 1
    /// Seconds between looks at the queue.
    public var pollSeconds = 2.0
    /// Seconds any Slurm command (`sbatch`, `squeue`, `scancel`, `scontrol`) may take before
    /// it is stopped and counted as failed. 30 s: a busy controller answers in a few.
    public var commandTimeout = 30.0
    /// Failed submissions of one sweep, each after a longer wait, before it fails with the
    /// reason. 5.
    public var submitAttempts = 5
    /// Further `sbatch` options, such as `--partition=batch`.
    public var sbatchOptions: [String] = []

    /// The defaults above.
    public init() {}

    /// Whether `option` sets what the server sets itself and relies on: the job's name
    /// (cancelling finds an array by it), its array, its output and error files (a failed
    /// task's reason is read from them), or a script in place of the task's. A long option
    /// may be abbreviated, as sbatch allows; a short one may hold its value.
    static func isReserved(_ option: String) -> Bool {
        if option.hasPrefix("--") {
            let name = option.dropFirst(2).prefix { $0 != "=" }
            return !name.isEmpty
                && ["job-name", "array", "output", "error", "open-mode", "wrap"].contains { $0.hasPrefix(name) }
        }
        return ["-J", "-a", "-o", "-e"].contains { option.hasPrefix($0) }
    }
}
