import ArgumentParser
import Foundation
import MorphicCore

/// `morphic bench`: the simulation core's throughput.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Print the simulation core's throughput in cell-updates per second (one core).",
        discussion: "Build with -c release for meaningful figures. Each row is one whole run, metrics included."
    )

    @Option(help: "Repeat each case this many times and report the best.")
    var repeats = 3

    func run() throws {
        let cases: [(Mode, Int, Int)] = [
            (.classical, 64, 2000), (.classical, 256, 500), (.classical, 1024, 100),
            (.morphic, 25, 2000), (.morphic, 64, 500), (.morphic, 256, 200),
        ]
        print("mode       grid   generations   seconds   cell-updates/s")
        for (mode, size, generations) in cases {
            var configuration = RunConfiguration()
            configuration.mode = mode
            configuration.gridSize = size
            configuration.generations = generations
            configuration.seed = 42
            var best = Double.infinity
            for _ in 0..<max(1, repeats) {
                let start = DispatchTime.now().uptimeNanoseconds
                var simulation = try Simulation(configuration: configuration)
                simulation.runToEnd()
                _ = simulation.result
                best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            }
            let rate = Double(configuration.cellSteps) / best
            print(
                mode.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
                    + String(format: " %5d   %11d   %7.3f   %.3g", size, generations, best, rate))
        }
    }
}
