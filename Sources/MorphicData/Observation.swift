import MorphicCore
import MorphicInference

/// An observed run, as the reference needs it: the observable features and what they can be
/// compared with (grid size and length). Made from a run record, bare observable series, or
/// a row of a dataset's `features.csv`; the hidden series are never read.
public struct Observation: Sendable {
    /// The run's id; `observed` for bare series.
    public let runID: String
    /// The features of ``Features/names``.
    public let features: [Double]
    /// The grid's side; nil for bare series, which do not say.
    public let gridSize: Int?
    /// The number of generations.
    public let generations: Int

    /// The forms an observation takes, each with the keys that say it is that form and the
    /// keys it takes: no request is guessed at, so an object that mixes forms or has a key
    /// its form does not take is refused, naming the key.
    static let forms: [(name: String, markers: [String], keys: Set<String>)] = [
        ("a run of a sweep", ["sweep", "run"], ["sweep", "run"]),
        ("bare series", ["series", "convergence_generation"], ["series", "convergence_generation", "run_id"]),
        (
            "a run record",
            ["metadata", "config", "timeseries", "summary_stats", "crystals", "mode", "llm_table", "llm_source"],
            [
                "run_id", "mode", "config", "timeseries", "summary_stats", "crystals", "metadata", "llm_table",
                "llm_source",
            ]
        ),
    ]

    /// What an observation is, for a message refusing something that is none.
    private static let expected =
        "give {\"sweep\": ID, \"run\": RUN_ID}, a run record (its timeseries, with grid_size and generations in its metadata or config), or {\"series\": {...}}"

    /// Refuses an observation object that is more than one form (`{"sweep", "run"}`, a run
    /// record, `{"series"}`), has a key its form does not take, or a `run_id` that is not a
    /// string.
    public static func checkKeys(_ json: JSON) throws {
        guard let members = json.members else { throw InferenceError("not an observation: " + expected) }
        let keys = members.map(\.key)
        let present = forms.filter { form in form.markers.contains { keys.contains($0) } }
        // None of the forms: say what it is not, rather than that its first key is no field.
        if present.isEmpty, let unknown = keys.first(where: { $0 != "run_id" }) {
            let definition =
                keys.contains("groups") || keys.contains("sweep_id") ? " (a sweep definition is not an observation)" : ""
            throw InferenceError(
                "not an observation: it has \(keys.prefix(4).map(\.quotedInMessage).joined(separator: ", "))\(keys.count > 4 ? ", …" : "")"
                    + definition + "; " + expected, field: unknown.quotedInMessage)
        }
        if present.count > 1 {
            let described = present.map { form in
                "\(form.name) (" + form.markers.filter { keys.contains($0) }.joined(separator: ", ") + ")"
            }
            throw InferenceError(
                "the observation is both \(described.joined(separator: " and ")): give one",
                field: present[1].markers.first { keys.contains($0) })
        }
        let allowed = present.first?.keys ?? ["run_id"]
        if let unknown = keys.first(where: { !allowed.contains($0) }) {
            let form =
                present.first.map { " of \($0.name) (it takes \($0.keys.sorted().joined(separator: ", ")))" } ?? ""
            throw InferenceError("\(unknown.quotedInMessage) is not a field\(form)", field: unknown.quotedInMessage)
        }
        if let id = json["run_id"], id.stringValue == nil {
            throw InferenceError("run_id must be a string", field: "run_id")
        }
    }

