import MorphicCore

/// The points of a group's ``ParameterSample`` in a given sweep: coordinate j of point i is
/// a pure function of the sweep seed, the group's index in the definition, j and i, so any
/// worker, shard or restart computes the same value without the points before it.
///
/// With `g` the group index and `d = g·256 + j`, the uniform draw of point i on axis j is
/// `unit(mix64(mix64(mix64(mix64(seed) ^ fnv1a64("sample")) ^ d) ^ i))` (CounterRandom's
/// functions). `random` takes it as the coordinate. `latin_hypercube` takes
/// `(πⱼ(i) + draw) / count`, πⱼ a permutation of 0..<count shuffled by Fisher-Yates from the
/// top, swapping position m with `r mod (m + 1)`, r = `mix64(mix64(mix64(mix64(seed) ^
/// fnv1a64("latin_hypercube")) ^ d) ^ m)`. `sobol` takes point i of ``SobolSequence``,
/// coordinate j, whatever the seed. The coordinate u then becomes a value through the
/// parameter's distribution (``ParameterSample/Distribution/value(at:)``).
public struct SampleDraws: Sendable {
    /// What is drawn.
    public let sample: ParameterSample
    private let prefixes: [UInt64]
    private let permutations: [[Int32]]
    private let sobol: SobolSequence?

    /// The draws of `sample` as group `group` of a sweep seeded `seed`.
    public init(_ sample: ParameterSample, seed: UInt64, group: Int) {
        self.sample = sample
        let dimensions = sample.parameters.indices
        let domain = { (name: String, dimension: Int) in
            CounterRandom.mix64(
                CounterRandom.mix64(CounterRandom.mix64(seed) ^ CounterRandom.fnv1a64(name))
                    ^ (UInt64(group) << 8 | UInt64(dimension)))
        }
        prefixes = dimensions.map { domain("sample", $0) }
        if sample.method == .latinHypercube {
            permutations = dimensions.map { dimension in
                let shuffle = domain("latin_hypercube", dimension)
                var permutation = (0..<Int32(sample.count)).map { $0 }
                for m in stride(from: sample.count - 1, to: 0, by: -1) {
                    let r = CounterRandom.mix64(shuffle ^ UInt64(m))
                    permutation.swapAt(m, Int(r % UInt64(m + 1)))
                }
                return permutation
            }
        } else {
            permutations = []
        }
        sobol = sample.method == .sobol ? SobolSequence(dimensions: sample.parameters.count) : nil
    }

    /// Coordinate `dimension` of point `point`, in [0, 1).
    public func unit(point: Int, dimension: Int) -> Double {
        switch sample.method {
        case .random:
            return CounterRandom.unit(fromBits: CounterRandom.mix64(prefixes[dimension] ^ UInt64(point)))
        case .latinHypercube:
            let draw = CounterRandom.unit(fromBits: CounterRandom.mix64(prefixes[dimension] ^ UInt64(point)))
            let stratum = Int(permutations[dimension][point])
            let count = Double(sample.count)
            var u = (Double(stratum) + draw) / count
            // Rounding may carry a draw next to a stratum's edge across it; keep it inside,
            // so that ⌊u·count⌋ is the stratum.
            while Int(u * count) > stratum { u = u.nextDown }
            while Int(u * count) < stratum { u = u.nextUp }
            return u
        case .sobol:
            return sobol!.coordinate(index: UInt32(point), dimension: dimension)
        }
    }

    /// Point `point`'s value of every sampled parameter, in docs/model.md's order.
    public func values(point: Int) -> [(key: ParameterKey, value: ParameterValue)] {
        sample.parameters.enumerated().map { dimension, parameter in
            (parameter.key, parameter.distribution.value(at: unit(point: point, dimension: dimension)))
        }
    }

    /// Point `point`'s value of sampled parameter number `dimension`.
    public func value(point: Int, dimension: Int) -> ParameterValue {
        sample.parameters[dimension].distribution.value(at: unit(point: point, dimension: dimension))
    }
}
