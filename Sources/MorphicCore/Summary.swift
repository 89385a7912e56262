import Foundation

/// The summary statistics of docs/model.md section 8, derived from a run's series.
public struct Summary: Hashable, Sendable {
    /// Population after the last generation.
    public let finalPopulation: Int
    /// Largest population over the generations.
    public let maxPopulation: Int
    /// Smallest population over the generations.
    public let minPopulation: Int
    /// Mean population.
    public let avgPopulation: Double
    /// Population standard deviation (dividing by the count).
    public let populationStd: Double
    /// Mean complexity.
    public let avgComplexity: Double
    /// Mean volatility.
    public let avgVolatility: Double
    /// Mean pattern diversity.
    public let avgPatternDiversity: Double
    /// Mean morphic influence rate.
    public let avgInfluenceRate: Double
    /// Largest morphic influence rate.
    public let maxInfluenceRate: Double
    /// Overrides over all generations.
    public let totalOverrides: Int
    /// Resonance events over all generations.
    public let totalResonanceEvents: Int
    /// Generations t ≥ 1 with pop_t > 1.5·pop_{t−1}.
    public let emergenceEvents: Int
    /// max(0, 1 − v/(m+1)) over the last 10 populations; 0 for 10 generations or fewer.
    public let stabilityScore: Double
    /// The first t where S_{t+1} repeats one of the 8 states before it, if any.
    public let convergenceGeneration: Int?

    /// The statistic names as in docs/model.md, in their documented order.
    public static let names = [
        "final_population", "max_population", "min_population", "avg_population", "population_std",
        "avg_complexity", "avg_volatility", "avg_pattern_diversity", "avg_influence_rate",
        "max_influence_rate", "total_overrides", "total_resonance_events", "emergence_events",
        "stability_score", "convergence_generation",
    ]

    /// Summarizes `series`; `overrides` is the total count of overrides.
    init(series: Series, totalOverrides: Int, convergenceGeneration: Int?) {
        let population = series.population
        let count = Double(population.count)
        finalPopulation = population.last ?? 0
        maxPopulation = population.max() ?? 0
        minPopulation = population.min() ?? 0
        let mean = Self.mean(population.map(Double.init))
        avgPopulation = mean
        populationStd = sqrt(population.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / count)
        avgComplexity = Self.mean(series.complexity)
        avgVolatility = Self.mean(series.volatility)
        avgPatternDiversity = Self.mean(series.patternDiversity.map(Double.init))
        avgInfluenceRate = Self.mean(series.morphicInfluenceRate)
        maxInfluenceRate = series.morphicInfluenceRate.max() ?? 0
        self.totalOverrides = totalOverrides
        totalResonanceEvents = series.resonanceEvents.reduce(0, +)
        emergenceEvents =
            population.indices.dropFirst().filter {
                Double(population[$0]) > 1.5 * Double(population[$0 - 1])
            }.count
        if population.count > 10 {
            let tail = population.suffix(10)
            let variance = tail.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / 10
            stabilityScore = max(0, 1 - variance / (mean + 1))
        } else {
            stabilityScore = 0
        }
        self.convergenceGeneration = convergenceGeneration
    }

    private static func mean(_ values: [Double]) -> Double {
        values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
    }
}
