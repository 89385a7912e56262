/// Everything a finished run produced: a pure function of its configuration and seed.
public struct RunResult: Hashable, Sendable {
    /// The configuration the run used, with `seed` set to the seed actually used.
    public let configuration: RunConfiguration
    /// The seed actually used.
    public var seed: UInt64 { configuration.seed ?? 0 }
    /// Live cells in the initial state.
    public let initialPopulation: Int
    /// The per-generation series.
    public let series: Series
    /// The summary statistics.
    public let summary: Summary
    /// The run's own crystals at the end, by id.
    public let crystals: [Crystal]
    /// The language model's table, for `llm_control` runs.
    public let llmTable: RuleTable?
}
