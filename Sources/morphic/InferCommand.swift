import ArgumentParser
import Foundation
import MorphicData
import MorphicInference

/// `morphic infer REFERENCE OBSERVED`: posteriors of an observed run's parameters from a
/// finished sweep taken as a reference table.
struct InferCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "infer",
        abstract: "Posterior of every parameter a finished sweep varies, for observed runs (one JSON line each).",
        discussion: """
            REFERENCE is a finished sweep's folder (or an unpacked dataset). Each OBSERVED is a run record \
            (<run_id>.json), a bare-series file ({"series": {"population": [...], "complexity": [...], \
            "volatility": [...], "pattern_diversity": [...]}}), a dataset folder, or a dataset archive \
            (.tar.gz). Only observable series are used. Each line: run_id, p_field (the probability \
            that a field acted), parameters: {name: {mean, quantiles: {"0.025": ..., "0.975": ...}, \
            draws}}, the reference's id and its calibration on its test split (docs/inference.md).
            """
    )

    @Argument(help: "A finished sweep's folder: the reference table.")
    var reference: String

    @Argument(help: "Run records, bare-series JSON files, dataset folders or dataset archives (read in order).")
    var observed: [String]

    @Flag(help: "No progress on standard error.")
    var quiet = false

    func run() throws {
        // The observations first: a wrong one is refused before seconds of training.
        // Each with the file it came from, which a refusal names (several may be given).
        let observations = try usage { try observed.flatMap { path in try ObservedInput.read(path).map { (path, $0) } } }
        let (sweep, model) = try trainReference(reference, quiet: quiet)
        let calibration = model.calibration
        // Every observation is checked against the reference before any answer is written:
        // one that does not fit is refused, naming its file, and nothing is written.
        for (source, observation) in observations {
            try usage {
                do {
                    try sweep.check(
                        gridSize: observation.gridSize, generations: observation.generations, run: observation.runID)
                } catch let error as InferenceError {
                    throw InferenceError("\(source): \(error.message)", field: error.field)
                }
            }
        }
        var written = 0
        let start = Date()
        for (source, observation) in observations {
            try usage {
                let posterior: Posterior
                do {
                    posterior = try model.posterior(observation.features)
                } catch let error as InferenceError {
                    throw InferenceError("\(source) (run \(observation.runID)): \(error.message)", field: error.field)
                }
                let line = PosteriorJSON.answer(
                    posterior, runID: observation.runID, reference: sweep.id, calibration: calibration
                ).compactBytes
                FileHandle.standardOutput.write(Data(line + [0x0A]))
            }
            written += 1
            if !quiet && observations.count > 100 && (written % 1000 == 0 || written == observations.count) {
                note(
                    String(
                        format: "%d/%d observed runs, %.1f s", written, observations.count,
                        Date().timeIntervalSince(start)))
            }
        }
    }
}

/// `morphic calibrate REFERENCE`: how well the reference's posteriors hold on its test split.
struct CalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Print a finished sweep's calibration as a reference: coverage, median MAE, p_field's ROC AUC.",
        discussion: """
            Trains on the reference's train split, calibrates interval widths on its validation \
            split and measures on its test split: the empirical coverage of the central 50, 80 and \
            95 % intervals of every varied parameter (before and after calibration), the MAE of \
            the posterior median against that of a constant guess (the training median), and \
            p_field's ROC AUC and false-positive rate at 0.5. --json prints the same as \
            GET /api/sweeps/{id}/calibration.
            """
    )

    @Argument(help: "A finished sweep's folder: the reference table.")
    var reference: String

    @Flag(help: "Print JSON instead of a table.")
    var json = false

    @Flag(help: "No progress on standard error.")
    var quiet = false

    func run() throws {
        let (sweep, model) = try trainReference(reference, quiet: quiet)
        if json {
            print(PosteriorJSON.calibrationJSON(model.calibration, reference: sweep.id).compactText)
        } else {
            print(PosteriorJSON.table(model.calibration, reference: sweep.id), terminator: "")
        }
    }
}

/// Reads and trains a reference, with its progress on standard error.
func trainReference(_ path: String, quiet: Bool) throws -> (ReferenceSweep, PosteriorModel) {
    let start = Date()
    let sweep = try usage { try ReferenceSweep(path: path) }
    if !quiet {
        note(
            "reference \(sweep.id): \(sweep.table.runIDs.count) runs, parameters \(sweep.table.parameterNames.joined(separator: ", "))"
        )
    }
    let model = try usage {
        try PosteriorModel(sweep.table) { fraction in
            if !quiet { note(String(format: "training: %.0f%%", fraction * 100)) }
        }
    }
    if !quiet { note(String(format: "trained in %.1f s", Date().timeIntervalSince(start))) }
    return (sweep, model)
}

/// Runs `body`, turning what is wrong with the input into a usage error (exit 64).
func usage<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as InferenceError {
        throw ValidationError(error.message)
    } catch let error as FileError {
        throw ValidationError(error.description)
    }
}
