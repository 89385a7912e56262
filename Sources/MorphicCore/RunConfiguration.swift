/// Every parameter of one run (docs/model.md section 1), holding only allowed values.
///
/// Values enter through ``set(_:_:)``, which checks each against its range and names the
/// key when it refuses; ``validated()`` adds the checks that involve two keys.
public struct RunConfiguration: Hashable, Sendable {
    /// What decides a cell's fate besides the Life rule.
    public var mode: Mode = .morphic
    /// The grid is `gridSize` × `gridSize`.
    public var gridSize = 25
    /// The largest grid side the model allows.
    public static let maximumGridSize = 4096
    /// Number of steps.
    public var generations = 200
    /// The longest run the model allows.
    public static let maximumGenerations = 100_000
    /// Probability a cell starts alive.
    public var initialDensity = 0.4
    /// Birth and survival counts.
    public var rule = LifeRule.conway
    /// Dead or wrapping edges.
    public var boundary = Boundary.dead
    /// The most own crystals the field holds.
    public var crystalCount = 5
    /// φ, the master influence multiplier.
    public var fieldStrength = 0.6
    /// δ in exp(−δ·age).
    public var temporalDecay = 0.1
    /// θ: a crystal resonates only when similarity > θ.
    public var similarityThreshold = 0.7
    /// e in similarity^e.
    public var influenceExponent = 2.0
    /// κ, the weight of partner runs' crystals.
    public var crossSystemCoupling = 0.0
    /// Side k of the square window a crystal remembers.
    public var formSize = 5
    /// How similarity is measured.
    public var similarity = SimilarityMeasure.hamming
    /// Generations between crystallizations.
    public var crystallizationInterval = 10
    /// Live cells a window needs to become a crystal.
    public var minFormCells = 3
    /// η, the strength gain when a crystal's habit recurs.
    public var reinforcement = 0.1
    /// Influence above which a resonance event is counted.
    public var resonanceThreshold = 0.8
    /// The run seed; nil means derived from the sweep seed and run id.
    public var seed: UInt64?

    /// The defaults of docs/model.md.
    public init() {}

    /// Number of cells.
    public var cellCount: Int { gridSize * gridSize }

    /// Cell updates the run performs: cells × generations.
    public var cellSteps: Int { cellCount * generations }

    /// Sets one parameter, refusing a value of the wrong kind or outside its range.
    public mutating func set(_ key: ParameterKey, _ value: ParameterValue) throws(ConfigurationError) {
        switch (key.kind, value) {
        case (.text, .text(let text)):
            try setText(key, text)
        case (.integer, .number(let literal)):
            guard let integer = Self.integer(literal) else { throw .invalid(key, literal) }
            try setInteger(key, integer, shown: literal)
        case (.real, .number(let literal)):
            guard let real = Self.decimal(literal), real.isFinite else { throw .invalid(key, literal) }
            // Every range starts at 0 or above, so a negative too small for a double (read as
            // −0) is outside it; a zero written with its sign is 0, not −0, which would be
            // written back as -0.0 and make another sweep of the same runs.
            guard !(real == 0 && ParameterValue.isWrittenNegative(literal)) else { throw .invalid(key, literal) }
            try setReal(key, real == 0 ? 0 : real, shown: literal)
        case (_, .number(let literal)), (_, .text(let literal)):
            throw .invalid(key, "'\(literal)'")
        }
    }

    /// Sets one parameter from command-line text, which may be a number or a name.
    public mutating func set(_ key: ParameterKey, argument: String) throws(ConfigurationError) {
        try set(key, key.kind == .text ? .text(argument) : .number(argument))
    }

    /// Checks the constraints between parameters; returns self when all hold.
    public func validated() throws(ConfigurationError) -> RunConfiguration {
        guard minFormCells <= formSize * formSize else {
            throw ConfigurationError(
                key: ParameterKey.minFormCells.rawValue,
                message: "min_form_cells must be at most form_size² = \(formSize * formSize), not \(minFormCells)")
        }
        return self
    }

