import MorphicCore

/// The plan's data checks, gathered run by run for a dataset's manifest: controls show no
/// influence; influence rises with field strength and falls with temporal decay.
struct ValidationChecks: Sendable {
    private var controls = 0
    private var controlsWithInfluence = 0
    private var fieldStrengths: [Double] = []
    private var decays: [Double] = []
    private var influence: [Double] = []

    mutating func add(mode: Mode, config: JSON, summary: JSON) {
        switch mode {
        case .classical:
            controls += 1
            if (summary["max_influence_rate"]?.doubleValue ?? 0) != 0 { controlsWithInfluence += 1 }
        case .morphic:
            fieldStrengths.append(config["field_strength"]?.doubleValue ?? 0)
            decays.append(config["temporal_decay"]?.doubleValue ?? 0)
            influence.append(summary["avg_influence_rate"]?.doubleValue ?? 0)
        case .llmControl:
            break
        }
    }

    /// Adds the runs another collection saw after this one's.
    mutating func append(_ other: ValidationChecks) {
        controls += other.controls
        controlsWithInfluence += other.controlsWithInfluence
        fieldStrengths += other.fieldStrengths
        decays += other.decays
        influence += other.influence
    }

    var json: JSON {
        func correlation(_ values: [Double], expectPositive: Bool) -> JSON {
            let rho = Spearman.correlation(values, influence)
            return .object([
                "spearman": rho.map(JSON.double) ?? .null,
                "runs": .int(values.count),
                "holds": rho.map { .bool(expectPositive ? $0 > 0 : $0 < 0) } ?? .null,
            ])
        }
        return .object([
            "controls_zero_influence": .object([
                "runs": .int(controls),
                "runs_with_influence": .int(controlsWithInfluence),
                "holds": controls > 0 ? .bool(controlsWithInfluence == 0) : .null,
            ]),
            "field_strength_vs_influence_rate": correlation(fieldStrengths, expectPositive: true),
            "temporal_decay_vs_influence_rate": correlation(decays, expectPositive: false),
        ])
    }
}
