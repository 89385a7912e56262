/// A reference table trained for inference: one quantile regression forest per varied
/// parameter, whose central intervals are widened or narrowed on the `validation` split
/// until they hold their nominal coverage there (conformalized quantile regression,
/// Romano, Patterson & Candès 2019) when the forest's own intervals miss it there by more
/// than sampling error, and one forest for whether a field acted. Its
/// calibration on the `test` split is measured once, at training.
///
/// Everything is a pure function of the table and the limits: the same reference gives the
/// same bytes on any machine and after any restart.
public struct PosteriorModel: Sendable {
    /// The central intervals that are calibrated: each pair of quantiles symmetric about the
    /// median, as indices into ``Posterior/probabilities`` (95 %, 90 %, 80 %, 50 %).
    static let intervals: [(lower: Int, upper: Int, level: Double)] = [
        (0, 8, 0.95), (1, 7, 0.9), (2, 6, 0.8), (3, 5, 0.5),
    ]

    /// One parameter's forest and what calibrates it.
    struct ParameterForest: Sendable {
        let name: String
        let forest: RegressionForest
        /// The training runs' values, by training position.
        let targets: [Double]
        /// Each training position's place among the ``JointDraws`` rows, -1 for a run that is
        /// not one of them.
        let joint: [Int32]
        /// Training positions in ascending order of their values.
        let order: [Int]
        /// Per interval of ``PosteriorModel/intervals``: how far to move both ends outward
        /// (negative: inward).
        let corrections: [Double]
        /// The smallest and largest value the reference holds: no posterior leaves them.
        let range: ClosedRange<Double>
        /// For a parameter that takes only whole numbers, the values the reference's runs
        /// take, ascending: its prior's support as the reference shows it (3 and 5, never 4,
        /// for a form size chosen from those two), which its draws are on. Empty for a
        /// parameter of real numbers.
        let support: [Double]
    }

    /// The varied parameters, in order.
    public let parameterNames: [String]
    /// The observable features an observation must give, in order.
    public let featureNames: [String]
    /// The figures measured on the test split.
    public private(set) var calibration: Calibration
    let binning: FeatureBinning
    let parameters: [ParameterForest]
    let field: (forest: RegressionForest, targets: [Double])?
    let joint: JointDraws
    /// The limits it was trained with.
    public let limits: InferenceLimits
    let seed: UInt64

    /// Refuses a reference with fewer runs in a split than training and calibrating need;
    /// callers that know only the planned counts ask before reading anything.
    public static func checkSplits(train: Int, validation: Int, test: Int, limits: InferenceLimits) throws {
        for (name, count, least) in [
            ("train", train, limits.minimumTrainingRuns), ("validation", validation, limits.minimumHeldOutRuns),
            ("test", test, limits.minimumHeldOutRuns),
        ] where count < least {
            throw InferenceError(
                "the reference has \(count) \(name) runs; training and calibrating need at least \(least)")
        }
    }

