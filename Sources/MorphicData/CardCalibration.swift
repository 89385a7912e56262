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

    /// The calibration of `definition`'s dataset, whose features.csv is at `featuresPath`,
    /// and the reference trained to measure it, when it was.
    /// - Throws: only when features.csv cannot be read as the dataset's own.
    static func measure(
        _ definition: SweepDefinition, featuresPath: String, limits: InferenceLimits = InferenceLimits()
    ) throws -> (CardCalibration, TrainedReference?) {
        // What the definition alone tells, before anything is read.
        if Theta(definition).names.isEmpty {
            return (.notReference(ReferenceSweep.nothingToInfer(definition, subject: "the sweep")), nil)
        }
        let counts = DatasetSplit.counts(definition)
        do {
            _ = try ReferenceSweep.shape(definition)
            try PosteriorModel.checkSplits(train: counts[0], validation: counts[1], test: counts[2], limits: limits)
        } catch let error as InferenceError {
            return (.notReference(error.message), nil)
        }
        if definition.runs.count > limits.cardMaximumRuns {
            let reason =
                "the sweep has \(definition.runs.count) runs, more than the \(limits.cardMaximumRuns) a card trains on during assembly"
            return (.skipped(reason), nil)
        }
        do {
            let reference = try ReferenceSweep(definition, featuresPath: featuresPath)
            let model = try PosteriorModel(reference.table, limits: limits)
            return (.measured(model.calibration), TrainedReference(sweep: reference, model: model))
        } catch let error as InferenceError {
            return (.notReference(error.message), nil)
        }
    }
}

/// A dataset read as a reference and trained, as its assembly leaves it for the card: a
/// server keeps it rather than training the same reference again.
public struct TrainedReference: Sendable {
    /// The reference.
    public let sweep: ReferenceSweep
    /// Its trained model, with the default limits.
    public let model: PosteriorModel
}
