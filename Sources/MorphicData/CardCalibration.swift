import MorphicInference

/// The calibration a dataset's card reports: the dataset taken as a reference, trained and
/// measured on its test split exactly as `morphic calibrate` and the server do, or why it
/// cannot be one. It is computed from the features.csv just written, before the card and
/// the archive, and is a pure function of them and the default limits, so the card stays
/// byte-identical wherever the dataset is assembled.
public enum CardCalibration: Sendable, Hashable {
    /// The figures, as `GET …/calibration` gives them.
    case measured(Calibration)
    /// The dataset cannot be a reference: the reason.
    case notReference(String)
    /// The dataset could be one but is too large to train during its assembly.
    case skipped(String)

    /// The calibration of `definition`'s dataset, whose features.csv is at `featuresPath`.
    /// - Throws: only when features.csv cannot be read as the dataset's own.
    public static func measure(
        _ definition: SweepDefinition, featuresPath: String, limits: InferenceLimits = InferenceLimits()
    ) throws -> CardCalibration {
        // What the definition alone tells, before anything is read.
        if Theta(definition).names.isEmpty {
            return .notReference("the sweep varies no parameter: there is nothing to infer")
        }
        let counts = DatasetSplit.counts(definition)
        do {
            try PosteriorModel.checkSplits(train: counts[0], validation: counts[1], test: counts[2], limits: limits)
        } catch let error as InferenceError {
            return .notReference(error.message)
        }
        if definition.runs.count > limits.cardMaximumRuns {
            return .skipped(
                "the sweep has \(definition.runs.count) runs, more than the \(limits.cardMaximumRuns) a card trains on during assembly"
            )
        }
        do {
            let reference = try ReferenceSweep(definition, featuresPath: featuresPath)
            return .measured(try PosteriorModel(reference.table, limits: limits).calibration)
        } catch let error as InferenceError {
            return .notReference(error.message)
        }
    }
}
