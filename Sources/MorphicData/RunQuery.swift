import Foundation
import MorphicCore

/// A question about a sweep's runs, as `GET …/runs?filter=&sort=&fields=` asks it.
///
/// The filter language: conditions joined by `and`, each `column operator value`, where a
/// column is `run_id`, `mode` (or `label`), `status`, a parameter of docs/model.md or a summary
/// statistic; operators are `=`, `!=`, `<`, `<=`, `>`, `>=` on numbers, and `=`, `!=` and
/// `^=` (starts with) on text. Values may be quoted. For example:
/// `mode = morphic and field_strength >= 0.4 and avg_influence_rate > 0.01`, or
/// `run_id ^= control_`. `map_x` and `map_y` are a finished run's place on the sweep's map
/// (`GET …/map`), so a rectangle brushed on the map is a filter like any other.
public struct RunQuery: Hashable, Sendable {
    /// A comparison.
    public enum Operator: String, Hashable, Sendable, CaseIterable {
        case lessOrEqual = "<="
        case greaterOrEqual = ">="
        case notEqual = "!="
        case prefix = "^="
        case equal = "="
        case less = "<"
        case greater = ">"
    }

    /// One condition of a filter.
    public struct Condition: Hashable, Sendable {
        /// The column compared.
        public let column: String
        /// How.
        public let comparison: Operator
        /// With what, as written.
        public let text: String
        /// The value as a number, for a numeric column.
        public let number: Double?
    }

    /// A query that cannot be answered, naming the parameter (`filter`, `sort` or `fields`).
    public struct Error: Swift.Error, Hashable, Sendable, CustomStringConvertible {
        /// The query parameter.
        public let parameter: String
        /// What is wrong.
        public let message: String
        /// `parameter: message`.
        public var description: String { "\(parameter): \(message)" }
    }

    /// The text columns.
    public static let textColumns = ["run_id", "mode", "label", "status", "rule", "boundary", "similarity"]
    /// The summary statistics, in the order of a run's record.
    public static let statistics = RunRecord.statisticNames
    /// The numeric parameters, in docs/model.md's order.
    public static let numericParameters = ParameterKey.allCases.filter { $0.kind != .text }.map(\.rawValue)
    /// The run map's coordinates, known once the sweep's dataset is written (see
    /// ``RunIndex/setMap(version:coordinates:)``).
    public static let mapColumns = ["map_x", "map_y"]
    /// Every column a query may name.
    public static let columns = textColumns + numericParameters + statistics + mapColumns

    /// Conditions that must all hold.
    public private(set) var conditions: [Condition]
    /// An order of rows.
    public struct Order: Hashable, Sendable {
        /// The column.
        public let column: String
        /// Largest first.
        public let descending: Bool
    }

    /// The order of the rows; nil keeps the definition's order.
    public let sort: Order?
    /// Columns of parameters and statistics to include; nil for all.
    public let fields: Set<String>?

    /// Whether the query filters or sorts on the run map's coordinates.
    public var usesMap: Bool {
        conditions.contains { Self.mapColumns.contains($0.column) } || sort.map { Self.mapColumns.contains($0.column) } ?? false
    }

    /// Everything, in the definition's order.
    public init() {
        conditions = []
        sort = nil
        fields = nil
    }

