import Foundation
import MorphicData
import MorphicInference

extension BenchCommand {
    /// Training a reference (best of the repeats) and one posterior per test run.
    func benchInference(_ path: String) throws {
        let sweep = try usage { try ReferenceSweep(path: path) }
        var best = Double.infinity
        var model: PosteriorModel?
        for _ in 0..<max(1, repeats) {
            let start = DispatchTime.now().uptimeNanoseconds
            model = try usage { try PosteriorModel(sweep.table) }
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        let rows = sweep.table.rows(in: .test)
        let start = DispatchTime.now().uptimeNanoseconds
        for row in rows { _ = try model!.posterior(sweep.table.x[row]) }
        let each = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6 / Double(max(1, rows.count))
        print(
            String(
                format:
                    "reference %@: %d runs, %d parameters; training %.2f s (best of %d, %d threads); posterior %.2f ms a run (%d test runs)",
                sweep.id, sweep.table.runIDs.count, sweep.table.parameterNames.count, best, max(1, repeats),
                ProcessInfo.processInfo.activeProcessorCount, each, rows.count))
    }
}
