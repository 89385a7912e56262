import Foundation
import MorphicCore

/// A group's `sample`: `count` parameter points drawn by `method` from a distribution per
/// parameter. Which values point i takes is ``SampleDraws``' work, bound to a sweep seed and
/// a group.
public struct ParameterSample: Hashable, Sendable {
    /// How the points cover the unit cube before each coordinate is mapped to its distribution.
    public enum Method: String, CaseIterable, Sendable {
        /// Independent uniform draws.
        case random
        /// One point in each of `count` equal strata of every axis, strata paired at random.
        case latinHypercube = "latin_hypercube"
        /// The unscrambled Sobol sequence (``SobolSequence``): the same points whatever the seed.
        case sobol
    }

    /// Where one parameter's values come from.
    public enum Distribution: Hashable, Sendable {
        /// Uniform on [lo, hi].
        case uniform(Double, Double)
        /// Uniform in the logarithm on [lo, hi], 0 < lo.
        case logUniform(Double, Double)
        /// Each integer of lo...hi equally likely.
        case integer(Int, Int)
        /// Each listed value equally likely.
        case choice([ParameterValue])

        /// The names a definition writes.
        public static let names = ["uniform", "log_uniform", "integer", "choice"]

        /// The value for a coordinate `u` in [0, 1): the inverse of the distribution function,
        /// clamped to the bounds against rounding.
        public func value(at u: Double) -> ParameterValue {
            switch self {
            case .uniform(let lo, let hi):
                return .number(String(min(max(lo + u * (hi - lo), lo), hi)))
            case .logUniform(let lo, let hi):
                let logLo = log(lo)
                return .number(String(min(max(exp(logLo + u * (log(hi) - logLo)), lo), hi)))
            case .integer(let lo, let hi):
                return .number(String(lo + min(Int(u * Double(hi - lo + 1)), hi - lo)))
            case .choice(let values):
                return values[min(Int(u * Double(values.count)), values.count - 1)]
            }
        }

        /// The normalized form: `{"uniform": [lo, hi]}` and so on, values canonical.
        var json: JSON {
            switch self {
            case .uniform(let lo, let hi): .object(["uniform": .array([.number(String(lo)), .number(String(hi))])])
            case .logUniform(let lo, let hi):
                .object(["log_uniform": .array([.number(String(lo)), .number(String(hi))])])
            case .integer(let lo, let hi): .object(["integer": .array([.number(String(lo)), .number(String(hi))])])
            case .choice(let values): .object(["choice": .array(values.map(RunRecord.json))])
            }
        }
    }

    /// Number of points.
    public let count: Int
    /// How they are spread.
    public let method: Method
    /// The sampled parameters in docs/model.md's order; parameter j is coordinate j.
    public let parameters: [(key: ParameterKey, distribution: Distribution)]

