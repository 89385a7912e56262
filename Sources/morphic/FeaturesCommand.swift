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

    @Argument(
        help:
            "A folder written by 'morphic sweep' or 'morphic merge' (packed or not), a server's sweep folder, or an unpacked dataset.tar.gz."
    )
    var folder: String

    func run() throws {
        Interruption.removesTemporaries()
        let dataset = try DatasetFolder(folder)
        // Those of a features command killed before (a living writer's are left alone).
        dataset.folder.removeAbandonedTemporaries()
        try Dataset.writeFeatures(dataset.definition, in: dataset.folder)
        note("wrote \(dataset.folder.path)/features.csv")
    }
}
