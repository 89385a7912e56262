import MorphicCore

/// The JSON document of one run (docs/model.md section 9): run_id, mode, config, timeseries,
/// summary_stats, crystals, metadata, and for `llm_control` runs llm_table and llm_source
/// (the endpoint's host, the model, the prompt version and the table's sha256).
///
/// Nothing in it depends on the clock or the machine, and keys and numbers are always
/// written the same way, so equal runs give equal bytes.
public enum RunRecord {
    /// The model version every record carries.
    public static let modelVersion = "morphic-life/1"

    /// The record of a finished run.
    public static func json(runID: String, result: RunResult, source: RuleSource? = nil) -> JSON {
        json(runID: runID, result: result, source: source, series: true)
    }

    /// The record, its `timeseries` an empty object unless `series` is true.
    private static func json(runID: String, result: RunResult, source: RuleSource?, series withSeries: Bool) -> JSON {
        let configuration = result.configuration
        let series = result.series
        var members: [JSON.Member] = [
            .init("run_id", .string(runID)),
            .init("mode", .string(configuration.mode.rawValue)),
            .init("config", config(configuration)),
            .init(
                "timeseries",
                !withSeries ? .object([]) : .object([
                    "population": .array(series.population.map { .int($0) }),
                    "complexity": .array(series.complexity.map { .double($0) }),
                    "volatility": .array(series.volatility.map { .double($0) }),
                    "pattern_diversity": .array(series.patternDiversity.map { .int($0) }),
                    "morphic_influence_rate": .array(series.morphicInfluenceRate.map { .double($0) }),
                    "override_rate": .array(series.overrideRate.map { .double($0) }),
                    "resonance_events": .array(series.resonanceEvents.map { .int($0) }),
                    "crystal_count": .array(series.crystalCount.map { .int($0) }),
                ])),
            .init("summary_stats", summary(result.summary)),
            .init("crystals", .array(result.crystals.map { crystal($0, formSize: configuration.formSize) })),
            .init(
                "metadata",
                .object([
                    "grid_size": .int(configuration.gridSize),
                    "generations": .int(configuration.generations),
                    "initial_population": .int(result.initialPopulation),
                    "model_version": .string(modelVersion),
                ])),
        ]
        if let table = result.llmTable {
            members.append(.init("llm_table", .string(table.bits)))
            if let source {
                members.append(
                    .init(
                        "llm_source",
                        .object([
                            "host": .string(source.host), "model": .string(source.model),
                            "prompt_version": .string(source.promptVersion),
                            "table_sha256": .string(SHA256.hex(Array(table.bits.utf8))),
                        ])))
            }
        }
        return .object(members)
    }

