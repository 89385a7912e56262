import MorphicCore

/// The parameters a run was effectively simulated with, for `features.csv`'s `true_*`
/// columns: a parameter that cannot act is not ground truth.
///
/// A classical run has no field: its field strength and crystal count are 0 and the other
/// morphic parameters are missing (empty), whatever the definition recorded. A morphic run
/// whose field cannot act (field strength 0 or no crystals) evolves exactly like a classical
/// run of the same seed (docs/model.md section 5), and is described as one. An `llm_control` run's
/// field strength is the share of cells that follow the model's table; it has no crystals.
enum GroundTruth {
    /// The parameters described, in docs/model.md's order; the seed and mode are not among them.
    static let keys = ParameterKey.allCases.filter { $0 != .mode && $0 != .seed }

    /// Parameters that mean something only for a field of crystals.
    static func isMorphicOnly(_ key: ParameterKey) -> Bool {
        switch key {
        case .mode, .gridSize, .generations, .initialDensity, .rule, .boundary, .fieldStrength, .crystalCount, .seed:
            false
        default: true
        }
    }

    /// Parameters that act only through the field: none of them acts in a classical run.
    static func isFieldParameter(_ key: ParameterKey) -> Bool {
        key == .fieldStrength || key == .crystalCount || isMorphicOnly(key)
    }

    /// The CSV fields of `configuration`, in the order of ``keys``.
    static func fields(_ configuration: RunConfiguration) -> [String] {
        keys.map { field($0, of: configuration) }
    }

    /// The CSV field of `key`: empty when the parameter cannot act.
    static func field(_ key: ParameterKey, of configuration: RunConfiguration) -> String {
        let crystalsAct =
            configuration.mode == .morphic && configuration.crystalCount > 0 && configuration.fieldStrength > 0
        let fieldActs = crystalsAct || (configuration.mode == .llmControl && configuration.fieldStrength > 0)
        switch key {
        case .fieldStrength: return fieldActs ? configuration.value(key)!.string : "0"
        case .crystalCount: return crystalsAct ? configuration.value(key)!.string : "0"
        case _ where isMorphicOnly(key): return crystalsAct ? configuration.value(key)!.string : ""
        default: return configuration.value(key)!.string
        }
    }
}

extension ParameterValue {
    /// The value as written in a CSV field.
    var string: String {
        switch self {
        case .number(let text), .text(let text): text
        }
    }
}
