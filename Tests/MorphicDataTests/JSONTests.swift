import MorphicData
import Testing

@Suite struct JSONTests {
    @Test func parser_KeepsOrderAndNumberText() throws {
        let json = try JSONParser.parse(#"{"b": 1, "a": [18446744073709551615, 0.10, -2e-3], "c": "x\u00e9\n"}"#)
        #expect(json.members?.map(\.key) == ["b", "a", "c"])
        #expect(json["a"] == .array([.number("18446744073709551615"), .number("0.10"), .number("-2e-3")]))
        #expect(json["c"] == .string("xé\n"))
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\":1,}", "01", "1.", "-", "+1", "\"\\x\"", "\"a\nb\"", "tru", "{\"a\" 1}",
        "[1] 2", "\"\\ud800\"", "{\"a\":1,\"a\":2}", "NaN",
    ])
    func parser_RefusesMalformedDocuments(_ text: String) {
        #expect(throws: JSONParser.Error.self) { try JSONParser.parse(text) }
    }

    /// A number's value is the correctly rounded one whichever way it is read: shortest
    /// forms of doubles of every magnitude, long and short decimals, integers near 2^53.
    @Test func number_ReadsAsTheCorrectlyRoundedDouble() {
        var generator = SystemRandomNumberGenerator()
        var texts = ["0", "-0", "0.0", "-0.0", "1", "9007199254740992", "9007199254740993", "12345678901234567890",
            "0.1", "0.30000000000000004", "123.456", "1e-05", "5e-324", "1.7976931348623157e+308", "0.000000000000000000001",
            "99999999999999999999999.5", "4.35"]
        for _ in 0..<20_000 {
            let bits = UInt64.random(in: 0...UInt64.max, using: &generator)
            let double = Double(bitPattern: bits)
            if double.isFinite { texts.append(String(double)) }
            let ratio = Double(Int.random(in: 0...1_000_000, using: &generator)) / Double(Int.random(in: 1...10_000, using: &generator))
            texts.append(String(ratio))
            let digits = (0..<Int.random(in: 1...20, using: &generator)).map { _ in String(Int.random(in: 0...9, using: &generator)) }
            let point = Int.random(in: 1...digits.count, using: &generator)
            let decimal = digits[..<point].joined() + (point < digits.count ? "." + digits[point...].joined() : "")
            if decimal.first != "0" || decimal.count == 1 || decimal.dropFirst().first == "." { texts.append(decimal) }
        }
        for text in texts {
            let read = JSON.number(text).doubleValue
            #expect(read?.bitPattern == Double(text)?.bitPattern, "\(text)")
        }
    }

    @Test func parser_NamesADuplicateKey() {
        let error = #expect(throws: JSONParser.Error.self) { try JSONParser.parse(#"{"seed": 1, "seed": 2}"#) }
        #expect(error?.duplicateKey == "seed")
    }

    @Test func parser_RefusesNestingBeyondTheLimit() throws {
        let deepest =
            String(repeating: "[", count: JSONParser.maximumDepth)
            + String(repeating: "]", count: JSONParser.maximumDepth)
        _ = try JSONParser.parse(deepest)
        #expect(throws: JSONParser.Error.self) { try JSONParser.parse("[" + deepest + "]") }
    }

    @Test func writer_RoundTripsThroughTheParser() throws {
        let value: JSON = .object([
            "text": .string("quote \" backslash \\ tab \t bell \u{07} ünï"),
            "list": .array([.int(1), .double(0.5), .null]),
            "nested": .object(["flag": .bool(true), "empty": .array([]), "none": .object([])]),
        ])
        #expect(try JSONParser.parse(value.compactBytes) == value)
        #expect(try JSONParser.parse(value.prettyBytes) == value)
    }

    @Test func writer_PutsScalarArraysOnOneLine() {
        let value: JSON = .object(["series": .array([.int(1), .int(2)])])
        #expect(String(decoding: value.prettyBytes, as: UTF8.self) == "{\n  \"series\": [1, 2]\n}\n")
        #expect(value.compactText == #"{"series":[1,2]}"#)
    }

    @Test func parser_RefusesInvalidUTF8InStrings() throws {
        for bytes: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22]] {
            #expect(throws: JSONParser.Error.self) { try JSONParser.parse(bytes) }
        }
        #expect(try JSONParser.parse(Array("\"h\u{e9}\"".utf8)) == .string("h\u{e9}"))
    }
}