    /// Trains on `table`; `progress` hears the fraction done after each forest.
    public init(
        _ table: ReferenceTable, limits: InferenceLimits = InferenceLimits(),
        progress: (@Sendable (Double) -> Void)? = nil
    ) throws {
        let count = table.runIDs.count
        guard count <= limits.maximumRuns else {
            throw InferenceError("the reference has \(count) runs, more than the limit of \(limits.maximumRuns)")
        }
        guard !table.parameterNames.isEmpty else {
            throw InferenceError(
                "the reference varies no parameter that is inferred (one written as a number, other than grid size and "
                    + "generations; not rule, boundary or similarity): there is nothing to infer")
        }
        let train = table.rows(in: .train)
        let validation = table.rows(in: .validation)
        let test = table.rows(in: .test)
        try Self.checkSplits(train: train.count, validation: validation.count, test: test.count, limits: limits)
        let bins = limits.bins
        let binning = FeatureBinning(x: table.x, rows: train, featureCount: table.featureNames.count, bins: bins)
        let columns = binning.columns(table.x)
        let forestCount = Double(table.parameterNames.count + 1)
        // The training runs on which every varied parameter is defined: the rows joint draws
        // are taken from (docs/inference.md, "Draws").
        let jointRows = train.filter { row in !table.theta[row].contains { $0.isNaN } }
        var jointPlace = [Int32](repeating: -1, count: count)
        for (place, row) in jointRows.enumerated() { jointPlace[row] = Int32(place) }
        var parameters: [ParameterForest] = []
        for (index, name) in table.parameterNames.enumerated() {
            let defined = { (rows: [Int]) in rows.filter { !table.theta[$0][index].isNaN } }
            let trainRows = defined(train)
            let validationRows = defined(validation)
            guard trainRows.count >= limits.minimumTrainingRuns else {
                throw InferenceError(
                    "\(name) is defined on \(trainRows.count) train runs; at least \(limits.minimumTrainingRuns) are needed"
                )
            }
            guard validationRows.count >= limits.minimumHeldOutRuns, defined(test).count >= limits.minimumHeldOutRuns
            else {
                throw InferenceError(
                    "\(name) is defined on too few validation or test runs (at least \(limits.minimumHeldOutRuns) each)"
                )
            }
            let targets = trainRows.map { table.theta[$0][index] }
            let values = (train + validation + test).map { table.theta[$0][index] }.filter { !$0.isNaN }
            let forest = RegressionForest(
                columns: columns, rows: trainRows, targets: targets, bins: bins, limits: limits,
                seed: SeededGenerator.mix(table.seed ^ UInt64(index + 1)))
            let order = targets.indices.sorted { (targets[$0], $0) < (targets[$1], $1) }
            let joint = trainRows.map { jointPlace[$0] }
            let uncorrected = ParameterForest(
                name: name, forest: forest, targets: targets, joint: joint, order: order,
                corrections: Array(repeating: 0, count: Self.intervals.count), range: values.min()!...values.max()!,
                support: table.integerParameters[index] ? Array(Set(values)).sorted() : [])
            let raw = validationRows.map { uncorrected.rawQuantiles(bins: binning.bins(table.x[$0])) }
            // Replicates of a point share θ: their scores are not independent draws.
            let points = Set(validationRows.map { table.theta[$0] }).count
            let corrections = Self.intervals.map { interval in
                Self.correction(
                    scores: zip(validationRows, raw).map { row, quantiles in
                        let value = table.theta[row][index]
                        return max(quantiles[interval.lower] - value, value - quantiles[interval.upper])
                    }, level: interval.level, points: points)
            }
            parameters.append(
                ParameterForest(
                    name: name, forest: forest, targets: targets, joint: joint, order: order, corrections: corrections,
                    range: uncorrected.range, support: uncorrected.support))
            progress?(Double(index + 1) / forestCount)
        }
        let fieldRows = train.filter { table.fieldActed[$0] }.count
        let untrained =
            fieldRows == 0 ? "the train split has no field runs, so p_field is null in every answer"
            : fieldRows == train.count ? "the train split has no controls, so p_field is null in every answer" : nil
        if untrained == nil {
            let targets = train.map { table.fieldActed[$0] ? 1.0 : 0.0 }
            field = (
                RegressionForest(
                    columns: columns, rows: train, targets: targets, bins: bins, limits: limits,
                    seed: SeededGenerator.mix(table.seed ^ 0xF1E1D)),
                targets
            )
        } else {
            field = nil
        }
        progress?(1)
        self.parameterNames = table.parameterNames
        self.featureNames = table.featureNames
        self.binning = binning
        self.parameters = parameters
        self.joint = JointDraws(theta: jointRows.map { table.theta[$0] })
        self.limits = limits
        self.seed = table.seed
        self.calibration = Calibration(
            runs: [train.count, validation.count, test.count], parameters: [], field: nil, fieldAbsence: untrained)
        self.calibration = measured(on: table, rows: test, runs: calibration.runs, untrained: untrained)
    }

    /// The posterior for a run whose observable features are `x` (in ``featureNames``'s order).
    public func posterior(_ x: [Double]) throws -> Posterior {
        guard x.count == featureNames.count else {
            throw InferenceError("an observation has \(x.count) features; the reference has \(featureNames.count)")
        }
        if let index = x.firstIndex(where: { $0.isInfinite }) {
            throw InferenceError("feature \(featureNames[index]) is infinite", field: featureNames[index])
        }
        let bins = binning.bins(x)
        // Draws differ from one observation to the next but not from one asking to the next.
        var hash: UInt64 = seed
        for value in x { hash = SeededGenerator.mix(hash ^ value.bitPattern) }
        let weights = parameters.map { $0.weights(bins: bins) }
        let quantiles = zip(parameters, weights).map { $0.calibrate($0.rawQuantiles(weights: $1)) }
        let functions = zip(parameters, zip(quantiles, weights)).map { $0.quantileFunction($1.0, weights: $1.1) }
        var generator = SeededGenerator(seed: hash, stream: UInt64(parameters.count))
        let levels = joint.levels(weights: weights, parameters: parameters, count: limits.draws, generator: &generator)
        let marginals = parameters.indices.map { index in
            Posterior.Marginal(
                name: parameters[index].name, mean: Self.mean(functions[index]), quantiles: quantiles[index],
                draws: levels.map { parameters[index].draw(Self.evaluate(functions[index], at: $0[index])) })
        }
        return Posterior(pField: fieldProbability(bins: bins), parameters: marginals)
    }

