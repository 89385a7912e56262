/// The per-generation measurements of docs/model.md section 8; entry t describes state S_{t+1}.
public struct Series: Hashable, Sendable {
    /// Live cells.
    public var population: [Int] = []
    /// Standard deviation of live/9 over the non-overlapping 3×3 blocks.
    public var complexity: [Double] = []
    /// |pop_t − pop_{t−1}| / max(1, pop_{t−1}).
    public var volatility: [Double] = []
    /// Distinct 3×3 windows.
    public var patternDiversity: [Int] = []
    /// Applied influences / cells.
    public var morphicInfluenceRate: [Double] = []
    /// Overrides / cells.
    public var overrideRate: [Double] = []
    /// Resonance events this generation.
    public var resonanceEvents: [Int] = []
    /// Own crystals after this generation's crystallization.
    public var crystalCount: [Int] = []

    /// Creates empty series.
    public init() {}

    /// Series names as in docs/model.md, in their documented order.
    public static let names = [
        "population", "complexity", "volatility", "pattern_diversity", "morphic_influence_rate",
        "override_rate", "resonance_events", "crystal_count",
    ]
}
