import ArgumentParser
import Foundation
import MorphicCore

/// `morphic bench`: the simulation core's throughput, or with `--sweep` the whole pipeline's.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Print the simulation core's throughput in cell-updates per second (one core).",
        discussion: """
            Build with -c release for meaningful figures. Each row is whole runs, metrics included, \
            on one core: the small grids' rows are the plan's own runs (200 generations, a run id \
            and seed each, as a sweep draws them), since one long run settles into still life and \
            times an idle grid; the large grids' rows are one run each. Rates are best, median \
            and worst of --repeats.

            With --plan, computes the plan's sweep (5,000 runs at 25²×200: 2,000 classical, 3,000 \
            morphic with 5 crystals) into every dataset file and the archive on all cores, as \
            'morphic sweep' does, and prints its wall time with the time of each part (simulation, \
            records, features, tables, archive), best, median and worst of --repeats.

            With --sweep, runs 'morphic sweep' in a child process on sweeps of tiny runs (grid 8, \
            10 generations) and prints, for each size, runs per second end to end (records, \
            dataset files and archive) and the child's peak memory.
            Example: morphic bench --sweep 10000,100000,1000000 --folder /scratch/bench
            """
    )

    @Option(
        parsing: .unconditional,
        help: "Repeat each case this many times (the core's rows and --plan report best, median and worst).")
    var repeats = 3

    @Option(
        parsing: .unconditional,
        help: "Comma-separated sweep sizes to time end to end instead of the core.",
        transform: { text in
            let sizes = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !sizes.isEmpty, sizes.allSatisfy({ ($0 ?? 0) >= 1 }) else {
                throw ValidationError("--sweep takes sizes such as 10000,100000,1000000")
            }
            return sizes.map { $0! }
        })
    var sweep: [Int]?

    @Option(help: "A finished sweep's folder: time training it as a reference and answering a posterior for each of its test runs.")
    var infer: String?

    @Flag(help: "Time the plan's 5,000-run sweep end to end, with its breakdown, instead of the core.")
    var plan = false

    @Option(help: "Where --sweep and --plan write their datasets (each removed after it is measured). [default: a temporary folder]")
    var folder: String?

    func validate() throws {
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1, not \(repeats)") }
    }

    func run() throws {
        if [sweep != nil, plan, infer != nil].filter({ $0 }).count > 1 {
            throw ValidationError("--sweep, --plan and --infer are separate benches; give one")
        }
        if let sweep { return try benchSweeps(sweep) }
        if let infer { return try benchInference(infer) }
        if plan { return try benchPlan() }
        // (mode, grid, generations, runs): the small grids as the plan's sweeps run them.
        let cases: [(Mode, Int, Int, Int)] = [
            (.classical, 25, 200, 1000), (.classical, 64, 200, 200), (.classical, 256, 500, 1),
            (.classical, 1024, 100, 1), (.morphic, 25, 200, 300), (.morphic, 64, 200, 50), (.morphic, 256, 200, 1),
        ]
        print("mode       grid   generations   runs        best      median       worst   (cell-updates/s)")
        for (mode, size, generations, runs) in cases {
            var configuration = RunConfiguration()
            configuration.mode = mode
            configuration.gridSize = size
            configuration.generations = generations
            var seconds: [Double] = []
            for _ in 0..<repeats {
                let start = DispatchTime.now().uptimeNanoseconds
                for run in 1...runs {
                    var simulation = try Simulation(configuration: configuration, runID: "run_\(run)", sweepSeed: 42)
                    simulation.runToEnd()
                    _ = simulation.result
                }
                seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            seconds.sort()
            let cellSteps = Double(configuration.cellSteps * runs)
            print(
                mode.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
                    + String(
                        format: " %5d   %11d   %4d   %9.3g   %9.3g   %9.3g", size, generations, runs,
                        cellSteps / seconds.first!, cellSteps / seconds[seconds.count / 2], cellSteps / seconds.last!))
        }
    }

    /// Times the plan's sweep in this process (``PlanBench``).
    private func benchPlan() throws {
        let root = folder ?? NSTemporaryDirectory() + "morphic-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        defer { if folder == nil { try? FileManager.default.removeItem(atPath: root) } }
        do {
            try PlanBench(root: root, repeats: repeats).run()
        } catch let error as BenchError {
            throw ValidationError(error.description)
        }
    }

    /// Times `morphic sweep` on tiny runs in a child process, whose peak memory `wait4` reports.
    private func benchSweeps(_ sizes: [Int]) throws {
        let root = folder ?? NSTemporaryDirectory() + "morphic-bench-\(getpid())"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        for runs in sizes where FileManager.default.fileExists(atPath: root + "/tiny-\(runs)") {
            throw ValidationError("\(root)/tiny-\(runs) exists; remove it or choose another --folder")
        }
        let binary = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        print("runs        seconds   runs/s     peak memory")
        for runs in sizes {
            let definition = root + "/tiny-\(runs).json"
            let output = root + "/tiny-\(runs)"
            try Array(
                #"{"name": "tiny", "defaults": {"grid_size": 8, "generations": 10}, "groups": [{"prefix": "r", "replicates": \#(runs)}]}"#
                    .utf8
            ).withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: definition)) }
            let arguments = [binary, "sweep", definition, "--output", output, "--quiet", "--max-runs", String(runs)]
            let start = DispatchTime.now().uptimeNanoseconds
            let (status, peak) = try Self.spawn(arguments)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            // rm streams the listing; Foundation would hold a million names.
            _ = try? Self.spawn(["/bin/rm", "-rf", output, definition])
            guard status == 0 else { throw ValidationError("morphic sweep of \(runs) runs exited with \(status)") }
            print(
                String(runs).padding(toLength: 10, withPad: " ", startingAt: 0)
                    + String(format: "  %7.2f   %8.0f   %6.1f MB", seconds, Double(runs) / seconds, Double(peak) / 1024))
        }
        if folder == nil { try? FileManager.default.removeItem(atPath: root) }
    }

    /// Runs `arguments` and returns its exit status and peak resident memory in KiB.
    private static func spawn(_ arguments: [String]) throws -> (status: Int32, peakKiB: Int) {
        var pid: pid_t = 0
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        // The child's summary line would interleave with the table.
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let code = posix_spawn(&pid, arguments[0], &actions, nil, &argv, environ)
        guard code == 0 else { throw ValidationError("cannot start \(arguments[0]): \(String(cString: strerror(code)))") }
        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 && errno == EINTR {}
        let exited = status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        return (exited, usage.ru_maxrss)
    }
}
