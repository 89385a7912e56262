import Testing

@testable import MorphicInference

/// A toy simulator with a known answer: θ = (a, b) uniform on [0, 1]², and features that
/// see a plainly, b through noise, and one that sees nothing. Both describe the field, so
/// a control (no field acted) has neither.
private func makeTable(
    runs: Int = 1_200, seed: UInt64 = 7, controls: Int = 200, controlsIn: ReferenceTable.Split? = nil
) throws -> ReferenceTable {
    var generator = SeededGenerator(seed: seed, stream: 99)
    var theta: [[Double]] = []
    var x: [[Double]] = []
    var field: [Bool] = []
    var split: [ReferenceTable.Split] = []
    for index in 0..<runs {
        let isControl = index < controls
        let a = isControl ? 0 : generator.unit()
        let b = generator.unit()
        let noise = { (scale: Double) in (generator.unit() - 0.5) * scale }
        theta.append(isControl ? [.nan, .nan] : [a, b])
        x.append([a + noise(0.2), b * b + noise(0.3), noise(1), isControl ? noise(0.1) : a * b + noise(0.1)])
        field.append(!isControl)
        let u = generator.unit()
        let drawn: ReferenceTable.Split = u < 0.6 ? .train : u < 0.8 ? .validation : .test
        split.append(isControl ? controlsIn ?? drawn : drawn)
    }
    return try ReferenceTable(
        parameterNames: ["a", "b"], featureNames: ["x0", "x1", "x2", "x3"], runIDs: (0..<runs).map { "run_\($0)" },
        theta: theta, x: x, fieldActed: field, split: split, seed: seed)
}

private var smallLimits: InferenceLimits {
    var limits = InferenceLimits()
    limits.trees = 40
    return limits
}

@Test func intervals_HoldTheirNominalCoverage_OnTheTestSplit() throws {
    let model = try PosteriorModel(try makeTable(), limits: smallLimits)
    for parameter in model.calibration.parameters {
        // 240 test runs: two standard errors of an 80 % coverage are 0.05.
        let tolerance = { (nominal: Double) in
            0.05 + 2 * (nominal * (1 - nominal) / Double(parameter.testRuns)).squareRoot()
        }
        for (nominal, coverage) in zip(Calibration.levels, parameter.coverage) {
            #expect(abs(coverage - nominal) <= tolerance(nominal), "\(parameter.name) at \(nominal): \(coverage)")
        }
        #expect(parameter.medianMAE < parameter.constantMAE * 0.8, "\(parameter.name)")
    }
    let field = try #require(model.calibration.field)
    #expect(field.rocAUC > 0.95)
    #expect(field.falsePositiveRate < 0.15)
}

/// Without controls in a split, `p_field` has no figures, and the calibration says why:
/// none to train on (then no answer has a `p_field`) or none to measure it on (then every
/// answer has one).
@Test func pField_WithoutControlsInASplit_SaysWhichSplit() throws {
    let observed = [0.5, 0.25, 0, 0.125]
    for (split, absence, answered) in [
        (ReferenceTable.Split.train, "the test split has no controls to measure p_field on", true),
        (.test, "the train split has no controls, so p_field is null in every answer", false),
    ] {
        let model = try PosteriorModel(try makeTable(controlsIn: split), limits: smallLimits)
        #expect(model.calibration.field == nil && model.calibration.fieldAbsence?.hasPrefix(absence) == true, "\(split)")
        #expect((try model.posterior(observed).pField != nil) == answered, "\(split)")
    }
    let none = try PosteriorModel(try makeTable(controls: 0), limits: smallLimits)
    #expect(none.calibration.fieldAbsence == "the train split has no controls, so p_field is null in every answer")
    #expect(try PosteriorModel(try makeTable(), limits: smallLimits).calibration.fieldAbsence == nil)
}

