import MorphicInference

/// The JSON of inference answers, shared by `morphic infer`, `morphic calibrate` and the
/// server, so both give the same bytes for the same run.
public enum PosteriorJSON {
    /// A quantile level as a key: `"0.025"`.
    static func key(_ level: Double) -> String { String(level) }

    /// `values` as an object keyed by their `levels` (a probability or a coverage level).
    static func byLevel(_ levels: [Double], _ values: [Double]) -> JSON {
        .object(zip(levels, values).map { JSON.Member(key($0), .double($1)) })
    }

    /// One observed run's answer: `run_id`, `p_field`, `parameters: {name: {mean,
    /// quantiles, draws}}`, then the reference's id and its calibration.
    public static func answer(
        _ posterior: Posterior, runID: String, reference: String, calibration: Calibration
    ) -> JSON {
        .object([
            "run_id": .string(runID),
            "p_field": posterior.pField.map(JSON.double) ?? .null,
            "parameters": .object(
                posterior.parameters.map { marginal in
                    JSON.Member(
                        marginal.name,
                        .object([
                            "mean": .double(marginal.mean),
                            "quantiles": byLevel(Posterior.probabilities, marginal.quantiles),
                            "draws": .array(marginal.draws.map(JSON.double)),
                        ]))
                }),
            "reference": .string(reference),
            "calibration": calibrationJSON(calibration, reference: reference),
        ])
    }

    /// How a reference's posteriors hold on its test split.
    public static func calibrationJSON(_ calibration: Calibration, reference: String) -> JSON {
        let levels = { (values: [Double]) in byLevel(Calibration.levels, values) }
        let figures: JSON = .object([
            "reference": .string(reference),
            "method": .string(
                "quantile regression forests on the observable features; central intervals conformalized on the validation split; measured on the test split"
            ),
            "runs": .object(
                zip(ReferenceTable.Split.allCases, calibration.runs).map { JSON.Member($0.rawValue, .int($1)) }),
            "parameters": .object(
                calibration.parameters.map { figures in
                    JSON.Member(
                        figures.name,
                        .object([
                            "test_runs": .int(figures.testRuns),
                            "coverage": levels(figures.coverage),
                            "uncalibrated_coverage": levels(figures.uncalibratedCoverage),
                            "mean_width": levels(figures.meanWidth),
                            "median_mae": .double(figures.medianMAE),
                            "constant_mae": .double(figures.constantMAE),
                        ]))
                }),
            "p_field": calibration.field.map { field in
                .object([
                    "field_runs": .int(field.fieldRuns), "controls": .int(field.controls),
                    "roc_auc": .double(field.rocAUC), "false_positive_rate": .double(field.falsePositiveRate),
                    "true_positive_rate": .double(field.truePositiveRate),
                ])
            } ?? .null,
        ])
        // Why p_field has no figures, when it has none.
        guard calibration.field == nil, case .object(var members) = figures else { return figures }
        members.append(JSON.Member("p_field_unmeasured", calibration.fieldAbsence.map(JSON.string) ?? .null))
        return .object(members)
    }

    /// A figure for people: three decimals, as the card and `morphic calibrate` print it.
    static func figure(_ value: Double) -> String { String((value * 1000).rounded() / 1000) }

    /// The calibration as a table for people.
    public static func table(_ calibration: Calibration, reference: String) -> String {
        var lines = [
            "reference \(reference): \(calibration.runs[0]) train, \(calibration.runs[1]) validation, \(calibration.runs[2]) test runs",
            "parameter                 test  cover 50%  80%    95%    (uncalibrated 50/80/95)   median MAE  constant MAE",
        ]
        for parameter in calibration.parameters {
            let name = parameter.name.padding(toLength: 24, withPad: " ", startingAt: 0)
            let count = String(parameter.testRuns).padding(toLength: 5, withPad: " ", startingAt: 0)
            let coverage = parameter.coverage.map { figure($0).padding(toLength: 6, withPad: " ", startingAt: 0) }
                .joined(separator: " ")
            let raw = parameter.uncalibratedCoverage.map(figure).joined(separator: "/")
            lines.append(
                "\(name)  \(count) \(coverage)  (\(raw))".padding(toLength: 84, withPad: " ", startingAt: 0)
                    + "  \(figure(parameter.medianMAE))".padding(toLength: 12, withPad: " ", startingAt: 0)
                    + figure(parameter.constantMAE))
        }
        if let field = calibration.field {
            lines.append(
                "p_field: ROC AUC \(figure(field.rocAUC)), false-positive rate \(figure(field.falsePositiveRate)), true-positive rate \(figure(field.truePositiveRate)) at 0.5 (\(field.fieldRuns) field runs, \(field.controls) controls in test)"
            )
        } else {
            lines.append("p_field: not measured (\(calibration.fieldAbsence ?? "the reference lacks controls or field runs"))")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
