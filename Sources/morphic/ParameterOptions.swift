import ArgumentParser
import MorphicCore

/// One flag per parameter of docs/model.md, named after its JSON key (`--field-strength=0.8`).
///
/// Numeric flags, here and in the other commands, take the next argument whatever it looks
/// like (`parsing: .unconditional`): `--field-strength -0.5` is then refused for its range,
/// where the parser would have read `-0.5` as an unknown option and said the value is missing.
struct ParameterOptions: ParsableArguments {
    @Option(help: "classical, morphic or llm_control (control means classical). [default: morphic]")
    var mode: String?
    @Option(
        name: .customLong("grid-size"), parsing: .unconditional,
        help: "Side of the square grid, 3...4096. [default: 25]")
    var gridSize: String?
    @Option(parsing: .unconditional, help: "Number of steps, 1...100000. [default: 200]")
    var generations: String?
    @Option(
        name: .customLong("initial-density"), parsing: .unconditional,
        help: "Probability a cell starts alive, [0, 1]. [default: 0.4]")
    var initialDensity: String?
    @Option(help: "Life-like rule in B/S notation. [default: B3/S23]")
    var rule: String?
    @Option(help: "dead or torus. [default: dead]")
    var boundary: String?
    @Option(
        name: .customLong("crystal-count"), parsing: .unconditional,
        help: "Most crystals the field holds, 0...64. [default: 5]")
    var crystalCount: String?
    @Option(
        name: .customLong("field-strength"), parsing: .unconditional,
        help: "φ, master influence multiplier, [0, 1]. [default: 0.6]")
    var fieldStrength: String?
    @Option(
        name: .customLong("temporal-decay"), parsing: .unconditional, help: "δ in exp(−δ·age), [0, 10]. [default: 0.1]")
    var temporalDecay: String?
    @Option(
        name: .customLong("similarity-threshold"),
        parsing: .unconditional,
        help: "θ: a crystal resonates only when similarity > θ, [0, 1]. [default: 0.7]")
    var similarityThreshold: String?
    @Option(
        name: .customLong("influence-exponent"), parsing: .unconditional,
        help: "e in similarity^e, [0.1, 10]. [default: 2.0]")
    var influenceExponent: String?
    @Option(
        name: .customLong("cross-system-coupling"),
        parsing: .unconditional,
        help: "κ, weight of partner runs' crystals, [0, 1]; a lone run has no partners. [default: 0.0]")
    var crossSystemCoupling: String?
    @Option(
        name: .customLong("form-size"), parsing: .unconditional,
        help: "Side of a crystal's window: 3, 5 or 7. [default: 5]")
    var formSize: String?
    @Option(help: "hamming or jaccard. [default: hamming]")
    var similarity: String?
    @Option(
        name: .customLong("crystallization-interval"), parsing: .unconditional,
        help: "Generations between crystallizations, 1...10000. [default: 10]")
    var crystallizationInterval: String?
    @Option(
        name: .customLong("min-form-cells"), parsing: .unconditional,
        help: "Live cells a window needs to crystallize, 1...form size². [default: 3]")
    var minFormCells: String?
    @Option(parsing: .unconditional, help: "η, strength gain when a habit recurs, [0, 1]. [default: 0.1]")
    var reinforcement: String?
    @Option(
        name: .customLong("resonance-threshold"), parsing: .unconditional,
        help: "Influence above which a resonance is counted, [0, 1]. [default: 0.8]")
    var resonanceThreshold: String?
    @Option(parsing: .unconditional, help: "Run seed, 0...2^64−1. [default: derived from --sweep-seed and --run-id]")
    var seed: String?

    /// The flags given, by parameter.
    var given: [(ParameterKey, String)] {
        let values: [ParameterKey: String?] = [
            .mode: mode, .gridSize: gridSize, .generations: generations, .initialDensity: initialDensity,
            .rule: rule, .boundary: boundary, .crystalCount: crystalCount, .fieldStrength: fieldStrength,
            .temporalDecay: temporalDecay, .similarityThreshold: similarityThreshold,
            .influenceExponent: influenceExponent, .crossSystemCoupling: crossSystemCoupling,
            .formSize: formSize, .similarity: similarity, .crystallizationInterval: crystallizationInterval,
            .minFormCells: minFormCells, .reinforcement: reinforcement, .resonanceThreshold: resonanceThreshold,
            .seed: seed,
        ]
        return ParameterKey.allCases.compactMap { key in values[key]!.map { (key, $0) } }
    }

    /// The configuration the flags describe; errors name the flag.
    func configuration() throws -> RunConfiguration {
        var configuration = RunConfiguration()
        do {
            for (key, argument) in given { try configuration.set(key, argument: argument) }
            return try configuration.validated()
        } catch {
            // Messages start with the key; the user typed its flag.
            let flag = ParameterKey(rawValue: error.key)?.flagName ?? error.key
            throw ValidationError(
                "--" + flag + error.message.dropFirst(error.message.hasPrefix(error.key) ? error.key.count : 0))
        }
    }
}