    /// Parses the query parameters; empty or absent ones ask for nothing.
    public init(filter: String?, sort: String?, fields: String?) throws(Error) {
        conditions = try Self.conditions(filter ?? "")
        if let sort, !sort.isEmpty {
            let descending = sort.hasPrefix("-")
            let column = String(descending ? sort.dropFirst() : Substring(sort))
            guard Self.columns.contains(column) else {
                throw Error(parameter: "sort", message: "no column '\(column)'; sort by one of \(Self.columns.joined(separator: ", "))")
            }
            self.sort = Order(column: column, descending: descending)
        } else {
            self.sort = nil
        }
        if let fields, !fields.isEmpty {
            let names = fields.split(separator: ",", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            if names.contains("") {
                throw Error(parameter: "fields", message: "an empty name; give column names separated by commas")
            }
            if let unknown = names.first(where: { !Self.columns.contains($0) }) {
                throw Error(parameter: "fields", message: "no column '\(unknown)'")
            }
            // A page lists parameters and statistics; the map's coordinates are the map's answer.
            if let coordinate = names.first(where: Self.mapColumns.contains) {
                throw Error(
                    parameter: "fields",
                    message: "'\(coordinate)' is a run map coordinate, which runs may be filtered and sorted on but not listed; GET /api/sweeps/{id}/map gives every run's")
            }
            self.fields = Set(names)
        } else {
            self.fields = nil
        }
    }

    /// This query with the conditions of `filter` added: the runs both keep.
    public func narrowed(by filter: String) throws(Error) -> RunQuery {
        var narrower = self
        narrower.conditions += try Self.conditions(filter)
        return narrower
    }

    private static func conditions(_ filter: String) throws(Error) -> [Condition] {
        let trimmed = filter.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return [] }
        // Characters, as the API document's maxLength counts them.
        guard trimmed.unicodeScalars.count <= 2000 else {
            throw Error(parameter: "filter", message: "is longer than 2000 characters")
        }
        // An error quotes the condition as it was written and says where it starts in the filter
        // (from 1, in the characters the length limit counts): the text to find and correct, not
        // the text as it was read.
        let leading = filter.unicodeScalars.prefix { CharacterSet.whitespaces.contains($0) }.count
        var result: [Condition] = []
        for clause in trimmed.split(separator: " and ", omittingEmptySubsequences: false) {
            let text = clause.trimmingCharacters(in: .whitespaces)
            let start = leading + 1 + trimmed.unicodeScalars.distance(from: trimmed.startIndex, to: clause.startIndex)
                + clause.unicodeScalars.prefix { CharacterSet.whitespaces.contains($0) }.count
            // Where `index` of `text` is in the filter.
            let at = { (index: String.Index) in start + text.unicodeScalars.distance(from: text.startIndex, to: index) }
            guard let (comparison, range) = Self.firstOperator(in: text) else {
                throw Error(parameter: "filter", message: "'\(text)' at character \(start) is not 'column operator value'")
            }
            let column = text[..<range.lowerBound].trimmingCharacters(in: .whitespaces)
            guard !column.isEmpty else {
                throw Error(
                    parameter: "filter",
                    message: "'\(text)' at character \(start) names no column before its operator '\(comparison.rawValue)'")
            }
            let rest = text[range.upperBound...]
            var value = rest.trimmingCharacters(in: .whitespaces)
            guard !value.isEmpty else {
                throw Error(
                    parameter: "filter",
                    message: "'\(text)' at character \(start) has no value after its operator '\(comparison.rawValue)'")
            }
            var valueStart = at(rest.unicodeScalars.firstIndex { !CharacterSet.whitespaces.contains($0) } ?? text.endIndex)
            if value.count >= 2, let quote = value.first, quote == "'" || quote == "\"", value.last == quote {
                value = String(value.dropFirst().dropLast())
                valueStart += 1
            } else if let quote = value.first.flatMap({ $0 == "'" || $0 == "\"" ? $0 : nil }) ?? value.last.flatMap({ $0 == "'" || $0 == "\"" ? $0 : nil }) {
                throw Error(parameter: "filter", message: "the quote \(quote) in '\(text)' at character \(start) is not closed")
            } else {
                try Self.checkUnquoted(value, in: text, at: start, comparison: comparison)
            }
            guard columns.contains(column) else {
                throw Error(parameter: "filter", message: "no column '\(column)' at character \(start)")
            }
            if comparison == .prefix && !textColumns.contains(column) {
                throw Error(
                    parameter: "filter",
                    message: "'\(column)' is a number: compare it with =, !=, <, <=, > or >=, not '^=' at character "
                        + "\(at(range.lowerBound))")
            }
            if column == "seed" {
                guard SeedBound(value) != nil else {
                    throw Error(
                        parameter: "filter",
                        message: "'seed' is a whole number: '\(value)' at character \(valueStart) is not a decimal number")
                }
                result.append(Condition(column: column, comparison: comparison, text: value, number: Double(value)))
            } else if textColumns.contains(column) {
                guard [Operator.equal, .notEqual, .prefix].contains(comparison) else {
                    throw Error(
                        parameter: "filter",
                        message: "'\(column)' is text: compare it with =, != or ^=, not '\(comparison.rawValue)' at character "
                            + "\(at(range.lowerBound))")
                }
                result.append(Condition(column: column, comparison: comparison, text: value, number: nil))
            } else {
                guard let number = Double(value), number.isFinite else {
                    throw Error(
                        parameter: "filter", message: "'\(column)' is a number: '\(value)' at character \(valueStart) is not one")
                }
                result.append(Condition(column: column, comparison: comparison, text: value, number: number))
            }
        }
        return result
    }