    /// Samples are equal when every field is.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.count == rhs.count && lhs.method == rhs.method
            && lhs.parameters.elementsEqual(rhs.parameters) { $0.key == $1.key && $0.distribution == $1.distribution }
    }

    /// Hashes the count and method.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(count)
        hasher.combine(method)
    }

    /// Reads `{"count": N, "method": …, "params": {name: {distribution: …}}}` at `field`;
    /// `fixed` are the group's own parameters, which a sample may not draw as well.
    init(json: JSON, field: String, fixed: [ParameterKey], limits: SweepLimits) throws(SweepError) {
        guard let members = json.members else {
            throw SweepError(field: field, message: "must be an object with count, method and params")
        }
        let allowed = ["count", "method", "params"]
        if let unknown = members.first(where: { !allowed.contains($0.key) }) {
            throw SweepError(
                field: "\(field).\(unknown.key)",
                message: "unknown key; a sample has \(allowed.joined(separator: ", "))")
        }
        guard let countJSON = json["count"] else {
            throw SweepError(field: "\(field).count", message: "missing: the number of points to draw")
        }
        guard let count = countJSON.intValue, (1...limits.maximumRuns).contains(count) else {
            throw SweepError(
                field: "\(field).count", message: "must be an integer in 1...\(limits.maximumRuns)",
                isOverLimit: (countJSON.intValue ?? 0) > limits.maximumRuns)
        }
        let methods = Method.allCases.map(\.rawValue).joined(separator: ", ")
        guard let methodJSON = json["method"] else {
            throw SweepError(field: "\(field).method", message: "missing: one of \(methods)")
        }
        guard let name = methodJSON.stringValue, let method = Method(rawValue: name) else {
            throw SweepError(field: "\(field).method", message: "must be one of \(methods)")
        }
        guard let params = json["params"]?.members, !params.isEmpty else {
            throw SweepError(
                field: "\(field).params", message: "must be a non-empty object of parameter: {distribution: …}")
        }
        var parameters: [(key: ParameterKey, distribution: Distribution)] = []
        for member in params {
            let parameterField = "\(field).params.\(member.key)"
            guard let key = ParameterKey(rawValue: member.key) else {
                throw SweepError(field: parameterField, message: "unknown parameter")
            }
            guard key != .seed else {
                throw SweepError(field: parameterField, message: "run seeds derive from the sweep's seed and run ids")
            }
            guard key != .mode else {
                throw SweepError(
                    field: parameterField,
                    message: "mode cannot be sampled: give each mode its own group (the group's mode key)")
            }
            guard key != .generations && key != .gridSize else {
                throw SweepError(
                    field: parameterField,
                    message: "\(key.rawValue) cannot be sampled: it sets the shape of every run's series and "
                        + "features, so set it in defaults or the group's params (a grid or points may list a few)")
            }
            guard !fixed.contains(key) else {
                throw SweepError(field: parameterField, message: "set both in params and in sample")
            }
            parameters.append((key, try Self.distribution(member.value, key: key, field: parameterField)))
        }
        parameters.sort { $0.key < $1.key }
        self.count = count
        self.method = method
        self.parameters = parameters
    }

    /// The normalized form.
    var json: JSON {
        .object([
            "count": .int(count), "method": .string(method.rawValue),
            "params": .object(parameters.map { JSON.Member($0.key.rawValue, $0.distribution.json) }),
        ])
    }

    private static func distribution(_ json: JSON, key: ParameterKey, field: String) throws(SweepError)
        -> Distribution
    {
        let names = Distribution.names.joined(separator: ", ")
        guard let members = json.members, members.count == 1 else {
            throw SweepError(field: field, message: "must be an object of one distribution: \(names)")
        }
        let (name, value) = (members[0].key, members[0].value)
        let distributionField = "\(field).\(name)"
        guard Distribution.names.contains(name) else {
            throw SweepError(field: distributionField, message: "unknown distribution; one of \(names)")
        }
        guard let list = value.elements, !list.isEmpty else {
            throw SweepError(
                field: distributionField,
                message: name == "choice" ? "must be a non-empty array of values" : "must be [lo, hi]")
        }
        // Bounds are two: a third is not checked as a value first, which would blame it for
        // its value rather than for being there.
        guard name == "choice" || list.count == 2 else {
            throw SweepError(field: distributionField, message: "must be [lo, hi]: two numbers, not \(list.count)")
        }
        var values: [ParameterValue] = []
        // A set, not a search of the list (``SweepDefinition``'s grid lists alike).
        var seen: Set<ParameterValue> = []
        for (index, element) in list.enumerated() {
            let checked = try SweepDefinition.canonical(key, element, field: "\(distributionField)[\(index)]")
            guard name != "choice" || seen.insert(checked).inserted else {
                throw SweepError(field: "\(distributionField)[\(index)]", message: "repeats an earlier value")
            }
            values.append(checked)
        }
        if name == "choice" { return .choice(values) }
        guard values.count == 2, case .number(let loText) = values[0], case .number(let hiText) = values[1] else {
            throw SweepError(field: distributionField, message: "must be [lo, hi]: two numbers")
        }
        if name == "integer" {
            guard key.kind == .integer, let lo = Int(loText), let hi = Int(hiText) else {
                throw SweepError(
                    field: distributionField,
                    message: "\(key.rawValue) is not a whole number; use uniform, log_uniform or choice")
            }
            guard key != .formSize else {
                throw SweepError(field: distributionField, message: "form_size is 3, 5 or 7: use choice")
            }
            guard lo <= hi else { throw SweepError(field: distributionField, message: "lo \(lo) is above hi \(hi)") }
            return .integer(lo, hi)
        }
        guard key.kind == .real, let lo = Double(loText), let hi = Double(hiText) else {
            throw SweepError(
                field: distributionField,
                message: key.kind == .integer
                    ? "\(key.rawValue) is a whole number; use integer or choice"
                    : "\(key.rawValue) is a name; use choice")
        }
        guard lo <= hi else { throw SweepError(field: distributionField, message: "lo \(lo) is above hi \(hi)") }
        if name == "log_uniform" {
            guard lo > 0 else {
                throw SweepError(field: "\(distributionField)[0]", message: "log_uniform needs lo > 0")
            }
            return .logUniform(lo, hi)
        }
        return .uniform(lo, hi)
    }
}
