/// Posterior draws of all varied parameters together, so that each draw is one sample of the
/// joint posterior and keeps the dependence between parameters that the observation leaves
/// (a strong field with a fast decay can look like a weak one with a slow decay), while each
/// parameter's draws still follow its calibrated marginal posterior.
///
/// Each parameter's forest weights the training runs; their mean weights the training runs on
/// which every parameter is defined (the rows here), a quantile regression forest's estimate
/// of the joint posterior as a weighted sample of θ vectors. A draw picks one such row by its
/// weight, takes each parameter's level in that weighted sample (its probability integral
/// transform, uniform within a tie), and maps it through the parameter's calibrated quantile
/// function: the weighted sample's copula with the conformalized marginals (Sklar's theorem).
/// The levels are uniform under the weighted sample, so a parameter's draws have exactly its
/// calibrated quantiles in distribution, whichever other parameters there are.
struct JointDraws: Sendable {
    /// Per row, the θ vector, every parameter defined.
    let theta: [[Double]]
    /// Per parameter, the rows in ascending order of its value (ties by row).
    let order: [[Int32]]

    init(theta: [[Double]]) {
        self.theta = theta
        let parameters = theta.first?.count ?? 0
        order = (0..<parameters).map { parameter in
            theta.indices.sorted { (theta[$0][parameter], $0) < (theta[$1][parameter], $1) }.map(Int32.init)
        }
    }

    /// `count` draws, each the levels in (0, 1) of every parameter: `weights[p]` are the
    /// weights of `parameters[p]`'s forest by its training position. When no weighted
    /// training run has every parameter defined, the levels are independent uniforms: the
    /// forests say nothing of the dependence then, and each marginal still holds.
    func levels(
        weights: [[Double]], parameters: [PosteriorModel.ParameterForest], count: Int,
        generator: inout SeededGenerator
    ) -> [[Double]] {
        let parameterCount = parameters.count
        var rowWeights = [Double](repeating: 0, count: theta.count)
        for (parameter, forestWeights) in zip(parameters, weights) {
            for (position, weight) in forestWeights.enumerated() where weight > 0 {
                let row = parameter.joint[position]
                if row >= 0 { rowWeights[Int(row)] += weight }
            }
        }
        let total = rowWeights.reduce(0, +)
        guard total > 0 else {
            return (0..<count).map { _ in (0..<parameterCount).map { _ in generator.unit() } }
        }
        // Per parameter and row: the weighted share of rows below the row's value, and at it.
        var below = [[Double]](repeating: [], count: parameterCount)
        var upTo = below
        for parameter in 0..<parameterCount {
            var low = [Double](repeating: 0, count: theta.count)
            var high = low
            let sorted = order[parameter]
            var cumulative = 0.0
            var start = 0
            while start < sorted.count {
                let value = theta[Int(sorted[start])][parameter]
                var end = start
                var tie = 0.0
                while end < sorted.count && theta[Int(sorted[end])][parameter] == value {
                    tie += rowWeights[Int(sorted[end])]
                    end += 1
                }
                for index in start..<end {
                    low[Int(sorted[index])] = cumulative / total
                    high[Int(sorted[index])] = (cumulative + tie) / total
                }
                cumulative += tie
                start = end
            }
            below[parameter] = low
            upTo[parameter] = high
        }
        var cumulative = [Double](repeating: 0, count: theta.count)
        var running = 0.0
        for (row, weight) in rowWeights.enumerated() {
            running += weight
            cumulative[row] = running
        }
        return (0..<count).map { _ in
            let target = generator.unit() * running
            var low = 0
            var high = cumulative.count - 1
            while low < high {
                let middle = (low + high) / 2
                if cumulative[middle] > target { high = middle } else { low = middle + 1 }
            }
            return (0..<parameterCount).map { parameter in
                below[parameter][low] + (upTo[parameter][low] - below[parameter][low]) * generator.unit()
            }
        }
    }
}
