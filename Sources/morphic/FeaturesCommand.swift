import ArgumentParser
import MorphicData

/// `morphic features DIR`: features.csv for an existing dataset folder.
struct FeaturesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "features",
        abstract: "Write features.csv for a dataset folder (new datasets have it already).",
        discussion: """
            One row per finished run: its ground-truth parameters, its label (the mode) and \
            features of its observable series only (population, complexity, volatility, pattern \
            diversity): mean, standard deviation, trend, final value, autocorrelation at lags \
            1, 2, 5 and 10, spectral entropy; time to convergence and population recurrence.
            """
    )

    @Argument(help: "A folder written by 'morphic sweep' or 'morphic merge', or a server's sweep folder.")
    var folder: String

    func run() throws {
        let sweepFolder = SweepFolder(path: folder)
        guard let recorded = try sweepFolder.recordedSweep() else {
            throw ValidationError("\(folder) is not a sweep folder (no definition.json)")
        }
        let definition: SweepDefinition
        do {
            definition = try SweepDefinition(
                json: recorded.definition, limits: SweepLimits(maximumRuns: .max, maximumCellSteps: .max))
        } catch {
            throw ValidationError("\(folder)/definition.json: \(error)")
        }
        try Dataset.writeFeatures(definition, in: sweepFolder)
        note("wrote \(folder)/features.csv")
    }
}