@Test func posterior_IsTheSame_ForTheSameReferenceAndObservation() throws {
    let table = try makeTable()
    let first = try PosteriorModel(table, limits: smallLimits)
    let second = try PosteriorModel(table, limits: smallLimits)
    let observation = [0.5, 0.3, 0.1, 0.2]
    #expect(try first.posterior(observation) == second.posterior(observation))
    #expect(first.calibration == second.calibration)
    let other = try PosteriorModel(try makeTable(seed: 8), limits: smallLimits)
    #expect(try first.posterior(observation) != other.posterior(observation))
}

@Test func posterior_IsOrderedAndInRange_AndFollowsTheEvidence() throws {
    let model = try PosteriorModel(try makeTable(), limits: smallLimits)
    for a in [0.1, 0.5, 0.9] {
        let posterior = try model.posterior([a, 0.25, 0, a * 0.5])
        let marginal = posterior.parameters[0]
        #expect(marginal.quantiles == marginal.quantiles.sorted())
        #expect(marginal.quantiles[0] <= a + 0.15 && a - 0.15 <= marginal.quantiles[8], "a = \(a)")
        #expect(marginal.draws.count == InferenceLimits().draws)
        #expect(marginal.draws.allSatisfy { (0...1).contains($0) })
        #expect(marginal.quantiles[0] <= marginal.mean && marginal.mean <= marginal.quantiles[8])
        #expect(try #require(posterior.pField) > 0.5)
    }
    #expect(try #require(try model.posterior([0, 0.25, 0, 0]).pField) < 0.5)
}

@Test func training_IsRefused_WithTooFewRunsOrNothingVaried() throws {
    let table = try makeTable(runs: 60, controls: 10)
    #expect(throws: InferenceError.self) { try PosteriorModel(table, limits: smallLimits) }
    let nothing = try ReferenceTable(
        parameterNames: [], featureNames: ["x"], runIDs: ["a"], theta: [[]], x: [[1]], fieldActed: [true],
        split: [.train], seed: 0)
    #expect(throws: InferenceError.self) { try PosteriorModel(nothing) }
    let model = try PosteriorModel(try makeTable(), limits: smallLimits)
    #expect(throws: InferenceError.self) { try model.posterior([1, 2, 3]) }
    #expect(throws: InferenceError.self) { try model.posterior([1, .infinity, 3, 4]) }
}

@Test func conformalCorrection_IsTheRankedScore_OrInfiniteWithTooFewRuns() {
    let scores = (1...19).map(Double.init)
    #expect(PosteriorModel.conformalCorrection(scores: scores, level: 0.5) == 10)
    #expect(PosteriorModel.conformalCorrection(scores: scores, level: 0.95) == 19)
    #expect(PosteriorModel.conformalCorrection(scores: Array(scores.prefix(10)), level: 0.95) == .infinity)
}

@Test func areaUnderCurve_CountsTiesAsHalf() {
    #expect(PosteriorModel.areaUnderCurve(positives: [0.9, 0.8], negatives: [0.1, 0.2]) == 1)
    #expect(PosteriorModel.areaUnderCurve(positives: [0.5], negatives: [0.5]) == 0.5)
    #expect(PosteriorModel.areaUnderCurve(positives: [0.1], negatives: [0.9, 0.05]) == 0.5)
}

@Test func correction_IsNone_WhenTheForestsIntervalsAlreadyHoldTheirLevel() {
    // 100 validation runs, 80 covered (score ≤ 0): an 80 % interval needs nothing.
    let held = (0..<100).map { $0 < 80 ? -Double($0 + 1) / 100 : Double($0) / 100 }
    #expect(PosteriorModel.correction(scores: held, level: 0.8) == 0)
    // 60 of 100 covered: moved outward by the conformal score.
    let missed = (0..<100).map { $0 < 60 ? -Double($0 + 1) / 100 : Double($0) / 100 }
    #expect(PosteriorModel.correction(scores: missed, level: 0.8) > 0)
    #expect(
        PosteriorModel.correction(scores: missed, level: 0.8)
            == PosteriorModel.conformalCorrection(scores: missed, level: 0.8))
}

