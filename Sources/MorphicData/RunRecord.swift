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
        let configuration = result.configuration
        let series = result.series
        var members: [JSON.Member] = [
            .init("run_id", .string(runID)),
            .init("mode", .string(configuration.mode.rawValue)),
            .init("config", config(configuration)),
            .init(
                "timeseries",
                .object([
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
