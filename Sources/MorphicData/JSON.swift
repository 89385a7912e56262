/// A JSON value that keeps the order of object members and the text of numbers, so a
/// document written from it has stable bytes and 64-bit integers keep every digit.
public enum JSON: Hashable, Sendable {
    case null
    case bool(Bool)
    /// A number as written in JSON (`12`, `0.5`, `1e-05`).
    case number(String)
    case string(String)
    case array([JSON])
    /// Members in order; keys are unique.
    case object([Member])

    /// One member of an object.
    public struct Member: Hashable, Sendable {
        /// The member's name.
        public let key: String
        /// The member's value.
        public let value: JSON

        /// Creates a member.
        public init(_ key: String, _ value: JSON) {
            self.key = key
            self.value = value
        }
    }

    /// An integer.
    public static func int<T: BinaryInteger>(_ value: T) -> JSON { .number(String(value)) }

    /// A finite double in Swift's shortest round-trip form; non-finite values become null.
    public static func double(_ value: Double) -> JSON {
        value.isFinite ? .number(String(value)) : .null
    }

    /// An object from ordered pairs.
    public static func object(_ pairs: KeyValuePairs<String, JSON>) -> JSON {
        .object(pairs.map { Member($0.key, $0.value) })
    }

    /// An integer or null.
    public static func optionalInt(_ value: Int?) -> JSON { value.map { .int($0) } ?? .null }

    /// The value of member `key`, when this is an object that has it.
    public subscript(key: String) -> JSON? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.key == key }?.value
    }

    /// The members, when this is an object.
    public var members: [Member]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// The elements, when this is an array.
    public var elements: [JSON]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// The text, when this is a string.
    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// The number, when this is a number.
    public var doubleValue: Double? {
        if case .number(let text) = self { return Double(text) }
        return nil
    }

    /// The number, when this is a number that is an integer.
    public var intValue: Int? {
        if case .number(let text) = self { return Int(text) }
        return nil
    }

    /// The name of this value's type, for error messages.
    public var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
