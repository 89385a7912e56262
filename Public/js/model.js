// What the page knows of the model: parameter and statistic names (docs/model.md).

// docs/model.md's parameter order and defaults, for estimates and tables.
export const PARAMETERS = ["mode", "grid_size", "generations", "initial_density", "rule", "boundary", "crystal_count",
  "field_strength", "temporal_decay", "similarity_threshold", "influence_exponent", "cross_system_coupling",
  "form_size", "similarity", "crystallization_interval", "min_form_cells", "reinforcement", "resonance_threshold", "seed"];
export const STATISTICS = ["final_population", "max_population", "min_population", "avg_population", "population_std",
  "avg_complexity", "avg_volatility", "avg_pattern_diversity", "avg_influence_rate", "max_influence_rate",
  "total_overrides", "total_resonance_events", "emergence_events", "stability_score", "convergence_generation"];
export const SHOWN_STATS = ["final_population", "avg_population", "avg_complexity", "avg_pattern_diversity",
  "avg_influence_rate", "total_overrides", "total_resonance_events", "convergence_generation"];

/// Statistics that are never negative, whose 95 % intervals are cut at 0: every summary
/// statistic is a count, a rate, a mean or spread of counts, max(0, …) or a generation
/// (docs/model.md section 8).
export const NON_NEGATIVE = new Set(STATISTICS);

/// Most runs a sweep may have to serve as a reference for inference, and so to have a
/// calibration and a run map (the server's InferenceLimits.maximumRuns, docs/inference.md).
export const REFERENCE_RUNS = 200000;

/// Fewest runs a reference needs in each split of its dataset, planned from its definition
/// (the server's InferenceLimits.minimumTrainingRuns and minimumHeldOutRuns): with fewer,
/// the server refuses its calibration and posteriors, so the page does not ask.
export const REFERENCE_SPLITS = { train: 50, validation: 10, test: 10 };
