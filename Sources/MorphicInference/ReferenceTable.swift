/// A reference table for simulation-based inference: for every run of a finished sweep,
/// the varied parameters it was simulated with (θ), the observable features of what it
/// produced (x), whether a field acted, and which split it belongs to. Nothing here knows
/// where the numbers came from.
public struct ReferenceTable: Sendable {
    /// The part of the reference a run belongs to: forests learn from `train`, interval
    /// widths are calibrated on `validation`, and coverage is measured on `test`, which
    /// nothing is ever fitted to.
    public enum Split: String, Sendable, CaseIterable {
        case train, validation, test
    }

    /// The varied parameters, in the order of each row of ``theta``.
    public let parameterNames: [String]
    /// Per varied parameter, whether it takes only whole numbers (a crystal count): its
    /// posterior draws are whole numbers too, on the parameter's own support.
    public let integerParameters: [Bool]
    /// The observable features, in the order of each row of ``x``.
    public let featureNames: [String]
    /// The runs' ids.
    public let runIDs: [String]
    /// Per run, each varied parameter's effective value; NaN where the parameter means
    /// nothing for that run (a control's temporal decay).
    public let theta: [[Double]]
    /// Per run, its observable features; NaN where a feature is undefined.
    public let x: [[Double]]
    /// Per run, whether a field acted on it (a morphic run with crystals and a field
    /// strength above 0).
    public let fieldActed: [Bool]
    /// Per run, its split.
    public let split: [Split]
    /// The seed every random choice of training derives from (the sweep's seed).
    public let seed: UInt64

    /// A table of `runIDs.count` runs; every per-run array must have that many rows, and
    /// every row as many columns as its names. `integerParameters` says which parameters
    /// take only whole numbers (none when not given).
    public init(
        parameterNames: [String], integerParameters: [Bool]? = nil, featureNames: [String], runIDs: [String],
        theta: [[Double]], x: [[Double]],
        fieldActed: [Bool], split: [Split], seed: UInt64
    ) throws {
        let count = runIDs.count
        guard theta.count == count, x.count == count, fieldActed.count == count, split.count == count else {
            throw InferenceError("the reference's columns have different numbers of runs")
        }
        guard theta.allSatisfy({ $0.count == parameterNames.count }), x.allSatisfy({ $0.count == featureNames.count })
        else { throw InferenceError("a reference row has the wrong number of values") }
        guard !featureNames.isEmpty else { throw InferenceError("the reference has no observable features") }
        let integerParameters = integerParameters ?? Array(repeating: false, count: parameterNames.count)
        guard integerParameters.count == parameterNames.count else {
            throw InferenceError(
                "the reference says of \(integerParameters.count) parameters whether they are whole numbers; it has \(parameterNames.count)"
            )
        }
        if let index = parameterNames.indices.first(where: { integerParameters[$0] }),
            let row = theta.first(where: { !$0[index].isNaN && $0[index] != $0[index].rounded() })
        {
            throw InferenceError(
                "\(parameterNames[index]) takes whole numbers; a run of the reference has \(row[index])")
        }
        self.integerParameters = integerParameters
        self.parameterNames = parameterNames
        self.featureNames = featureNames
        self.runIDs = runIDs
        self.theta = theta
        self.x = x
        self.fieldActed = fieldActed
        self.split = split
        self.seed = seed
    }

    /// The indices of the runs in `split`.
    public func rows(in split: Split) -> [Int] { self.split.indices.filter { self.split[$0] == split } }
}
