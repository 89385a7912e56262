import MorphicCore

/// One column of a dataset table (or one array of an `.npz`), with the part it plays for
/// learning and its type as pandas and numpy name it. The manifest lists them under
/// `columns`, so a reader picks columns by role instead of by position.
public struct DatasetColumn: Hashable, Sendable {
    /// What a column is for.
    public enum Role: String, Sendable, CaseIterable {
        /// Names a run or a position (run_id, point, generation): never a feature.
        case identifier
        /// What to classify: the run's mode.
        case label
        /// The parameters the run was actually simulated with (`true_*`): what to regress.
        case truth
        /// A parameter as the definition set it, effective or not (runs.csv).
        case parameter
        /// A summary statistic an observer of the grid could compute.
        case statistic
        /// A feature of the observable series (features.csv).
        case feature
        /// A series an observer of the grid could measure.
        case series
        /// Something only the simulator knows (the field's influence, overrides,
        /// resonance, crystals): it gives the answer away, so never a feature.
        case hidden
    }

    /// The column's name.
    public let name: String
    /// Its role.
    public let role: Role
    /// `string`, `int64`, `uint64`, `float64`, `Int64` (whole numbers that may be missing,
    /// pandas' nullable integer) or, for arrays, numpy's `<U64`-style type.
    public let dtype: String

    /// A column.
    public init(_ name: String, _ role: Role, _ dtype: String) {
        self.name = name
        self.role = role
        self.dtype = dtype
    }

    /// The parameters runs.csv lists, seed last.
    static let runParameters = ParameterKey.allCases.filter { $0 != .mode && $0 != .seed } + [.seed]

    /// Statistics computed from series an observer cannot see.
    static let hiddenStatistics: Set = [
        "avg_influence_rate", "max_influence_rate", "total_overrides", "total_resonance_events",
    ]

    /// Series an observer cannot see.
    static let hiddenSeries: Set = ["morphic_influence_rate", "override_rate", "resonance_events", "crystal_count"]

    /// A series' column name: hidden ones carry the prefix `hidden_`.
    public static func seriesName(_ series: String) -> String {
        hiddenSeries.contains(series) ? "hidden_" + series : series
    }

    private static func dtype(_ key: ParameterKey, nullable: Bool = false) -> String {
        switch key.kind {
        case .text: "string"
        case .real: "float64"
        case .integer: key == .seed ? "uint64" : nullable ? "Int64" : "int64"
        }
    }

    /// `runs.csv`.
    public static let runs: [DatasetColumn] =
        [DatasetColumn("run_id", .identifier, "string"), DatasetColumn("mode", .label, "string")]
        + runParameters.map { DatasetColumn($0.rawValue, .parameter, dtype($0)) }
        + RunRecord.statisticNames.map { name in
            DatasetColumn(
                name, hiddenStatistics.contains(name) ? .hidden : .statistic,
                name == "convergence_generation"
                    ? "Int64" : ["final_population", "max_population", "min_population", "total_overrides",
                        "total_resonance_events", "emergence_events"].contains(name) ? "int64" : "float64")
        }

    /// `timeseries.csv`.
    public static let timeseries: [DatasetColumn] =
        [DatasetColumn("run_id", .identifier, "string"), DatasetColumn("generation", .identifier, "int64")]
        + Series.names.map { name in
            DatasetColumn(
                seriesName(name), hiddenSeries.contains(name) ? .hidden : .series,
                ["population", "pattern_diversity", "resonance_events", "crystal_count"].contains(name)
                    ? "int64" : "float64")
        }

    /// `features.csv`: identifiers (the split among them), label, ground truth, then observable
    /// features only.
    public static let features: [DatasetColumn] =
        [
            DatasetColumn("run_id", .identifier, "string"), DatasetColumn("point", .identifier, "int64"),
            DatasetColumn("split", .identifier, "string"), DatasetColumn("label", .label, "string"),
        ]
        + GroundTruth.keys.map {
            DatasetColumn("true_" + $0.rawValue, .truth, dtype($0, nullable: GroundTruth.isMorphicOnly($0)))
        }
        + Features.names.map { DatasetColumn($0, .feature, "float64") }

    /// The arrays of `timeseries.npz`, for runs of at most `generations` steps and ids of
    /// at most `idWidth` characters.
    static func timeseriesArrays(idWidth: Int) -> [DatasetColumn] {
        [DatasetColumn("run_id", .identifier, "<U\(idWidth)"), DatasetColumn("generations", .identifier, "<i8")]
            + Series.names.map { DatasetColumn(seriesName($0), hiddenSeries.contains($0) ? .hidden : .series, "<f8") }
    }

    /// The manifest's description of a table.
    static func json(_ columns: [DatasetColumn]) -> JSON {
        .array(
            columns.map {
                .object(["name": .string($0.name), "role": .string($0.role.rawValue), "dtype": .string($0.dtype)])
            })
    }
}
