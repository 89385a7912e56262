/// How well a trained reference's posteriors hold on its `test` split, which nothing was
/// fitted to: the figures that travel with every answer.
public struct Calibration: Hashable, Sendable {
    /// The central intervals whose coverage is measured.
    public static let levels = [0.5, 0.8, 0.95]

    /// One parameter's figures.
    public struct Parameter: Hashable, Sendable {
        /// The parameter's name.
        public let name: String
        /// Test runs with a defined value of the parameter.
        public let testRuns: Int
        /// Per level of ``Calibration/levels``: the share of test runs whose value lies in
        /// the calibrated central interval.
        public let coverage: [Double]
        /// The same for the forest's intervals before calibration on the validation split.
        public let uncalibratedCoverage: [Double]
        /// Per level: the mean width of the calibrated interval.
        public let meanWidth: [Double]
        /// Mean absolute error of the posterior median.
        public let medianMAE: Double
        /// Mean absolute error of a constant guess, the training runs' median.
        public let constantMAE: Double
    }

    /// How `p_field` tells field runs from controls.
    public struct Field: Hashable, Sendable {
        /// Test runs on which a field acted.
        public let fieldRuns: Int
        /// Test runs on which none did.
        public let controls: Int
        /// Area under the ROC curve (ties count a half).
        public let rocAUC: Double
        /// Share of test controls with `p_field` ≥ 0.5.
        public let falsePositiveRate: Double
        /// Share of test field runs with `p_field` ≥ 0.5.
        public let truePositiveRate: Double
    }

    /// Runs in each split, in the order of ``ReferenceTable/Split/allCases``.
    public let runs: [Int]
    /// Each varied parameter's figures.
    public let parameters: [Parameter]
    /// `p_field`'s figures; nil when the reference lacks controls or field runs.
    public let field: Field?
    /// Why ``field`` is nil: the `train` split has no controls or no field runs (then
    /// `p_field` is nil in every answer), or the `test` split has none to measure it on.
    public let fieldAbsence: String?
}