@Test func correction_CountsAPointsReplicatesOnce_WhenItWeighsTheValidationShare() {
    // 20 points of 8 replicates each, 8 of the points covered: 40 % against 50 %. As 160
    // runs that is beyond two standard errors (±0.079); as 20 points it is within (±0.22).
    let scores: [Double] = (0..<160).map { (run: Int) -> Double in
        let score = 1.0 + Double(run)
        return run / 8 < 8 ? -score : score
    }
    #expect(PosteriorModel.correction(scores: scores, level: 0.5) > 0)
    #expect(PosteriorModel.correction(scores: scores, level: 0.5, points: 20) == 0)
}

/// θ = (a, b) uniform on [0, 1]², seen only through their sum: given the sum, a and b trade
/// off, so the joint posterior lies along a line of slope −1 while each marginal is wide.
private func makeSumTable(runs: Int = 2_000) throws -> ReferenceTable {
    var generator = SeededGenerator(seed: 5, stream: 7)
    var theta: [[Double]] = []
    var x: [[Double]] = []
    var field: [Bool] = []
    var split: [ReferenceTable.Split] = []
    for index in 0..<runs {
        let isControl = index < 200
        let (a, b) = (generator.unit(), generator.unit())
        theta.append(isControl ? [.nan, .nan] : [a, b])
        x.append([isControl ? 0 : a + b + (generator.unit() - 0.5) * 0.05, generator.unit()])
        field.append(!isControl)
        let u = generator.unit()
        split.append(u < 0.6 ? .train : u < 0.8 ? .validation : .test)
    }
    return try ReferenceTable(
        parameterNames: ["a", "b"], featureNames: ["sum", "noise"], runIDs: (0..<runs).map { "run_\($0)" },
        theta: theta, x: x, fieldActed: field, split: split, seed: 5)
}

private func correlation(_ x: [Double], _ y: [Double]) -> Double {
    let mx = x.reduce(0, +) / Double(x.count)
    let my = y.reduce(0, +) / Double(y.count)
    var (sxy, sxx, syy) = (0.0, 0.0, 0.0)
    for (u, v) in zip(x, y) {
        sxy += (u - mx) * (v - my)
        sxx += (u - mx) * (u - mx)
        syy += (v - my) * (v - my)
    }
    return sxy / (sxx * syy).squareRoot()
}

@Test func draws_AreJoint_KeepTheMarginals_AndAreTheSameEveryTime() throws {
    var limits = smallLimits
    limits.draws = 2_000
    let model = try PosteriorModel(try makeSumTable(), limits: limits)
    for sum in [0.6, 1.0, 1.4] {
        let posterior = try model.posterior([sum, 0.5])
        let (a, b) = (posterior.parameters[0], posterior.parameters[1])
        // The trade-off the observation leaves is in the draws: a + b stays near the sum.
        #expect(correlation(a.draws, b.draws) < -0.6, "sum \(sum)")
        let sums = zip(a.draws, b.draws).map { $0 + $1 }
        #expect(sums.filter { abs($0 - sum) < 0.2 }.count >= sums.count * 8 / 10, "sum \(sum)")
        // Each parameter's draws follow its reported quantiles.
        for marginal in posterior.parameters {
            for (level, quantile) in zip(Posterior.probabilities, marginal.quantiles) {
                let share = Double(marginal.draws.filter { $0 <= quantile }.count) / Double(marginal.draws.count)
                #expect(abs(share - level) <= 0.04, "\(marginal.name) at \(level): \(share), sum \(sum)")
            }
        }
        #expect(try model.posterior([sum, 0.5]) == posterior)
    }
    // A control-like observation (no field) still gives draws in range, the same every time.
    let control = try model.posterior([0, 0.5])
    #expect(control.parameters.allSatisfy { $0.draws.allSatisfy { (0...1).contains($0) } })
    #expect(try model.posterior([0, 0.5]) == control)
}

