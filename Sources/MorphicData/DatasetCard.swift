import MorphicCore

/// `DATASET.md`, the dataset's card: what it holds and how it was made, for a reader who has
/// only the folder or the archive. Everything in it comes from the definition, the counts and
/// the validation, so it is byte-identical wherever the dataset is assembled.
enum DatasetCard {
    /// The card's name, in the folder and the archive.
    static let fileName = "DATASET.md"

    /// The card of `definition`'s dataset.
    static func text(
        _ definition: SweepDefinition, theta: Theta, counts: JSON, validation: JSON,
        tables: [(name: String, columns: [DatasetColumn])], calibration: CardCalibration
    ) -> String {
        var out = "# \(definition.name)\n\n"
        let completed = counts["by_status"]?["completed"]?.intValue ?? 0
        out += """
            Sweep `\(definition.id)`: \(definition.runs.count) runs of the toy morphic field (Conway's Game of \
            Life with memory crystals that pull similar neighbourhoods toward the habits they remember), \
            \(completed) of them finished, made by MorphicLab with model `\(RunRecord.modelVersion)`. The \
            model, bit for bit, is `docs/model.md` in the MorphicLab repository; the files and their columns \
            are `docs/datasets.md` there. Every run is a pure function of its configuration and the sweep \
            seed \(definition.seed): running the definition below again gives these bytes.


            """
        out += "## Counts\n\n| runs | count |\n|---|---|\n"
        for section in ["by_mode", "by_status"] {
            for member in counts[section]?.members ?? [] {
                out += "| \(section.dropFirst(3)) \(member.key) | \(member.value.compactText) |\n"
            }
        }
        let byMode = DatasetSplit.countsByMode(definition)
        let modes = Mode.allCases.filter { mode in byMode.contains { $0[mode] != nil } }
        out += "\n| split | " + modes.map(\.rawValue).joined(separator: " | ") + " |\n|---|"
        out += String(repeating: "---|", count: modes.count) + "\n"
        for (split, counts) in zip(DatasetSplit.allCases, byMode) {
            out += "| \(split.rawValue) | " + modes.map { String(counts[$0] ?? 0) }.joined(separator: " | ") + " |\n"
        }
        out += """

            Splits are drawn per parameter point from the sweep seed (replicates of a point share one; \
            `docs/datasets.md`, "Splits"). Rows are in run order: shuffle, or use `split`.

            """
        for (split, counts) in zip(DatasetSplit.allCases, byMode) {
            for mode in modes where counts[mode] == nil {
                out += """

                    **The \(split.rawValue) split has no \(mode.rawValue) runs.** A point's replicates stay \
                    together, so the runs of few points may miss a split: give them points of their own (a \
                    sample or a list, as `Config/sweeps/prior.json` does for its controls) to spread them.

                    """
            }
        }
        out += "\n"
        out += "## Varied parameters\n\n"
        out += theta.keys.isEmpty ? "No parameter's effective value varies between runs.\n\n" : ""
        for key in theta.keys {
            out += "### \(key.rawValue)\n\n"
            for (index, group) in definition.groups.enumerated() {
                let block = definition.runs.blocks[index]
                out += "- `\(group.prefix)` (\(block.count) runs): \(how(key, group, definition))\n"
            }
            out += "\n"
        }
        out +=
            "`theta` in `theta_x.npz` holds these, in this order; docs/datasets.md says how names become numbers.\n\n"
        out += "## Definition\n\n```json\n" + String(decoding: definition.published.prettyBytes, as: UTF8.self)
        out += (out.hasSuffix("\n") ? "" : "\n") + "```\n\n"
        out += "## Columns\n\n"
        for table in tables {
            out += "### \(table.name)\n\n| column | role | dtype | meaning |\n|---|---|---|---|\n"
            for column in table.columns {
                out +=
                    "| `\(column.name)` | \(column.role.rawValue) | `\(column.dtype)` | \(meaning(column, in: table.name)) |\n"
            }
            out += "\n"
        }
        out += "## Validation\n\n| check | runs | value | holds |\n|---|---|---|---|\n"
        for member in validation.members ?? [] {
            let value =
                member.value["spearman"]
                ?? member.value["runs_with_influence"].map { _ in
                    .string("\(member.value["runs_with_influence"]!.compactText) with influence")
                }
            out +=
                "| \(member.key) | \(member.value["runs"]?.compactText ?? "") | "
                + "\(value.map { $0.stringValue ?? $0.compactText } ?? "") | \(member.value["holds"]?.compactText ?? "") |\n"
        }
        out += """

            Controls should show no influence; influence should rise with field strength (Spearman > 0) \
            and fall with temporal decay (< 0) over the morphic runs. `null`: not enough runs to tell.

            \(calibrationSection(calibration, id: definition.id))
            ## Licence and citation

            MorphicLab, which made this dataset, is under the Apache License 2.0: `LICENSE` in its repository. \
            To cite it, use `CITATION.cff` there, and name the sweep id `\(definition.id)` and model \
            `\(RunRecord.modelVersion)` so others can make the same data.

            ## Loading

            ```python
            import numpy as np, pandas as pd
            features = pd.read_csv("features.csv")  # one row per run; columns by role in manifest.json
            d = np.load("theta_x.npz", allow_pickle=False); theta, x, split = d["theta"], d["x"], d["split"]
            # theta is NaN where a parameter does not apply (a control's or field-less run's field parameters):
            rows = (split == "train") & ~np.isnan(theta).any(axis=1)  # training rows where every parameter applies
            ```

            """
        return out
    }