    /// The current value of a parameter, written canonically (nil for an absent seed).
    public func value(_ key: ParameterKey) -> ParameterValue? {
        switch key {
        case .mode: .text(mode.rawValue)
        case .gridSize: .number(String(gridSize))
        case .generations: .number(String(generations))
        case .initialDensity: .number(String(initialDensity))
        case .rule: .text(rule.description)
        case .boundary: .text(boundary.rawValue)
        case .crystalCount: .number(String(crystalCount))
        case .fieldStrength: .number(String(fieldStrength))
        case .temporalDecay: .number(String(temporalDecay))
        case .similarityThreshold: .number(String(similarityThreshold))
        case .influenceExponent: .number(String(influenceExponent))
        case .crossSystemCoupling: .number(String(crossSystemCoupling))
        case .formSize: .number(String(formSize))
        case .similarity: .text(similarity.rawValue)
        case .crystallizationInterval: .number(String(crystallizationInterval))
        case .minFormCells: .number(String(minFormCells))
        case .reinforcement: .number(String(reinforcement))
        case .resonanceThreshold: .number(String(resonanceThreshold))
        case .seed: seed.map { .number(String($0)) }
        }
    }

    /// A whole number written as an integer or as an integral decimal (`200`, `200.0`); a
    /// negative one too small for a double (`-1e-400`, read as −0) is none.
    private static func integer(_ literal: String) -> UInt64? {
        if let exact = UInt64(literal) { return exact }
        guard let real = decimal(literal), real >= 0, real < 0x1p53, real.rounded() == real,
            !(real == 0 && ParameterValue.isWrittenNegative(literal))
        else { return nil }
        return UInt64(real)
    }

    /// The number `literal` writes in decimal (digits, a point, an exponent), as `Double`
    /// reads it; nil for anything else `Double` would read, such as hexadecimal (`0x1p-3`),
    /// whose letters are digits, or `inf`.
    private static func decimal(_ literal: String) -> Double? {
        guard literal.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || "+-.eE".utf8.contains($0) })
        else { return nil }
        return Double(literal)
    }

    private mutating func setText(_ key: ParameterKey, _ text: String) throws(ConfigurationError) {
        let shown = "'\(text)'"
        switch key {
        case .mode:
            guard let parsed = Mode(name: text) else { throw .invalid(key, shown) }
            mode = parsed
        case .rule:
            guard let parsed = LifeRule(notation: text) else { throw .invalid(key, shown) }
            rule = parsed
        case .boundary:
            guard let parsed = Boundary(rawValue: text) else { throw .invalid(key, shown) }
            boundary = parsed
        default:
            guard let parsed = SimilarityMeasure(rawValue: text) else { throw .invalid(key, shown) }
            similarity = parsed
        }
    }

    private mutating func setInteger(_ key: ParameterKey, _ value: UInt64, shown: String) throws(ConfigurationError) {
        if key == .seed {
            seed = value
            return
        }
        let range: ClosedRange<UInt64> =
            switch key {
            case .gridSize: 3...UInt64(Self.maximumGridSize)
            case .generations: 1...UInt64(Self.maximumGenerations)
            case .crystalCount: 0...64
            case .formSize: 3...7
            case .crystallizationInterval: 1...10_000
            default: 1...49
            }
        guard range.contains(value), key != .formSize || value % 2 == 1 else { throw .invalid(key, shown) }
        let integer = Int(value)
        switch key {
        case .gridSize: gridSize = integer
        case .generations: generations = integer
        case .crystalCount: crystalCount = integer
        case .formSize: formSize = integer
        case .crystallizationInterval: crystallizationInterval = integer
        default: minFormCells = integer
        }
    }

    private mutating func setReal(_ key: ParameterKey, _ value: Double, shown: String) throws(ConfigurationError) {
        let range: ClosedRange<Double> =
            switch key {
            case .temporalDecay: 0...10
            case .influenceExponent: 0.1...10
            default: 0...1
            }
        guard range.contains(value) else { throw .invalid(key, shown) }
        switch key {
        case .initialDensity: initialDensity = value
        case .fieldStrength: fieldStrength = value
        case .temporalDecay: temporalDecay = value
        case .similarityThreshold: similarityThreshold = value
        case .influenceExponent: influenceExponent = value
        case .crossSystemCoupling: crossSystemCoupling = value
        case .reinforcement: reinforcement = value
        default: resonanceThreshold = value
        }
    }
}