    /// The record's file: the bytes of `json(runID:result:source:).prettyBytes`, with the
    /// series (nearly all of a record) written straight into the bytes rather than made a
    /// JSON value a number at a time.
    public static func prettyBytes(runID: String, result: RunResult, source: RuleSource? = nil) -> [UInt8] {
        let document = json(runID: runID, result: result, source: source, series: false)
        guard let members = document.members else { return document.prettyBytes }
        let series = result.series
        var out: [UInt8] = []
        out.reserveCapacity(series.population.count * 64 + 2048)
        out.append(UInt8(ascii: "{"))
        for (index, member) in members.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: "\n  ".utf8)
            out.append(contentsOf: JSON.string(member.key).compactBytes)
            out.append(contentsOf: ": ".utf8)
            if member.key == "timeseries" {
                writeSeries(series, into: &out)
            } else {
                out.append(contentsOf: member.value.prettyBytes(level: 1))
            }
        }
        out.append(contentsOf: "\n}\n".utf8)
        return out
    }

    /// The `timeseries` object one level deep, as ``JSON/prettyBytes(level:)`` writes it:
    /// one member a line, each array of numbers on its line.
    private static func writeSeries(_ series: Series, into out: inout [UInt8]) {
        func member(_ name: String, first: Bool = false) {
            if !first { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: "\n    \"".utf8)
            out.append(contentsOf: name.utf8)
            out.append(contentsOf: "\": [".utf8)
        }
        func integers(_ values: [Int]) {
            for (index, value) in values.enumerated() {
                if index > 0 { out.append(contentsOf: ", ".utf8) }
                appendDecimal(value, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        }
        func doubles(_ values: [Double]) {
            // The digits go straight into the bytes: a String per number, most of them too
            // long to be held inline, was an allocation each.
            var stream = ASCIIBytes(bytes: out)
            out = []
            for (index, value) in values.enumerated() {
                if index > 0 { stream.bytes.append(contentsOf: ", ".utf8) }
                if value.isFinite {
                    value.write(to: &stream)
                } else {
                    stream.bytes.append(contentsOf: "null".utf8)
                }
            }
            stream.bytes.append(UInt8(ascii: "]"))
            out = stream.bytes
        }
        out.append(UInt8(ascii: "{"))
        member("population", first: true)
        integers(series.population)
        member("complexity")
        doubles(series.complexity)
        member("volatility")
        doubles(series.volatility)
        member("pattern_diversity")
        integers(series.patternDiversity)
        member("morphic_influence_rate")
        doubles(series.morphicInfluenceRate)
        member("override_rate")
        doubles(series.overrideRate)
        member("resonance_events")
        integers(series.resonanceEvents)
        member("crystal_count")
        integers(series.crystalCount)
        out.append(contentsOf: "\n  }".utf8)
    }

    /// Bytes that a number writes its text into (`Double.write(to:)`, the digits of
    /// `String(value)`), handed over as the ASCII they are rather than as a String.
    private struct ASCIIBytes: TextOutputStream {
        var bytes: [UInt8]

        mutating func write(_ string: String) { bytes.append(contentsOf: string.utf8) }

        mutating func _writeASCII(_ buffer: UnsafeBufferPointer<UInt8>) { bytes.append(contentsOf: buffer) }
    }

    /// An integer's decimal digits, as `String(value)` writes them.
    static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { buffer in
            var rest = value.magnitude
            var start = buffer.count
            repeat {
                start -= 1
                buffer[start] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
            out.append(contentsOf: buffer[start...])
        }
    }

    /// The language model's table an `llm_control` record holds (`llm_table`), if any.
    public static func ruleTable(in record: JSON) -> RuleTable? {
        record["llm_table"]?.stringValue.flatMap(RuleTable.init(bits:))
    }

    /// The same, from a record's bytes; nil also when they do not parse.
    public static func ruleTable(inRecord bytes: [UInt8]) -> RuleTable? {
        (try? JSONParser.parse(bytes)).flatMap(ruleTable(in:))
    }

    /// Every parameter in docs/model.md's order, the seed included when set.
    public static func config(_ configuration: RunConfiguration) -> JSON {
        .object(
            ParameterKey.allCases.compactMap { key in
                configuration.value(key).map { JSON.Member(key.rawValue, json($0)) }
            })
    }

    /// A parameter value as JSON.
    public static func json(_ value: ParameterValue) -> JSON {
        switch value {
        case .number(let text): .number(text)
        case .text(let text): .string(text)
        }
    }

    /// The names of the summary statistics, in the order ``summary(_:)`` writes them.
    public static let statisticNames = [
        "final_population", "max_population", "min_population", "avg_population", "population_std",
        "avg_complexity", "avg_volatility", "avg_pattern_diversity", "avg_influence_rate", "max_influence_rate",
        "total_overrides", "total_resonance_events", "emergence_events", "stability_score", "convergence_generation",
    ]

    /// The statistics ``summary(_:)`` writes as integers (or null); the others are doubles.
    public static let integerStatistics: Set<String> = [
        "final_population", "max_population", "min_population", "total_overrides", "total_resonance_events",
        "emergence_events", "convergence_generation",
    ]

    /// The summary statistics in docs/model.md's order.
    public static func summary(_ summary: Summary) -> JSON {
        .object([
            "final_population": .int(summary.finalPopulation),
            "max_population": .int(summary.maxPopulation),
            "min_population": .int(summary.minPopulation),
            "avg_population": .double(summary.avgPopulation),
            "population_std": .double(summary.populationStd),
            "avg_complexity": .double(summary.avgComplexity),
            "avg_volatility": .double(summary.avgVolatility),
            "avg_pattern_diversity": .double(summary.avgPatternDiversity),
            "avg_influence_rate": .double(summary.avgInfluenceRate),
            "max_influence_rate": .double(summary.maxInfluenceRate),
            "total_overrides": .int(summary.totalOverrides),
            "total_resonance_events": .int(summary.totalResonanceEvents),
            "emergence_events": .int(summary.emergenceEvents),
            "stability_score": .double(summary.stabilityScore),
            "convergence_generation": .optionalInt(summary.convergenceGeneration),
        ])
    }

    private static func crystal(_ crystal: Crystal, formSize: Int) -> JSON {
        .object([
            "id": .int(crystal.id),
            "form": .array(crystal.rows(formSize: formSize).map { .string($0) }),
            "form_bits": .int(crystal.form),
            "outcome": .int(crystal.outcome),
            "strength": .double(crystal.strength),
            "generation_created": .int(crystal.generationCreated),
            "last_used": .optionalInt(crystal.lastUsed),
            "activations": .int(crystal.activations),
            "overrides": .int(crystal.overrides),
        ])
    }
}