    /// The dataset's calibration as a reference (docs/inference.md), or why there is none.
    static func calibrationSection(_ calibration: CardCalibration, id: String) -> String {
        var out = "## Calibration as a reference\n\n"
        switch calibration {
        case .notReference(let reason):
            return out + "This dataset cannot be a reference for posteriors: \(reason).\n"
        case .skipped(let reason):
            return out
                + "Not measured while the dataset was assembled: \(reason). `morphic calibrate` on the sweep's folder, or `GET /api/sweeps/\(id)/calibration`, measures it.\n"
        case .measured(let figures):
            let figure = PosteriorJSON.figure
            out += """
                Posteriors with this dataset as the reference: quantile regression forests on the observable \
                features trained on the \(figures.runs[0]) train runs, central intervals conformalized on the \
                \(figures.runs[1]) validation runs, measured on the \(figures.runs[2]) test runs, which nothing was \
                fitted to (`docs/inference.md`). `morphic calibrate` and `GET /api/sweeps/\(id)/calibration` give \
                these figures.

                | parameter | test runs | coverage 50 % | 80 % | 95 % | median MAE | constant MAE |
                |---|---|---|---|---|---|---|

                """
            for parameter in figures.parameters {
                out +=
                    "| \(parameter.name) | \(parameter.testRuns) | "
                    + parameter.coverage.map(figure).joined(separator: " | ")
                    + " | \(figure(parameter.medianMAE)) | \(figure(parameter.constantMAE)) |\n"
            }
            out += "\n"
            if let field = figures.field {
                out +=
                    "`p_field`, the probability that a field acted: ROC AUC \(figure(field.rocAUC)), false-positive rate \(figure(field.falsePositiveRate)) and true-positive rate \(figure(field.truePositiveRate)) at 0.5 (\(field.fieldRuns) field runs and \(field.controls) controls in test).\n"
            } else {
                out += "`p_field`: not measured; \(figures.fieldAbsence ?? "the reference lacks controls or field runs to tell apart").\n"
            }
            return out
        }
    }

    /// How group `group` sets `key`.
    private static func how(_ key: ParameterKey, _ group: SweepDefinition.Group, _ definition: SweepDefinition)
        -> String
    {
        // A classical group's field parameters, fixed or varied, change none of its runs.
        let mode = group.params.first { $0.key == .mode }?.value.string
        let note =
            mode == Mode.classical.rawValue && GroundTruth.isFieldParameter(key) ? "; classical, so no field acts" : ""
        return setting(key, group, definition) + note
    }

