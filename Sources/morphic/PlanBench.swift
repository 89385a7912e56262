import Dispatch
import Foundation
import Gzip
import MorphicCore
import MorphicData
import Synchronization

/// `morphic bench --plan`: the plan's own workload, 5,000 runs at 25²×200 (2,000 classical,
/// 3,000 morphic with 5 crystals), computed and assembled into every dataset file and the
/// archive on all cores, as `morphic sweep` does, with where the time goes.
///
/// The sweep itself is two passes (the runs and their records, then the dataset); the
/// breakdown times each part alone on the same runs, on as many threads as the pipeline
/// gives it: the simulation, the features and the archive's compression. Records are the
/// first pass less the simulation, tables the second less the features and the archive.
struct PlanBench {
    /// The sweep: the plan's seed sweep scaled to 5,000 runs.
    static let definition = #"""
        {"name": "plan", "seed": 42, "defaults": {"grid_size": 25, "generations": 200},
         "groups": [
           {"prefix": "control", "mode": "classical", "replicates": 2000},
           {"prefix": "morphic", "mode": "morphic", "replicates": 3000, "params": {"crystal_count": 5}}
         ]}
        """#

    /// Where each repeat's dataset is written (and removed after).
    let root: String
    let repeats: Int
    let workers = ProcessInfo.processInfo.activeProcessorCount

    /// One repeat's seconds (wall), by part, and the process's CPU seconds over the sweep
    /// (a busy machine stretches wall time, not CPU time).
    struct Timing {
        var cpu = 0.0
        var sweep = 0.0
        var runs = 0.0
        var assemble = 0.0
        var simulation = 0.0
        var features = 0.0
        var archive = 0.0
        var records: Double { max(0, runs - simulation) }
        var tables: Double { max(0, assemble - features - archive) }
    }

    func run() throws {
        let parsed = try SweepDefinition.parse(Array(Self.definition.utf8))
        let runs = parsed.runs.count
        print("the plan's sweep: \(runs) runs at 25²×200 (2,000 classical, 3,000 morphic), \(workers) workers")
        var timings: [Timing] = []
        for repeat_ in 0..<max(1, repeats) {
            timings.append(try measure(parsed, folder: root + "/plan-\(repeat_)"))
        }
        func row(_ name: String, _ part: (Timing) -> Double) {
            let values = timings.map(part).sorted()
            let median = values[values.count / 2]
            print(
                name.padding(toLength: 26, withPad: " ", startingAt: 0)
                    + String(format: "%8.3f %8.3f %8.3f", values.first!, median, values.last!))
        }
        print("seconds (wall)              best   median    worst")
        row("sweep, end to end", \.sweep)
        row("  CPU (all threads)", \.cpu)
        row("  runs and records", \.runs)
        row("  dataset and archive", \.assemble)
        print("measured alone:")
        row("  simulation", \.simulation)
        row("  records (runs − sim.)", \.records)
        row("  features", \.features)
        row("  tables (rest of dataset)", \.tables)
        row("  archive (compression)", \.archive)
        let best = timings.map(\.sweep).min()!
        print(String(format: "%.0f runs/s end to end (best)", Double(runs) / best))
    }

    private func measure(_ definition: SweepDefinition, folder path: String) throws -> Timing {
        guard !FileManager.default.fileExists(atPath: path) else {
            throw BenchError("\(path) exists; remove it or choose another --folder")
        }
        defer { try? FileManager.default.removeItem(atPath: path) }
        var timing = Timing()
        let folder = SweepFolder(path: path)
        let cpu = Self.cpuSeconds()
        let start = DispatchTime.now().uptimeNanoseconds
        try folder.prepare(for: definition)
        let progress = try SweepRunner(definition: definition, folder: folder, workers: workers).run()
        guard progress.runsCompleted == definition.runs.count else {
            throw BenchError("\(definition.runs.count - progress.runsCompleted) of the plan's runs did not finish")
        }
        let computed = DispatchTime.now().uptimeNanoseconds
        try Dataset.assemble(definition, in: folder, writesIndex: true)
        let assembled = DispatchTime.now().uptimeNanoseconds
        timing.runs = Double(computed - start) / 1e9
        timing.assemble = Double(assembled - computed) / 1e9
        timing.sweep = Double(assembled - start) / 1e9
        timing.cpu = Self.cpuSeconds() - cpu

        let planned = (0..<definition.runs.count).map { definition.runs[$0] }
        // The simulation alone, keeping the results for the features.
        var results = [RunResult?](repeating: nil, count: planned.count)
        timing.simulation = try timed {
            let failed = Mutex(false)
            results.withUnsafeMutableBufferPointer { results in
                let shared = Shared(results)
                parallel(planned.count) { index in
                    do {
                        var simulation = try Simulation(
                            configuration: planned[index].configuration, runID: planned[index].id,
                            sweepSeed: definition.seed)
                        simulation.runToEnd()
                        shared.results[index] = simulation.result
                    } catch {
                        failed.withLock { $0 = true }
                    }
                }
            }
            if failed.withLock({ $0 }) { throw BenchError("a run of the plan could not be configured") }
        }
        let finished = results.compactMap { $0 }
        timing.features = try timed {
            parallel(finished.count) { index in
                let series = finished[index].series
                let observable = [
                    series.population.map(Double.init), series.complexity, series.volatility,
                    series.patternDiversity.map(Double.init),
                ]
                _ = Features(observable: observable, convergenceGeneration: finished[index].summary.convergenceGeneration)
            }
        }
        // The archive's work is compressing the tar stream of the records and the files, in
        // blocks on every processor as the dataset does it.
        // A cursor reads each pack's headers once, not once a record.
        var records = RecordStore.Cursor(RecordStore(folder))
        var parts: [(bytes: [UInt8], compressed: Bool)] = planned.indices.compactMap {
            records.record(planned[$0], index: $0).map { ($0, false) }
        }
        for name in Dataset.files(definition) {
            guard let bytes = FileManager.default.contents(atPath: path + "/" + name) else {
                throw BenchError("the dataset has no \(name)")
            }
            parts.append((Array(bytes), Dataset.isCompressed(name)))
        }
        timing.archive = try timed {
            var compressed = 0
            let gzip = ParallelGzipWriter(level: 1) { compressed += $0.count }
            for part in parts { try gzip.write(part.bytes, compressed: part.compressed) }
            try gzip.finish()
        }
        return timing
    }

    /// Calls `body` for 0..<count on the pipeline's workers.
    private func parallel(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let next = Mutex(0)
        let chunk = 16
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let first = next.withLock { value in
                    defer { value += chunk }
                    return value
                }
                guard first < count else { return }
                for index in first..<min(count, first + chunk) { body(index) }
            }
        }
    }

    /// User and system CPU time of this process so far.
    private static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    private func timed(_ body: () throws -> Void) throws -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// The results buffer, written by the workers each at its own index.
    private struct Shared: @unchecked Sendable {
        let results: UnsafeMutableBufferPointer<RunResult?>
        init(_ results: UnsafeMutableBufferPointer<RunResult?>) { self.results = results }
    }
}

/// A bench that cannot go on, said plainly.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
