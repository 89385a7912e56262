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

// Parameters that act in every run, field or not (the server's GroundTruth: everything else
// acts only through a field, and most only through a field of crystals).
const ALWAYS_ACTING = new Set(["mode", "grid_size", "generations", "initial_density", "rule", "boundary", "seed"]);

/// What a run was effectively simulated with for parameter `name`, as the dataset's `true_*`
/// columns give it (README, docs/inference.md): `value` is the ground truth (null where the
/// dataset gives none), `inert` says why the configured value did not act (absent when it did).
/// A classical run has no field: field strength and crystal count 0, the crystals' own
/// parameters nothing, whatever the definition recorded; a morphic run whose field cannot act
/// (field strength 0 or no crystals) is described as one; an `llm_control` run's field
/// strength acts (the share of cells that follow the model's table), it has no crystals.
export function groundTruth(name, config) {
  const crystals = config.mode === "morphic" && config.crystal_count > 0 && config.field_strength > 0;
  const field = crystals || (config.mode === "llm_control" && config.field_strength > 0);
  const inert = field ? "no crystals acted in this run" : "no field acted in this run";
  if (ALWAYS_ACTING.has(name)) return { value: config[name] };
  if (name === "field_strength") return field ? { value: config[name] } : { value: 0, inert };
  if (name === "crystal_count") return crystals ? { value: config[name] } : { value: 0, inert };
  return crystals ? { value: config[name] } : { value: null, inert };
}
