/// A strict RFC 8259 parser over UTF-8 bytes with a nesting limit; duplicate keys are errors.
public struct JSONParser {
    /// Why a document is not acceptable JSON.
    public struct Error: Swift.Error, Hashable, Sendable, CustomStringConvertible {
        /// Byte offset of the problem.
        public let offset: Int
        /// What is wrong.
        public let reason: String
        /// The duplicated key, when that is the problem.
        public let duplicateKey: String?
        /// Where the duplicated key is: the member names and array indices from the top
        /// down, the key last (`["groups", "[0]", "params", "seed"]`); empty otherwise.
        public var path: [String] = []

        /// ``path`` as a field is named: `groups[0].params.seed`.
        public var field: String {
            path.reduce("") { field, part in part.hasPrefix("[") || field.isEmpty ? field + part : field + "." + part }
        }

        /// The error found in a member's value or an array's element (`part`).
        func within(_ part: String) -> Error {
            guard duplicateKey != nil else { return self }
            var error = self
            error.path.insert(part, at: 0)
            return error
        }

        /// `reason at byte offset`.
        public var description: String { "\(reason) at byte \(offset)" }
    }

    /// Deeper documents are refused rather than risk the stack.
    public static let maximumDepth = 64

    private let bytes: [UInt8]
    private var position = 0
    /// The top-level member whose arrays go to `columns` rather than into the document.
    private var columnsKey: String?
    private var columns = SeriesColumns()

    /// Parses one JSON document.
    public static func parse(_ bytes: some Collection<UInt8>) throws(Error) -> JSON {
        var parser = JSONParser(bytes: Array(bytes))
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.position == parser.bytes.count else { throw parser.error("unexpected data after the document") }
        return value
    }

    /// Parses a run record whose top-level member `key` is an object of arrays of numbers or
    /// nulls (a record's `timeseries`): those arrays are read into `columns` (emptied first),
    /// their numbers converted once and their text left in `bytes`, rather than made a value
    /// each, and the member stands in the document as an empty object. Nil when the
    /// document is not valid JSON or the member holds anything else: ``parse(_:)`` then
    /// says why, or reads it whole.
    static func parse(_ bytes: [UInt8], columnsOf key: String, into columns: inout SeriesColumns) -> JSON? {
        var parser = JSONParser(bytes: bytes)
        parser.columnsKey = key
        swap(&parser.columns, &columns)
        defer { swap(&parser.columns, &columns) }
        parser.columns.removeAll()
        parser.skipWhitespace()
        guard parser.current == UInt8(ascii: "{"), let value = try? parser.value(depth: 0) else { return nil }
        parser.skipWhitespace()
        return parser.position == parser.bytes.count ? value : nil
    }

    /// Parses one JSON document from text.
    public static func parse(_ text: String) throws(Error) -> JSON { try parse(Array(text.utf8)) }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private func error(_ reason: String, key: String? = nil) -> Error {
        Error(offset: position, reason: reason, duplicateKey: key, path: key.map { [$0] } ?? [])
    }

    private var current: UInt8? { position < bytes.count ? bytes[position] : nil }

