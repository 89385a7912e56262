/// The parameters of a run, in the order of docs/model.md's table (which is also the order in
/// which a sweep combines its grid axes). Raw values are the JSON keys.
public enum ParameterKey: String, CaseIterable, Sendable, Comparable {
    case mode
    case gridSize = "grid_size"
    case generations
    case initialDensity = "initial_density"
    case rule
    case boundary
    case crystalCount = "crystal_count"
    case fieldStrength = "field_strength"
    case temporalDecay = "temporal_decay"
    case similarityThreshold = "similarity_threshold"
    case influenceExponent = "influence_exponent"
    case crossSystemCoupling = "cross_system_coupling"
    case formSize = "form_size"
    case similarity
    case crystallizationInterval = "crystallization_interval"
    case minFormCells = "min_form_cells"
    case reinforcement
    case resonanceThreshold = "resonance_threshold"
    case seed

    /// The kind of value a parameter takes.
    public enum Kind: Sendable {
        /// A whole number.
        case integer
        /// A real number.
        case real
        /// A name or notation.
        case text
    }

    /// The kind of value this parameter takes.
    public var kind: Kind {
        switch self {
        case .mode, .rule, .boundary, .similarity: .text
        case .gridSize, .generations, .crystalCount, .formSize, .crystallizationInterval, .minFormCells, .seed:
            .integer
        default: .real
        }
    }

    /// The allowed values, as an error message states them.
    public var allowed: String {
        switch self {
        case .mode: "classical, morphic, llm_control (control means classical)"
        case .gridSize: "an integer in 3...4096"
        case .generations: "an integer in 1...100000"
        case .rule: "Life-like B/S notation such as B3/S23"
        case .boundary: "dead, torus"
        case .crystalCount: "an integer in 0...64"
        case .temporalDecay: "a number in [0, 10]"
        case .influenceExponent: "a number in [0.1, 10]"
        case .formSize: "3, 5 or 7"
        case .similarity: "hamming, jaccard"
        case .crystallizationInterval: "an integer in 1...10000"
        case .minFormCells: "an integer in 1...form_size²"
        case .seed: "an integer in 0...18446744073709551615"
        default: "a number in [0, 1]"
        }
    }

    /// Orders keys as docs/model.md's table does.
    public static func < (lhs: Self, rhs: Self) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// The command-line flag for this parameter: `field_strength` is `field-strength`.
    public var flagName: String { rawValue.replacingOccurrences(of: "_", with: "-") }
}

extension String {
    fileprivate func replacingOccurrences(of target: Character, with replacement: Character) -> String {
        String(map { $0 == target ? replacement : $0 })
    }
}
