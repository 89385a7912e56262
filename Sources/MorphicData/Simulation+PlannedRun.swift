import MorphicCore

extension Simulation {
    /// The runs of one coupling group in their initial states, as a sweep computes them:
    /// each seeded from the sweep seed and its run id, `llmTable` serving those in
    /// `llm_control` mode (the others ignore it).
    static func group(_ runs: [PlannedRun], sweepSeed: UInt64, llmTable: RuleTable?) throws(ConfigurationError)
        -> [Simulation]
    {
        var simulations: [Simulation] = []
        for run in runs {
            simulations.append(
                try Simulation(configuration: run.configuration, runID: run.id, sweepSeed: sweepSeed, llmTable: llmTable))
        }
        return simulations
    }
}