    /// How group `group` sets `key`, without notes.
    private static func setting(_ key: ParameterKey, _ group: SweepDefinition.Group, _ definition: SweepDefinition)
        -> String
    {
        if let axis = group.grid.first(where: { $0.key == key }) {
            return "grid " + axis.values.map(\.string).joined(separator: ", ")
        }
        if let sample = group.sample, let parameter = sample.parameters.first(where: { $0.key == key }) {
            let distribution =
                switch parameter.distribution {
                case .uniform(let lo, let hi): "uniform [\(lo), \(hi)]"
                case .logUniform(let lo, let hi): "log_uniform [\(lo), \(hi)]"
                case .integer(let lo, let hi): "integer [\(lo), \(hi)]"
                case .choice(let values): "choice of " + values.map(\.string).joined(separator: ", ")
                }
            return "\(distribution), \(sample.count) points by \(sample.method.rawValue)"
        }
        if let points = group.points, points.contains(where: { $0.contains { $0.key == key } }) {
            let values = points.map { point in
                point.first { $0.key == key }?.value.string ?? fixedValue(key, group, definition)
            }
            return "points " + values.prefix(20).joined(separator: ", ")
                + (values.count > 20 ? ", … (\(values.count) points)" : "")
        }
        let source =
            group.params.contains { $0.key == key }
            ? ""
            : definition.defaults.contains { $0.key == key }
                ? " (defaults)" : " (model default)"
        return "fixed \(fixedValue(key, group, definition))\(source)"
    }

    /// The value the group gives `key` outside its points.
    private static func fixedValue(_ key: ParameterKey, _ group: SweepDefinition.Group, _ definition: SweepDefinition)
        -> String
    {
        var fixed = RunConfiguration()
        // Both were checked when the definition was read.
        for (name, value) in definition.defaults + group.params { try? fixed.set(name, value) }
        return fixed.value(key)!.string
    }

    /// What a column holds.
    static func meaning(_ column: DatasetColumn, in table: String) -> String {
        let name = column.name
        if column.role == .parameter { return name == "seed" ? "the run's seed" : "as configured (model.md section 1)" }
        if column.role == .truth, let key = ParameterKey(rawValue: String(name.dropFirst(5))) {
            return "\(key.rawValue) the run was simulated with"
                + (key == .fieldStrength || key == .crystalCount
                    ? "; 0 where no field acts" : GroundTruth.isMorphicOnly(key) ? "; empty where no field acts" : "")
        }
        let statistics = [
            "final_population": "live cells at the end", "max_population": "most live cells",
            "min_population": "fewest live cells", "avg_population": "mean live cells",
            "population_std": "standard deviation of live cells", "avg_complexity": "mean complexity",
            "avg_volatility": "mean volatility", "avg_pattern_diversity": "mean distinct 3×3 windows",
            "avg_influence_rate": "mean share of cells the field set", "max_influence_rate": "largest such share",
            "total_overrides": "cells the field set against Life, in all",
            "total_resonance_events": "resonance events, in all",
            "emergence_events": "generations whose population grew by half or more",
            "stability_score": "how still the last 10 populations are (model.md section 8)",
            "convergence_generation": "first generation repeating a recent state (empty: never)",
        ]
        let series = [
            "population": "live cells", "complexity": "spread of live cells over 3×3 blocks",
            "volatility": "relative change of the population", "pattern_diversity": "distinct 3×3 windows",
            "morphic_influence_rate": "share of cells the field set", "override_rate": "share set against Life",
            "resonance_events": "resonance events", "crystal_count": "own crystals",
        ]
        switch name {
        case "run_id": return "the run, `<prefix>_<n>`"
        case "mode", "label": return "the class: classical, morphic or llm_control"
        case "point": return "parameter point; replicates share it"
        case "split": return "train, validation or test, by point"
        case "generation": return "step g: the state after it"
        case "generations": return "each run's length"
        case "theta": return "[runs, k]: effective truth of the varied parameters"
        case "theta_names": return "their names"
        case "x": return "[runs, features]: features.csv's features"
        case "x_names": return "their names"
        case "convergence_time": return "generation the grid stopped changing (its length if never)"
        case "converged": return "1 if it stopped changing, else 0"
        case "population_recurrence": return "share of generations repeating an earlier population"
        default: break
        }
        if let text = statistics[name] { return text }
        let hidden = name.hasPrefix("hidden_")
        let bare = hidden ? String(name.dropFirst(7)) : name
        if let text = series[bare] {
            return (table.hasSuffix(".npz") ? "[runs, generations]: " : "") + text + (hidden ? " (hidden)" : "")
        }
        for source in Features.series where name.hasPrefix(source + "_") {
            let statistic = String(name.dropFirst(source.count + 1))
            let what =
                switch statistic {
                case "mean": "mean"
                case "std": "standard deviation"
                case "trend": "least-squares slope per generation"
                case "final": "final value"
                case "spectral_entropy": "normalized spectral entropy"
                default: statistic.hasPrefix("acf") ? "autocorrelation at lag \(statistic.dropFirst(3))" : statistic
                }
            return "\(what) of \(source)"
        }
        return ""
    }
}
