/// What a reference says about one observed run: for every parameter it varies, the
/// calibrated posterior's quantiles, mean and draws, and the probability that a field acted.
public struct Posterior: Hashable, Sendable {
    /// The quantile levels reported, in order.
    public static let probabilities = [0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975]

    /// One parameter's posterior.
    public struct Marginal: Hashable, Sendable {
        /// The parameter's name.
        public let name: String
        /// The mean of the calibrated posterior.
        public let mean: Double
        /// The quantiles at ``Posterior/probabilities``, ascending.
        public let quantiles: [Double]
        /// Draws from the calibrated posterior: the draws at the same position in every
        /// parameter's list are one draw of the joint posterior (``JointDraws``).
        public let draws: [Double]
    }

    /// The probability that a field acted, against the reference's controls; nil when the
    /// reference has no controls or no field runs to tell apart.
    public let pField: Double?
    /// The varied parameters' posteriors, in the reference's order.
    public let parameters: [Marginal]
}