    private func fieldProbability(bins: [UInt8]) -> Double? {
        guard let field else { return nil }
        var weights = [Double](repeating: 0, count: field.forest.trainingCount)
        field.forest.addWeights(bins: bins, to: &weights)
        var probability = 0.0
        for (weight, target) in zip(weights, field.targets) { probability += weight * target }
        return min(1, max(0, probability))
    }

    /// The figures of ``Calibration`` on `rows` (the test split).
    private func measured(on table: ReferenceTable, rows: [Int], runs: [Int], untrained: String?) -> Calibration {
        var figures: [Calibration.Parameter] = []
        let binned = rows.map { binning.bins(table.x[$0]) }
        for (index, parameter) in parameters.enumerated() {
            var covered = [Int](repeating: 0, count: Calibration.levels.count)
            var rawCovered = covered
            var widths = [Double](repeating: 0, count: Calibration.levels.count)
            var error = 0.0
            var constantError = 0.0
            var count = 0
            let constant = parameter.trainingMedian
            for (row, bins) in zip(rows, binned) {
                let value = table.theta[row][index]
                guard !value.isNaN else { continue }
                count += 1
                let raw = parameter.rawQuantiles(bins: bins)
                let calibrated = parameter.calibrate(raw)
                for (level, nominal) in Calibration.levels.enumerated() {
                    let interval = Self.intervals.first { $0.level == nominal }!
                    if calibrated[interval.lower] <= value && value <= calibrated[interval.upper] {
                        covered[level] += 1
                    }
                    if raw[interval.lower] <= value && value <= raw[interval.upper] { rawCovered[level] += 1 }
                    widths[level] += calibrated[interval.upper] - calibrated[interval.lower]
                }
                error += abs(calibrated[4] - value)
                constantError += abs(constant - value)
            }
            let share = { (value: Int) in Double(value) / Double(max(1, count)) }
            figures.append(
                Calibration.Parameter(
                    name: parameter.name, testRuns: count, coverage: covered.map(share),
                    uncalibratedCoverage: rawCovered.map(share), meanWidth: widths.map { $0 / Double(max(1, count)) },
                    medianMAE: error / Double(max(1, count)), constantMAE: constantError / Double(max(1, count))))
        }
        var fieldFigures: Calibration.Field?
        var absence = untrained
        if field != nil {
            let scored = zip(rows, binned).map { (table.fieldActed[$0], fieldProbability(bins: $1)!) }
            let positives = scored.filter(\.0).map(\.1)
            let negatives = scored.filter { !$0.0 }.map(\.1)
            if positives.isEmpty {
                absence = "the test split has no field runs to measure p_field on"
            } else if negatives.isEmpty {
                // Replicates of one point share a split: controls that are all one point's
                // land in one split.
                absence = "the test split has no controls to measure p_field on: runs are split by parameter point"
            } else {
                fieldFigures = Calibration.Field(
                    fieldRuns: positives.count, controls: negatives.count,
                    rocAUC: Self.areaUnderCurve(positives: positives, negatives: negatives),
                    falsePositiveRate: Double(negatives.filter { $0 >= 0.5 }.count) / Double(negatives.count),
                    truePositiveRate: Double(positives.filter { $0 >= 0.5 }.count) / Double(positives.count))
            }
        }
        return Calibration(runs: runs, parameters: figures, field: fieldFigures, fieldAbsence: absence)
    }

    /// How far to move one interval's ends: nothing when the forest's own interval covers
    /// the validation runs as often as its level within two binomial standard errors (then
    /// a correction would mostly add the validation sample's noise), otherwise the
    /// split-conformal correction. Scores are `max(lower − θ, θ − upper)`: a run is covered
    /// when its score is at most 0. The errors count `points`, the distinct parameter points
    /// the runs were made at (all runs when nil): replicates of a point share its θ, so the
    /// share covered varies as a sample of points does, not of runs.
    static func correction(scores: [Double], level: Double, points: Int? = nil) -> Double {
        let covered = Double(scores.filter { $0 <= 0 }.count) / Double(max(1, scores.count))
        let band = 2 * (level * (1 - level) / Double(max(1, points ?? scores.count))).squareRoot()
        return abs(covered - level) <= band ? 0 : conformalCorrection(scores: scores, level: level)
    }

    /// The split-conformal correction for one interval: the ⌈(1 − α)(n + 1)⌉-th smallest
    /// score, n being the validation runs; infinite (the whole range) when there are too few.
    static func conformalCorrection(scores: [Double], level: Double) -> Double {
        let sorted = scores.sorted()
        let rank = Int((level * Double(sorted.count + 1)).rounded(.up))
        return rank <= sorted.count ? sorted[max(0, rank - 1)] : .infinity
    }

