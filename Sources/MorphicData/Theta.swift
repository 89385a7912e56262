import MorphicCore

/// The parameters a dataset's `theta` (in `theta_x.npz`) holds: every parameter whose
/// effective ground truth (`features.csv`'s `true_*`) takes more than one value over the
/// sweep's runs, missing values aside, in docs/model.md's order. A value is the number
/// `true_<name>` holds; NaN where it is missing (a morphic-only parameter of a run without a
/// field); for a parameter written as a name (rule, boundary, similarity), the position of
/// the run's value among the values the sweep gives it, ascending, as the manifest's
/// `parameters` lists them.
public struct Theta: Sendable {
    /// The varied parameters, in docs/model.md's order.
    public let keys: [ParameterKey]
    /// For the parameters written as names, their values in ascending order.
    public let levels: [ParameterKey: [String]]

    /// The names of ``keys`` (`theta_names`).
    public var names: [String] { keys.map(\.rawValue) }

    /// The varied parameters of `definition`.
    public init(_ definition: SweepDefinition) {
        var keys: [ParameterKey] = []
        var levels: [ParameterKey: [String]] = [:]
        for key in GroundTruth.keys {
            var values = Set<String>()
            definition.runs.aggregate(over: [key, .mode, .crystalCount, .fieldStrength]) { configuration, _ in
                guard values.count < 2 || key.kind == .text else { return }
                let value = GroundTruth.field(key, of: configuration)
                if !value.isEmpty { values.insert(value) }
            }
            guard values.count > 1 else { continue }
            keys.append(key)
            if key.kind == .text {
                var all = Set<String>()
                definition.runs.aggregate(over: [key]) { configuration, _ in
                    all.insert(configuration.value(key)!.string)
                }
                levels[key] = all.sorted()
            }
        }
        self.keys = keys
        self.levels = levels
    }

    /// A run's row of `theta`.
    public func values(_ configuration: RunConfiguration) -> [Double] {
        keys.map { key in
            let field = GroundTruth.field(key, of: configuration)
            guard !field.isEmpty else { return .nan }
            if let levels = levels[key] { return Double(levels.firstIndex(of: field) ?? -1) }
            return Double(field) ?? .nan
        }
    }
}
