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
        guard case .number(var text) = self else { return nil }
        return text.withUTF8 { Self.numberValue($0) }
    }

    /// The number a JSON number's text is, the same bits `Double(text)` gives: a plain
    /// decimal of at most nineteen digits (nearly all a record holds) is converted here by
    /// ``exactDouble(_:)``, anything else by `Double(text)`.
    static func numberValue(_ text: UnsafeBufferPointer<UInt8>) -> Double? {
        exactDouble(text) ?? Double(String(decoding: text, as: UTF8.self))
    }

    /// The number of a plain decimal (no exponent) of at most nineteen digits and 27 after
    /// its point, correctly rounded, so the same bits `Double(text)` gives, without its
    /// general conversion; nil for anything else.
    ///
    /// With at most 2^53 without its point and 22 decimals, that integer and the power of
    /// ten are both exact doubles, so their one correctly rounded division is the value
    /// (Clinger's fast path). Longer ones (the seventeen digits of most shortest forms) are
    /// divided by 5^decimals in integers, the quotient kept to 62 bits or more and rounded
    /// to 53 once, half to even, with the remainder telling a tie from more; the power of
    /// two left is exact.
    static func exactDouble(_ text: UnsafeBufferPointer<UInt8>) -> Double? {
        var index = 0
        let negative = text.first == UInt8(ascii: "-")
        if negative { index = 1 }
        var mantissa: UInt64 = 0
        var digits = 0
        var decimals = 0
        var point = false
        while index < text.count {
            let byte = text[index]
            if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                digits += 1
                // Nineteen digits cannot overflow.
                guard digits <= 19 else { return nil }
                mantissa = mantissa &* 10 &+ UInt64(byte &- UInt8(ascii: "0"))
                if point { decimals += 1 }
            } else if byte == UInt8(ascii: "."), !point {
                point = true
            } else {
                return nil
            }
            index += 1
        }
        guard digits > 0, decimals < powersOfFive.count else { return nil }
        let value: Double
        if mantissa == 0 {
            value = 0
        } else if mantissa <= 1 << 53 && decimals < exactPowersOfTen.count {
            value = Double(mantissa) / exactPowersOfTen[decimals]
        } else {
            // m / 10^d = m · 2^(z+k) / 5^d · 2^-(z+k+d), m shifted left by z to its top bit
            // and k = bits(5^d) − 1, which keeps the high word below the divisor.
            let divisor = powersOfFive[decimals]
            let z = mantissa.leadingZeroBitCount
            let normalized = mantissa << UInt64(z)
            let k = (64 - divisor.leadingZeroBitCount) - 1
            let high = k == 0 ? 0 : normalized >> UInt64(64 - k)
            let low = k == 0 ? normalized : normalized << UInt64(k)
            let (quotient, remainder) = divisor.dividingFullWidth((high, low))
            // 62 to 64 bits: drop what a double's 53 cannot hold, rounding half to even.
            let drop = (64 - quotient.leadingZeroBitCount) - 53
            var significand = quotient >> UInt64(drop)
            let rest = quotient & ((1 << UInt64(drop)) - 1)
            let half: UInt64 = 1 << UInt64(drop - 1)
            if rest > half || (rest == half && (remainder != 0 || significand & 1 == 1)) { significand += 1 }
            value = Double(sign: .plus, exponent: drop - z - k - decimals, significand: Double(significand))
        }
        return negative ? -value : value
    }

    /// 5^0 to 5^27, every one below 2^63.
    private static let powersOfFive: [UInt64] = (0..<28).map { n in (0..<n).reduce(1) { value, _ in value * 5 } }

    /// 10^0 to 10^22, every one an exact double.
    private static let exactPowersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18,
        1e19, 1e20, 1e21, 1e22,
    ]

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
