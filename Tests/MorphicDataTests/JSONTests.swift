@testable import MorphicData
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
            // Eighteen and nineteen digits with up to 27 decimals, read by integer division.
            let long = String(UInt64.random(in: 100_000_000_000_000_000...UInt64(9_999_999_999_999_999_999), using: &generator))
            let decimals = Int.random(in: 0...27, using: &generator)
            if decimals == 0 {
                texts.append(long)
            } else if decimals < long.count {
                texts.append(String(long.dropLast(decimals)) + "." + String(long.suffix(decimals)))
            } else {
                texts.append("0." + String(repeating: "0", count: decimals - long.count) + long)
            }
            // Exact halves between two doubles, written out in full: ties go to the even one.
            let odd = UInt64.random(in: 1 << 53..<1 << 54, using: &generator) | 1
            let places = Int.random(in: 0...2, using: &generator)
            let scaled = String(odd * (0..<places).reduce(1) { value, _ in value * 5 })
            texts.append(places == 0 ? scaled : String(scaled.dropLast(places)) + "." + String(scaled.suffix(places)))
        }
        for text in texts {
            let read = JSON.number(text).doubleValue
            #expect(read?.bitPattern == Double(text)?.bitPattern, "\(text)")
        }
    }

    /// A record's series read as columns hold each element's number and text as the whole
    /// parse gives them; anything but arrays of numbers and nulls there, or a malformed
    /// document, is refused, for the record to be read whole.
    @Test func parser_ReadsASeriesObjectAsColumns() throws {
        let text = #"""
            {"run_id": "a", "timeseries": {"x": [1, 0.5, null, -2e-3], "y": [],
              "z": [12345678901234567890, 0.30000000000000004, 7, 1]}, "n": [1, {"m": 2}]}
            """#
        let bytes = Array(text.utf8)
        var columns = SeriesColumns()
        let json = try #require(JSONParser.parse(bytes, columnsOf: "timeseries", into: &columns))
        let whole = try JSONParser.parse(bytes)
        #expect(json.members?.map(\.key) == whole.members?.map(\.key))
        #expect(json["run_id"] == whole["run_id"] && json["n"] == whole["n"])
        #expect(json["timeseries"] == .object([]))
        #expect(columns.names == ["x", "y", "z"])
        for name in columns.names {
            let elements = columns.elements(of: name)
            let expected = try #require(whole["timeseries"]?[name]?.elements)
            #expect(elements.count == expected.count)
            for (index, element) in zip(elements, expected) {
                #expect(columns.isNumber(index) == (element != .null))
                #expect(columns.values[index].bitPattern == (element.doubleValue ?? .nan).bitPattern)
            }
        }
        #expect(columns.elements(of: "w").isEmpty)
        var rows: [UInt8] = []
        columns.appendRows([columns.elements(of: "x"), columns.elements(of: "z")], runID: "a", record: bytes, to: &rows)
        #expect(
            String(decoding: rows, as: UTF8.self)
                == "a,0,1,12345678901234567890\na,1,0.5,0.30000000000000004\na,2,,7\na,3,-2e-3,1\n")
        // Read again into the same columns, nothing of the first record is left.
        _ = try #require(JSONParser.parse(Array(#"{"timeseries": {"y": [2]}}"#.utf8), columnsOf: "timeseries", into: &columns))
        #expect(columns.names == ["y"] && columns.values == [2])
        for refused in [
            #"{"timeseries": {"x": [1, "2"]}}"#, #"{"timeseries": {"x": [true]}}"#, #"{"timeseries": {"x": 1}}"#,
            #"{"timeseries": {"x": [1], "x": [2]}}"#, #"{"timeseries": [1]}"#, #"{"timeseries": {"x": [1,]}}"#,
            #"{"timeseries": {"x": [1]}} x"#, #"{"timeseries": {"x": [01]}}"#, #"{"timeseries": {"x": [[1]]}}"#,
            #"{"timeseries": {}, "timeseries": {}}"#, #"[1]"#, #"{"timeseries": {"x": [nul]}}"#,
        ] {
            #expect(JSONParser.parse(Array(refused.utf8), columnsOf: "timeseries", into: &columns) == nil, "\(refused)")
        }
    }

    @Test func parser_NamesADuplicateKey() {
        let error = #expect(throws: JSONParser.Error.self) { try JSONParser.parse(#"{"seed": 1, "seed": 2}"#) }
        #expect(error?.duplicateKey == "seed")
        #expect(error?.field == "seed")
        // Deeper down, named by its path.
        let nested = #expect(throws: JSONParser.Error.self) {
            try JSONParser.parse(#"{"groups": [{"prefix": "a"}, {"params": {"seed": 1, "seed": 2}}]}"#)
        }
        #expect(nested?.field == "groups[1].params.seed", "\(String(describing: nested))")
        let inArray = #expect(throws: JSONParser.Error.self) { try JSONParser.parse(#"[[0, {"a": 1, "a": 2}]]"#) }
        #expect(inArray?.field == "[0][1].a", "\(String(describing: inArray))")
    }

    /// A byte order mark at the start, which some editors add, is named as one.
    @Test func parser_NamesAByteOrderMark() {
        let error = #expect(throws: JSONParser.Error.self) { try JSONParser.parse([0xEF, 0xBB, 0xBF] + Array("{}".utf8)) }
        #expect(error?.reason.contains("byte order mark") == true && error?.offset == 0, "\(String(describing: error))")
        // Nowhere else is it taken for one.
        let inside = #expect(throws: JSONParser.Error.self) { try JSONParser.parse([0x5B, 0xEF, 0xBB, 0xBF, 0x5D]) }
        #expect(inside?.reason == "unexpected character")
    }

    /// What Python's and JavaScript's encoders write for a number JSON has not is named, not
    /// called an unexpected character.
    @Test(arguments: [("[NaN]", "NaN", 1), ("{\"a\": Infinity}", "Infinity", 6), ("[1, -Infinity]", "-Infinity", 4)])
    func parser_NamesNaNAndInfinity(_ text: String, _ word: String, _ offset: Int) {
        let error = #expect(throws: JSONParser.Error.self) { try JSONParser.parse(Array(text.utf8)) }
        #expect(error?.reason == "\(word) is not a JSON number; give a finite number")
        #expect(error?.offset == offset)
        // Numbers around them still read.
        #expect((try? JSONParser.parse(Array("[-1, 0.5, null]".utf8))) != nil)
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

