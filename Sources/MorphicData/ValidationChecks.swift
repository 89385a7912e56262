import MorphicCore

/// The plan's data checks, gathered run by run for a dataset's manifest: controls show no
/// influence; influence rises with field strength and falls with temporal decay.
///
/// A rank correlation needs every morphic run's influence; each costs 16 bytes here (the
/// value and the codes of its two parameters, whose distinct values are few).
struct ValidationChecks: Sendable {
    private var controls = 0
    private var controlsWithInfluence = 0
    private var strengths = Spearman.Codes()
    private var decays = Spearman.Codes()
    private var strengthCodes: [UInt32] = []
    private var decayCodes: [UInt32] = []
    private var influence: [Double] = []

    /// Checks expecting `morphicRuns` morphic runs, whose room is taken at once (an array
    /// grown by doubling would hold up to twice as much).
    init(morphicRuns: Int = 0) {
        strengthCodes.reserveCapacity(morphicRuns)
        decayCodes.reserveCapacity(morphicRuns)
        influence.reserveCapacity(morphicRuns)
    }

    mutating func add(mode: Mode, config: JSON, summary: JSON) {
        switch mode {
        case .classical:
            controls += 1
            if (summary["max_influence_rate"]?.doubleValue ?? 0) != 0 { controlsWithInfluence += 1 }
        case .morphic:
            add(
                strength: config["field_strength"]?.doubleValue ?? 0, decay: config["temporal_decay"]?.doubleValue ?? 0,
                influence: summary["avg_influence_rate"]?.doubleValue ?? 0)
        case .llmControl:
            break
        }
    }

    private mutating func add(strength: Double, decay: Double, influence value: Double) {
        strengthCodes.append(strengths.code(of: strength))
        decayCodes.append(decays.code(of: decay))
        influence.append(value)
    }

    /// Adds the runs another collection saw after this one's.
    mutating func append(_ other: ValidationChecks) {
        controls += other.controls
        controlsWithInfluence += other.controlsWithInfluence
        for index in other.influence.indices {
            add(
                strength: other.strengths.values[Int(other.strengthCodes[index])],
                decay: other.decays.values[Int(other.decayCodes[index])], influence: other.influence[index])
        }
    }

    /// The checks as the manifest lists them. The influence values are replaced by their
        /// ranks, so the checks are summed up once.
    mutating func summary() -> JSON {
        Spearman.rank(&influence)
        let ranks = influence
        func correlation(_ codes: [UInt32], _ values: Spearman.Codes, expectPositive: Bool) -> JSON {
            let rho = Spearman.correlation(codes, values.values, yRanks: ranks)
            return .object([
                "spearman": rho.map(JSON.double) ?? .null,
                "runs": .int(codes.count),
                "holds": rho.map { .bool(expectPositive ? $0 > 0 : $0 < 0) } ?? .null,
            ])
        }
        return .object([
            "controls_zero_influence": .object([
                "runs": .int(controls),
                "runs_with_influence": .int(controlsWithInfluence),
                "holds": controls > 0 ? .bool(controlsWithInfluence == 0) : .null,
            ]),
            "field_strength_vs_influence_rate": correlation(strengthCodes, strengths, expectPositive: true),
            "temporal_decay_vs_influence_rate": correlation(decayCodes, decays, expectPositive: false),
        ])
    }
}