    private mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 { position += 1 }
    }

    private mutating func expect(_ literal: String, _ value: JSON) throws(Error) -> JSON {
        let expected = Array(literal.utf8)
        guard bytes.count - position >= expected.count, Array(bytes[position..<position + expected.count]) == expected
        else { throw error("invalid literal") }
        position += expected.count
        return value
    }

    private mutating func value(depth: Int) throws(Error) -> JSON {
        guard depth < Self.maximumDepth else { throw error("nesting deeper than \(Self.maximumDepth)") }
        guard let byte = current else { throw error("unexpected end of document") }
        switch byte {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try expect("true", .bool(true))
        case UInt8(ascii: "f"): return try expect("false", .bool(false))
        case UInt8(ascii: "n"): return try expect("null", .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            if byte == UInt8(ascii: "-"), position + 1 < bytes.count, bytes[position + 1] == UInt8(ascii: "I"),
                let word = nonNumber()
            {
                throw error("\(word) is not a JSON number; give a finite number")
            }
            return try number()
        default:
            if let word = nonNumber() { throw error("\(word) is not a JSON number; give a finite number") }
            // RFC 8259 §8.1: no byte order mark; editors on some systems add one unasked.
            if position == 0 && bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
                throw error("unexpected byte order mark (EF BB BF, which JSON does not allow: save the file without one)")
            }
            throw error("unexpected character")
        }
    }

    /// `NaN`, `Infinity` or `-Infinity` when the value starts with one, as Python's and
    /// JavaScript's encoders write what JSON has no number for.
    private func nonNumber() -> String? {
        for word in ["NaN", "Infinity", "-Infinity"] where bytes[position...].starts(with: word.utf8) { return word }
        return nil
    }

    private mutating func object(depth: Int) throws(Error) -> JSON {
        position += 1
        var members: [JSON.Member] = []
        var keys = Set<String>()
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            position += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw error("expected a member name") }
            let key = try string()
            // Most objects are small: a scan beats hashing every key; large ones use the set.
            let repeated: Bool
            if members.count < 16 {
                repeated = members.contains { $0.key == key }
            } else {
                if keys.isEmpty { keys = Set(members.map(\.key)) }
                repeated = !keys.insert(key).inserted
            }
            guard !repeated else { throw error("duplicate key '\(key)'", key: key) }
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw error("expected ':'") }
            position += 1
            skipWhitespace()
            if depth == 0, let columnsKey, key == columnsKey {
                try readColumns()
                members.append(JSON.Member(key, .object([])))
            } else {
                do {
                    members.append(JSON.Member(key, try value(depth: depth + 1)))
                } catch {
                    throw error.within(key)
                }
            }
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"):
                position += 1
                return .object(members)
            default: throw error("expected ',' or '}'")
            }
        }
    }

    private mutating func array(depth: Int) throws(Error) -> JSON {
        position += 1
        var elements: [JSON] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            position += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            do {
                elements.append(try value(depth: depth + 1))
            } catch {
                throw error.within("[\(elements.count)]")
            }
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "]"):
                position += 1
                return .array(elements)
            default: throw error("expected ',' or ']'")
            }
        }
    }

    private mutating func number() throws(Error) -> JSON {
        let range = try numberText()
        return .number(String(decoding: bytes[range], as: UTF8.self))
    }

    /// Reads an object of arrays of numbers or nulls into `columns`; anything else is an
    /// error, for the caller to read the document whole.
    private mutating func readColumns() throws(Error) {
        guard current == UInt8(ascii: "{") else { throw error("not an object of arrays of numbers") }
        position += 1
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            position += 1
            return
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else { throw error("expected a member name") }
            let name = try string()
            guard !columns.names.contains(name) else { throw error("duplicate key '\(name)'", key: name) }
            skipWhitespace()
            guard current == UInt8(ascii: ":") else { throw error("expected ':'") }
            position += 1
            skipWhitespace()
            guard current == UInt8(ascii: "[") else { throw error("not an array of numbers") }
            position += 1
            columns.begin(name)
            skipWhitespace()
            if current == UInt8(ascii: "]") {
                position += 1
            } else {
                elements: while true {
                    skipWhitespace()
                    guard let byte = current else { throw error("unexpected end of document") }
                    switch byte {
                    case UInt8(ascii: "n"):
                        _ = try expect("null", .null)
                        columns.append(text: position..<position, value: .nan)
                    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                        let range = try numberText()
                        let value = bytes.withUnsafeBufferPointer { JSON.numberValue(UnsafeBufferPointer(rebasing: $0[range])) }
                        columns.append(text: range, value: value ?? .nan)
                    default: throw error("not a number or null")
                    }
                    skipWhitespace()
                    switch current {
                    case UInt8(ascii: ","): position += 1
                    case UInt8(ascii: "]"):
                        position += 1
                        break elements
                    default: throw error("expected ',' or ']'")
                    }
                }
            }
            skipWhitespace()
            switch current {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"):
                position += 1
                return
            default: throw error("expected ',' or '}'")
            }
        }
    }

    /// Where the number at the position is written, checked against JSON's grammar.
    private mutating func numberText() throws(Error) -> Range<Int> {
        let start = position
        func digits() -> Int {
            let begin = position
            while let byte = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { position += 1 }
            return position - begin
        }
        if current == UInt8(ascii: "-") { position += 1 }
        if current == UInt8(ascii: "0") {
            position += 1
        } else if digits() == 0 {
            throw error("invalid number")
        }
        if current == UInt8(ascii: ".") {
            position += 1
            guard digits() > 0 else { throw error("invalid number") }
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            position += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { position += 1 }
            guard digits() > 0 else { throw error("invalid number") }
        }
        return start..<position
    }

    private mutating func string() throws(Error) -> String {
        position += 1
        // Most strings (keys, names) hold no escape: validated and made in one step.
        var end = position
        while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\"), bytes[end] >= 0x20 {
            end += 1
        }
        if end < bytes.count, bytes[end] == UInt8(ascii: "\"") {
            guard let text = String(validating: bytes[position..<end], as: UTF8.self) else {
                throw error("invalid UTF-8 in a string")
            }
            position = end + 1
            return text
        }
        var scalars = String.UnicodeScalarView()
        var run = position
        // Invalid UTF-8 is refused rather than replaced, so what is stored is what was sent.
        func flush(_ parser: JSONParser) throws(Error) {
            guard let text = String(validating: parser.bytes[run..<parser.position], as: UTF8.self) else {
                throw parser.error("invalid UTF-8 in a string")
            }
            scalars.append(contentsOf: text.unicodeScalars)
        }
        while true {
            guard let byte = current else { throw error("unterminated string") }
            switch byte {
            case UInt8(ascii: "\""):
                try flush(self)
                position += 1
                return String(scalars)
            case UInt8(ascii: "\\"):
                try flush(self)
                position += 1
                scalars.append(try escape())
                run = position
            case 0..<0x20:
                throw error("control character in string")
            default:
                position += 1
            }
        }
    }

    private mutating func escape() throws(Error) -> Unicode.Scalar {
        guard let byte = current else { throw error("unterminated escape") }
        position += 1
        switch byte {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            let high = try hex4()
            if (0xD800..<0xDC00).contains(high) {
                guard current == UInt8(ascii: "\\") else { throw error("unpaired surrogate") }
                position += 1
                guard current == UInt8(ascii: "u") else { throw error("unpaired surrogate") }
                position += 1
                let low = try hex4()
                guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate") }
                return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))!
            }
            guard let scalar = Unicode.Scalar(high) else { throw error("unpaired surrogate") }
            return scalar
        default:
            throw error("invalid escape")
        }
    }

    private mutating func hex4() throws(Error) -> UInt32 {
        guard bytes.count - position >= 4 else { throw error("invalid \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let digit = Character(Unicode.Scalar(bytes[position])).hexDigitValue else {
                throw error("invalid \\u escape")
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }
}
