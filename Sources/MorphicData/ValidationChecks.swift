import MorphicCore

/// The plan's data checks, gathered run by run for a dataset's manifest: controls show no
/// influence; influence rises with field strength and falls with temporal decay.
struct ValidationChecks: Sendable {
    private var controls = 0
    private var controlsWithInfluence = 0
    /// Each morphic run's field strength, temporal decay and influence rate, in run order.
    private var morphic: [(strength: Double, decay: Double, influence: Double)] = []

    mutating func add(mode: Mode, config: JSON, summary: JSON) {
        switch mode {
        case .classical:
            controls += 1
            if (summary["max_influence_rate"]?.doubleValue ?? 0) != 0 { controlsWithInfluence += 1 }
        case .morphic:
            morphic.append(
                (
                    config["field_strength"]?.doubleValue ?? 0, config["temporal_decay"]?.doubleValue ?? 0,
                    summary["avg_influence_rate"]?.doubleValue ?? 0
                ))
        case .llmControl:
            break
        }
    }

    /// The checks of a whole dataset, added a range of runs at a time. The rank correlations
    /// need every morphic run; they wait in a temporary file (``SpilledSamples``), so memory
    /// does not grow with the runs.
    final class Totals {
        private var controls = 0
        private var controlsWithInfluence = 0
        private var strengths = Spearman.Codes()
        private var decays = Spearman.Codes()
        private let samples: SpilledSamples
        private var count = 0

        /// Totals whose samples wait in `directory`.
        init(directory: String) throws { samples = try SpilledSamples(directory: directory) }

        /// Adds the checks of the runs after those added so far.
        func add(_ checks: ValidationChecks) throws {
            controls += checks.controls
            controlsWithInfluence += checks.controlsWithInfluence
            for run in checks.morphic {
                try samples.append(
                    .init(
                        value: run.influence, first: strengths.code(of: run.strength),
                        second: decays.code(of: run.decay)))
            }
            count += checks.morphic.count
        }

        /// The checks as the manifest lists them.
        func summary() throws -> JSON {
            var byStrength = Spearman.RankSums(codes: strengths.values, count: count)
            var byDecay = Spearman.RankSums(codes: decays.values, count: count)
            try samples.forEachAscending { sample in
                byStrength.add(sample.value, code: sample.first)
                byDecay.add(sample.value, code: sample.second)
            }
            func correlation(_ sums: Spearman.RankSums, expectPositive: Bool) -> JSON {
                let rho = sums.correlation
                return .object([
                    "spearman": rho.map(JSON.double) ?? .null,
                    "runs": .int(count),
                    "holds": rho.map { .bool(expectPositive ? $0 > 0 : $0 < 0) } ?? .null,
                ])
            }
            return .object([
                "controls_zero_influence": .object([
                    "runs": .int(controls),
                    "runs_with_influence": .int(controlsWithInfluence),
                    "holds": controls > 0 ? .bool(controlsWithInfluence == 0) : .null,
                ]),
                "field_strength_vs_influence_rate": correlation(byStrength, expectPositive: true),
                "temporal_decay_vs_influence_rate": correlation(byDecay, expectPositive: false),
            ])
        }
    }
}