    /// Mann–Whitney's statistic over all pairs, ties counting a half.
    static func areaUnderCurve(positives: [Double], negatives: [Double]) -> Double {
        let sorted = negatives.sorted()
        var total = 0.0
        for value in positives {
            let low = sorted.firstIndex(notBelow: value)
            var equal = low
            while equal < sorted.count && sorted[equal] == value { equal += 1 }
            total += Double(low) + Double(equal - low) / 2
        }
        return total / Double(positives.count * sorted.count)
    }

    /// A quantile function given by knots (probability, value), linear between them.
    typealias QuantileFunction = [(p: Double, value: Double)]

    static func evaluate(_ function: QuantileFunction, at p: Double) -> Double {
        var index = 1
        while index < function.count - 1 && function[index].p < p { index += 1 }
        let (p0, v0) = function[index - 1]
        let (p1, v1) = function[index]
        return p1 > p0 ? v0 + (v1 - v0) * (p - p0) / (p1 - p0) : v1
    }

    /// The mean of the distribution whose quantile function is `function`.
    static func mean(_ function: QuantileFunction) -> Double {
        var total = 0.0
        for index in 1..<function.count {
            total +=
                (function[index].p - function[index - 1].p) * (function[index].value + function[index - 1].value) / 2
        }
        return total
    }
}

extension PosteriorModel.ParameterForest {
    /// The median of the training runs' values: the constant guess.
    var trainingMedian: Double { targets[order[(order.count - 1) / 2]] }

    /// A draw of the quantile function, on the parameter's own support: for a parameter that
    /// takes only whole numbers, the nearest value the reference's runs take (the larger of
    /// two as near), so each value's share is the quantile function's mass nearer to it than
    /// to the others, and a simulator can take every draw as it is.
    func draw(_ value: Double) -> Double {
        guard !support.isEmpty else { return value }
        // The first value of the support at or above the draw, and the one below it.
        let low = support.firstIndex(notBelow: value)
        guard low > 0 else { return support[0] }
        guard low < support.count else { return support[support.count - 1] }
        let (below, above) = (support[low - 1], support[low])
        return value - below < above - value ? below : above
    }

    /// The forest's weights for a run with these bins, by training position.
    func weights(bins: [UInt8]) -> [Double] {
        var weights = [Double](repeating: 0, count: forest.trainingCount)
        forest.addWeights(bins: bins, to: &weights)
        return weights
    }

    /// The forest's own quantiles at ``Posterior/probabilities``: the smallest value whose
    /// weighted share of training runs at or below it reaches the level.
    func rawQuantiles(bins: [UInt8]) -> [Double] { rawQuantiles(weights: weights(bins: bins)) }

    /// The same, from the forest's weights.
    func rawQuantiles(weights: [Double]) -> [Double] {
        var result: [Double] = []
        var cumulative = 0.0
        var level = 0
        let probabilities = Posterior.probabilities
        for position in order {
            cumulative += weights[position]
            // Sums of many small weights fall short of 1 by a few ulps.
            while level < probabilities.count && cumulative >= probabilities[level] - 1e-12 {
                result.append(targets[position])
                level += 1
            }
            if level == probabilities.count { break }
        }
        while result.count < probabilities.count { result.append(targets[order.last!]) }
        return result
    }

    /// `raw` with each central interval moved by its correction, kept within the
    /// reference's range and ascending about the unmoved median.
    func calibrate(_ raw: [Double]) -> [Double] {
        var result = raw
        for (interval, correction) in zip(PosteriorModel.intervals, corrections) {
            result[interval.lower] = max(range.lowerBound, min(raw[4], raw[interval.lower] - correction))
            result[interval.upper] = min(range.upperBound, max(raw[4], raw[interval.upper] + correction))
        }
        for index in stride(from: 2, through: 0, by: -1) { result[index] = min(result[index], result[index + 1]) }
        for index in 6...8 { result[index] = max(result[index], result[index - 1]) }
        return result
    }

    /// The calibrated posterior as a quantile function: linear between the quantiles, and
    /// out to the weighted runs' smallest and largest values beyond 0.025 and 0.975.
    func quantileFunction(_ quantiles: [Double], weights: [Double]) -> PosteriorModel.QuantileFunction {
        let support = order.filter { weights[$0] > 0 }.map { targets[$0] }
        let low = min(quantiles[0], support.first ?? quantiles[0])
        let high = max(quantiles[8], support.last ?? quantiles[8])
        return [(0, low)] + zip(Posterior.probabilities, quantiles).map { ($0, $1) } + [(1, high)]
    }
}