/// A whole-number parameter's draws are whole numbers within the reference's range, follow
/// its quantiles, and are the same twice; a real-valued one's are not rounded.
@Test func draws_OfAWholeNumberParameter_AreWholeNumbers() throws {
    let table = try randomTable(seed: 3, parameters: ["count", "strength"], integer: [true, false], features: 2) {
        generator in
        let count = Double(1 + Int(generator.unit() * 10))
        let strength = generator.unit()
        return ([count, strength], [count + (generator.unit() - 0.5) * 6, strength + (generator.unit() - 0.5) * 0.5])
    }
    let model = try PosteriorModel(table, limits: smallLimits)
    for observation in [[1.5, 0.2], [5.2, 0.5], [9.7, 0.9]] {
        let posterior = try model.posterior(observation)
        let count = posterior.parameters[0]
        #expect(count.draws.allSatisfy { $0 == $0.rounded() && (1...10).contains($0) }, "\(count.draws.prefix(8))")
        // Half the draws at or below the median, a tenth below the 0.1 quantile, give or take ties.
        let median = count.quantiles[4]
        #expect(Double(count.draws.filter { $0 <= median }.count) / Double(count.draws.count) >= 0.4)
        #expect(Double(count.draws.filter { $0 < count.quantiles[2] }.count) / Double(count.draws.count) <= 0.2)
        #expect(posterior.parameters[1].draws.contains { $0 != $0.rounded() })
        #expect(try model.posterior(observation) == posterior)
    }
    // A reference whose whole-number parameter holds a fraction is refused.
    #expect(throws: InferenceError.self) {
        try ReferenceTable(
            parameterNames: ["count"], integerParameters: [true], featureNames: ["x"], runIDs: ["a"], theta: [[1.5]],
            x: [[0]], fieldActed: [true], split: [.train], seed: 0)
    }
}

/// A whole-number parameter whose prior skips values (a form size chosen from 3 and 5) is
/// drawn only on what the reference's runs take: never 4, which no simulator would accept.
@Test func draws_OfAParameterChosenFromSomeWholeNumbers_StayOnThem() throws {
    let table = try randomTable(seed: 5, parameters: ["form_size"], integer: [true], features: 1) { generator in
        let size = generator.unit() < 0.5 ? 3.0 : 5.0
        // Barely told apart, so that a posterior spreads over both.
        return ([size], [size + (generator.unit() - 0.5) * 8])
    }
    let model = try PosteriorModel(table, limits: smallLimits)
    for observation in [[2.0], [4.0], [6.0]] {
        let draws = try model.posterior(observation).parameters[0].draws
        #expect(Set(draws).isSubset(of: [3, 5]), "\(Set(draws).sorted())")
    }
    // Between the two, both are drawn.
    #expect(Set(try model.posterior([4.0]).parameters[0].draws) == [3, 5])
}

/// A reference of 1,200 runs whose θ and x `run` draws, split about 60/20/20 at random, a
/// field acting in each.
func randomTable(
    seed: UInt64, parameters: [String], integer: [Bool], features: Int,
    _ run: (inout SeededGenerator) -> (theta: [Double], x: [Double])
) throws -> ReferenceTable {
    var generator = SeededGenerator(seed: seed, stream: 11)
    var theta: [[Double]] = []
    var x: [[Double]] = []
    var split: [ReferenceTable.Split] = []
    for _ in 0..<1_200 {
        let made = run(&generator)
        theta.append(made.theta)
        x.append(made.x)
        let u = generator.unit()
        split.append(u < 0.6 ? .train : u < 0.8 ? .validation : .test)
    }
    return try ReferenceTable(
        parameterNames: parameters, integerParameters: integer, featureNames: (0..<features).map { "x\($0)" },
        runIDs: theta.indices.map { "run_\($0)" }, theta: theta, x: x, fieldActed: Array(repeating: true, count: 1_200),
        split: split, seed: seed)
}

/// A reference that varies only what is not inferred (a rule, say) is refused saying so,
/// not that it varies nothing.
@Test func reference_VaryingOnlyWhatIsNotInferred_IsRefusedSayingSo() throws {
    let table = try randomTable(seed: 7, parameters: [], integer: [], features: 1) { generator in
        ([], [generator.unit()])
    }
    let error = #expect(throws: InferenceError.self) { try PosteriorModel(table, limits: smallLimits) }
    #expect(error?.message.contains("not rule, boundary or similarity") == true, "\(error?.message ?? "")")
}