    /// The observation of a run record (docs/model.md section 9).
    public init(record: JSON) throws {
        try Self.checkKeys(record)
        // An object with none of a record's parts is not a broken record but something else.
        guard ["metadata", "config", "timeseries", "run_id"].contains(where: { record[$0] != nil }) else {
            throw InferenceError("not an observation: " + Self.expected)
        }
        for (field, value) in [("mode", record["mode"]), ("config.mode", record["config"]?["mode"])] {
            if let value, value.stringValue.flatMap(Mode.init(rawValue:)) == nil {
                throw InferenceError(
                    "the run record's \(field) must be one of \(Mode.allCases.map(\.rawValue).joined(separator: ", "))",
                    field: field)
            }
        }
        let generations = try Self.size("generations", of: record)
        let gridSize = try Self.size("grid_size", of: record)
        guard let timeseries = record["timeseries"], let members = timeseries.members else {
            throw InferenceError("the run record has no timeseries object", field: "timeseries")
        }
        if let unknown = members.first(where: { !Series.names.contains($0.key) }) {
            throw InferenceError(
                "timeseries.\(unknown.key.quotedInMessage) is not a series of a run record: they are \(Series.names.joined(separator: ", "))",
                field: "timeseries.\(unknown.key.quotedInMessage)")
        }
        let convergence = record["summary_stats"]?["convergence_generation"]
        guard let convergence, convergence == .null || convergence.intValue.map({ (0..<generations).contains($0) }) == true
        else {
            throw InferenceError(
                "the run record's summary_stats.convergence_generation must be null or an integer in 0...\(generations - 1)",
                field: "summary_stats.convergence_generation")
        }
        let runID = record["run_id"]?.stringValue ?? "observed"
        let series = try Self.series(timeseries, generations: generations, gridSize: gridSize, prefix: "timeseries")
        self.init(
            runID: runID, series: series, convergence: convergence.intValue, gridSize: gridSize,
            generations: generations)
    }

    /// A run record's `metadata.<key>` or `config.<key>` (grid size, generations): a positive
    /// integer, the same in both where both give it.
    private static func size(_ key: String, of record: JSON) throws -> Int {
        var found: (value: Int, field: String)?
        for part in ["metadata", "config"] {
            guard let value = record[part]?[key] else { continue }
            let field = part + "." + key
            guard let number = value.intValue, number > 0 else {
                throw InferenceError("the run record's \(field) must be a positive integer", field: field)
            }
            if let found, found.value != number {
                throw InferenceError(
                    "the run record's \(found.field) is \(found.value) and its \(field) \(number): a record has one", field: field)
            }
            found = found ?? (number, field)
        }
        guard let found else { throw InferenceError("the run record has no metadata.\(key)", field: "metadata.\(key)") }
        return found.value
    }

    /// The observation of bare series: `{"series": {"population": […], "complexity": […],
    /// "volatility": […], "pattern_diversity": […]}}`, each value at generations 1…n, with
    /// optional `convergence_generation` (integer or null) and `run_id`. Without
    /// `convergence_generation`, it is where all four series start repeating with a period of
    /// 1 to 8 generations and keep it for at least two periods to the end: a still life or an
    /// oscillator shows so in its series.
    public init(seriesRequest json: JSON) throws {
        try Self.checkKeys(json)
        guard let timeseries = json["series"], let members = timeseries.members else {
            throw InferenceError(
                "give the observed series as an object: {\"series\": {\"population\": […], …}}", field: "series")
        }
        if let unknown = members.first(where: { !Features.series.contains($0.key) }) {
            throw InferenceError(
                "series.\(unknown.key) is not an observable series: they are \(Features.series.joined(separator: ", "))",
                field: "series.\(unknown.key)")
        }
        guard let first = timeseries[Features.series[0]]?.elements?.count, first > 0 else {
            throw InferenceError("series.population must be a non-empty array of numbers", field: "series.population")
        }
        // Checked before any feature is computed: no reference is longer, and a huge series
        // would only cost time before the length mismatch is found.
        guard first <= RunConfiguration.maximumGenerations else {
            throw InferenceError(
                "series.population has \(first) values; no run is longer than \(RunConfiguration.maximumGenerations) generations",
                field: "series.population")
        }
        // Series of different lengths: each length said, and the one that differs from the
        // most blamed (population's length is no more right than another's).
        let lengths = Features.series.map { timeseries[$0]?.elements?.count }
        if !lengths.contains(nil), Set(lengths).count > 1 {
            let common = lengths.max { a, b in lengths.filter { $0 == a }.count < lengths.filter { $0 == b }.count }!
            let odd = Features.series[lengths.firstIndex { $0 != common }!]
            let said = zip(Features.series, lengths).map { "\($0) \($1!)" }.joined(separator: ", ")
            throw InferenceError(
                "the observable series must have one value per generation each, but their lengths differ: \(said)",
                field: "series." + odd)
        }
        let series = try Self.series(timeseries, generations: first, gridSize: nil, prefix: "series")
        let convergence: Int?
        switch json["convergence_generation"] {
        case nil: convergence = Self.convergence(series)
        case .null?: convergence = nil
        case let value?:
            guard let number = value.intValue, (0..<first).contains(number) else {
                throw InferenceError(
                    "convergence_generation must be null or an integer in 0...\(first - 1)",
                    field: "convergence_generation")
            }
            convergence = number
        }
        let runID = json["run_id"]?.stringValue ?? "observed"
        self.init(runID: runID, series: series, convergence: convergence, gridSize: nil, generations: first)
    }