    /// Refuses an unquoted value that reads as more of the filter language: a second
    /// operator (`==`, `a = b = c`) or a joining word other than `and` (`or`, `AND`). Taken
    /// as a value it would match nothing, and the client would see an empty answer instead
    /// of its mistake. A value that really holds such text is quoted. `text` is its condition
    /// as written, starting at character `start` of the filter.
    private static func checkUnquoted(_ value: String, in text: String, at start: Int, comparison: Operator) throws(Error) {
        let condition = "'\(text)' at character \(start)"
        if let first = value.unicodeScalars.first, "=<>!^".unicodeScalars.contains(first) {
            throw Error(
                parameter: "filter",
                message: "\(condition) has '\(first)' after its operator '\(comparison.rawValue)'; the operators are "
                    + Operator.allCases.map(\.rawValue).joined(separator: ", "))
        }
        let words = value.split(whereSeparator: { $0 == " " || $0 == "\t" })
        if let word = words.first(where: { ["or", "and", "not", "||", "&&"].contains($0.lowercased()) }) {
            throw Error(
                parameter: "filter",
                message: "\(condition): '\(word)' is not supported in a value: conditions are joined by a lower-case 'and' "
                    + "only (quote a value that contains it)")
        }
        if Self.firstOperator(in: value) != nil {
            throw Error(parameter: "filter", message: "\(condition) has two operators; join conditions with 'and'")
        }
    }

    /// The operator that comes first in `text`; of two starting at the same place, the
    /// longer (`<=` before `<`).
    private static func firstOperator(in text: String) -> (Operator, Range<String.Index>)? {
        var best: (Operator, Range<String.Index>)?
        for candidate in Operator.allCases {
            guard let range = text.firstRange(of: candidate.rawValue) else { continue }
            if let current = best, current.1.lowerBound <= range.lowerBound { continue }
            best = (candidate, range)
        }
        return best
    }
}

/// A filter's value for the `seed` column, placed exactly among the UInt64 seeds: seeds go
/// above 2^53, where a Double no longer tells neighbours apart.
public enum SeedBound: Hashable, Sendable {
    /// Below every seed (a negative value).
    case belowAll
    /// Above every seed (2^64 or more).
    case aboveAll
    /// Exactly this whole number.
    case exactly(UInt64)
    /// Strictly between this whole number and the next.
    case after(UInt64)

    /// Reads a plain decimal (`[+-]digits[.digits]`); nil for anything else.
    public init?(_ text: String) {
        var rest = Substring(text)
        var negative = false
        if let sign = rest.first, sign == "+" || sign == "-" {
            negative = sign == "-"
            rest = rest.dropFirst()
        }
        let parts = rest.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let whole = parts[0]
        let fraction = parts.count > 1 ? parts[1] : ""
        guard !whole.isEmpty || !fraction.isEmpty, parts.count == 1 || !fraction.isEmpty,
            (whole + fraction).allSatisfy({ $0.isASCII && $0.isNumber })
        else { return nil }
        let fractional = fraction.contains { $0 != "0" }
        let digits = whole.drop { $0 == "0" }
        if negative && (fractional || !digits.isEmpty) {
            self = .belowAll
        } else if digits.isEmpty {
            self = fractional ? .after(0) : .exactly(0)
        } else if let value = UInt64(digits) {
            self = fractional ? .after(value) : .exactly(value)
        } else {
            self = .aboveAll
        }
    }

    /// Where `seed` lies against this value: -1 below, 0 equal, 1 above.
    public func order(of seed: UInt64) -> Int {
        switch self {
        case .belowAll: return 1
        case .aboveAll: return -1
        case .exactly(let value): return seed < value ? -1 : seed == value ? 0 : 1
        case .after(let value): return seed <= value ? -1 : 1
        }
    }
}