    /// An observation whose features are already computed (a row of `features.csv`).
    init(runID: String, features: [Double], gridSize: Int, generations: Int) {
        self.runID = runID
        self.features = features
        self.gridSize = gridSize
        self.generations = generations
    }

    private init(runID: String, series: [[Double]], convergence: Int?, gridSize: Int?, generations: Int) {
        self.runID = runID
        features = Features(observable: series, convergenceGeneration: convergence).values
        self.gridSize = gridSize
        self.generations = generations
    }

    /// The four observable series of `object`, each of `generations` finite, non-negative
    /// numbers that a run on a grid of side `gridSize` (nil: any grid) can have: counts
    /// whole and no larger than what they count, so that an impossible series is refused
    /// rather than answered with confidence.
    private static func series(_ object: JSON, generations: Int, gridSize: Int?, prefix: String) throws -> [[Double]] {
        let side = gridSize ?? RunConfiguration.maximumGridSize
        let cells = Double(side * side)
        let grid = gridSize.map { "the run's \($0)×\($0) grid has \(side * side) cells" }
            ?? "no grid has more than \(side * side) (\(side)×\(side))"
        // Per series: whether it is whole, its largest value, and why.
        let bounds: [String: (whole: Bool, most: Double, why: String)] = [
            "population": (true, cells, grid),
            "complexity": (false, 0.5, "a standard deviation of fractions of a block is at most 0.5"),
            "volatility": (false, cells, "a change in population over the one before it is at most the grid's cells; " + grid),
            "pattern_diversity": (
                true, min(512, cells),
                cells < 512 ? "it counts distinct 3×3 windows, at most one a cell; " + grid
                    : "it counts distinct 3×3 windows, of which there are at most 512"
            ),
        ]
        return try Features.series.map { name in
            let field = prefix + "." + name
            guard let elements = object[name]?.elements else {
                throw InferenceError(
                    "\(field) is missing: the observable series are \(Features.series.joined(separator: ", "))",
                    field: field)
            }
            guard elements.count == generations else {
                throw InferenceError(
                    "\(field) has \(elements.count) values; it must have one per generation (\(generations))",
                    field: field)
            }
            return try elements.enumerated().map { index, element in
                guard let value = element.doubleValue, value.isFinite else {
                    throw InferenceError("\(field)[\(index)] is not a finite number", field: field)
                }
                // Counts, a standard deviation and a ratio of counts: a negative one is no run's.
                // One too small for a double (`-1e-400`) reads as zero and is still negative.
                guard value >= 0, !(value == 0 && Self.writtenNumber(element).map(ParameterValue.isWrittenNegative) == true)
                else {
                    let shown =
                        value == 0 ? (Self.writtenNumber(element) ?? "-0").quotedInMessage
                        : value == value.rounded() && value > -1e15 ? String(Int(value)) : String(value)
                    throw InferenceError("\(field)[\(index)] is \(shown); \(name) is never negative", field: field)
                }
                let bound = bounds[name]!
                if bound.whole && value != value.rounded() {
                    throw InferenceError("\(field)[\(index)] is \(value); \(name) is a whole number", field: field)
                }
                if value > bound.most {
                    let shown = value == value.rounded() && value < 1e15 ? String(Int(value)) : String(value)
                    throw InferenceError("\(field)[\(index)] is \(shown); \(bound.why)", field: field)
                }
                return value
            }
        }
    }

    private static func writtenNumber(_ json: JSON) -> String? {
        if case .number(let text) = json { return text }
        return nil
    }

    /// The first generation from which every series repeats with one period of 1…8 to the
    /// end, seen for at least two periods; nil when there is none.
    static func convergence(_ series: [[Double]]) -> Int? {
        let count = series[0].count
        var best: Int?
        for period in 1...8 where count >= 3 * period {
            var start = count
            while start - 1 >= period && series.allSatisfy({ $0[start - 1] == $0[start - 1 - period] }) { start -= 1 }
            guard count - start >= 2 * period else { continue }
            best = min(best ?? start, start)
        }
        return best
    }
}
