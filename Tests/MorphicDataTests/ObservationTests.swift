import MorphicData
import MorphicInference
import Testing

/// No observation is guessed at: one that mixes forms, has a key its form does not take, or
/// a run id that is not a string is refused, naming the field; a well-formed one is taken.
@Suite struct ObservationTests {
    static let series =
        #""series": {"population": [5, 6, 7, 6], "complexity": [0.1, 0.2, 0.3, 0.2], "volatility": [0, 0.2, 0.1, 0.1], "pattern_diversity": [3, 4, 5, 4]}"#

    static func refusal(_ text: String, record: Bool = false) throws -> InferenceError? {
        let json = try JSONParser.parse(Array(text.utf8))
        do {
            _ = record ? try Observation(record: json) : try Observation(seriesRequest: json)
            try Observation.checkKeys(json)
            return nil
        } catch let error as InferenceError {
            return error
        }
    }

    @Test func observation_ThatIsAmbiguousOrHasUnknownFields_IsRefusedNamingTheField() throws {
        #expect(try Self.refusal("{\(Self.series)}") == nil)
        #expect(try Self.refusal(#"{\#(Self.series), "run_id": "mine", "convergence_generation": null}"#) == nil)
        let cases: [(String, String)] = [
            (#"{\#(Self.series), "sweep": "abc", "run": "morphic_1"}"#, "series"),
            (#"{\#(Self.series), "run": "morphic_1"}"#, "series"),
            (#"{\#(Self.series), "metadata": {"grid_size": 8, "generations": 4}}"#, "metadata"),
            (#"{\#(Self.series), "colour": "red"}"#, "colour"),
            (#"{\#(Self.series), "run_id": 5}"#, "run_id"),
            (
                #"{"series": {"population": [1, 2], "complexity": [1, 2], "volatility": [1, 2], "pattern_diversity": [1, 2], "crystal_count": [0, 0]}}"#,
                "series.crystal_count"
            ),
        ]
        for (text, field) in cases {
            let error = try #require(try Self.refusal(text), "\(text)")
            #expect(error.field == field, "\(text): \(error)")
            #expect(error.message.contains(field.split(separator: ".").last!), "\(error.message)")
        }
        // The same for a run record, and for the keys alone.
        let record =
            #"{"run_id": "m_1", "metadata": {"grid_size": 8, "generations": 4}, "timeseries": \#(Self.series.dropFirst(10)), "summary_stats": {"convergence_generation": null}"#
        #expect(try Self.refusal(record + "}", record: true) == nil)
        for (extra, field) in [
            (#", "note": 1"#, "note"), (#", "series": {}"#, "metadata"), (#", "sweep": "x""#, "metadata"),
        ] {
            let error = try #require(try Self.refusal(record + extra + "}", record: true))
            #expect(error.field == field, "\(extra): \(error)")
        }
        let numbered = try #require(
            try Self.refusal(record.replacingOccurrences(of: #""m_1""#, with: "5") + "}", record: true))
        #expect(numbered.field == "run_id")
        #expect(throws: InferenceError.self) {
            try Observation.checkKeys(try JSONParser.parse(Array(#"{"sweep": "a", "run": "b", "extra": 1}"#.utf8)))
        }
    }

    /// A value no run can have (a negative count, deviation or ratio) is refused, naming the
    /// series and the generation, in bare series and in a run record alike.
    @Test func negativeValue_IsRefusedNamingTheSeriesAndItsIndex() throws {
        let values = [
            ("population", "5, 6, 7, 6"), ("complexity", "0.1, 0.2, 0.3, 0.2"), ("volatility", "0, 0.2, 0.1, 0.1"),
            ("pattern_diversity", "3, 4, 5, 4"),
        ]
        for (negative, _) in values {
            let members = values.map { name, list in
                #""\#(name)": [\#(name == negative ? "0, -1, 0, 0" : list)]"#
            }
            let series = #""series": {\#(members.joined(separator: ", "))}"#
            let error = try #require(try Self.refusal("{\(series)}"), "\(negative)")
            #expect(error.field == "series.\(negative)")
            #expect(error.message == "series.\(negative)[1] is -1; \(negative) is never negative", "\(error.message)")
            let record =
                #"{"run_id": "m_1", "metadata": {"grid_size": 8, "generations": 4}, "timeseries": \#(series.dropFirst(10)), "summary_stats": {"convergence_generation": null}}"#
            let fromRecord = try #require(try Self.refusal(record, record: true), "\(negative)")
            #expect(fromRecord.field == "timeseries.\(negative)")
        }
        // Every way of writing a negative number, one too small for a double included; a zero
        // written with its sign is zero.
        func volatility(_ value: String) -> String {
            #"{"series": {"population": [5, 6, 7, 6], "complexity": [0.1, 0.2, 0.3, 0.2], "volatility": [0, \#(value), 0.1, 0.1], "pattern_diversity": [3, 4, 5, 4]}}"#
        }
        for (value, shown) in [("-0.25", "-0.25"), ("-1e-400", "-1e-400"), ("-0.0001E-330", "-0.0001E-330"), ("-2e0", "-2")] {
            let error = try #require(try Self.refusal(volatility(value)), "\(value)")
            #expect(error.message == "series.volatility[1] is \(shown); volatility is never negative", "\(error.message)")
        }
        for zero in ["-0", "-0.0", "-0e7", "-0.000E-999"] {
            #expect(try Self.refusal(volatility(zero)) == nil, "\(zero)")
        }
    }

    /// A value no run on the grid can have (more live cells than the grid has, a count that
    /// is not whole, more than 512 distinct 3×3 windows, a complexity over 0.5) is refused,
    /// naming the series, the generation and the bound, in bare series and in a run record;
    /// the largest possible values pass.
    @Test func impossibleValue_IsRefusedNamingItsBound() throws {
        let plain = [
            "population": "5, 6, 7, 6", "complexity": "0.1, 0.2, 0.3, 0.2", "volatility": "0, 0.2, 0.1, 0.1",
            "pattern_diversity": "3, 4, 5, 4",
        ]
        func series(_ name: String, _ list: String) -> String {
            let members = ["population", "complexity", "volatility", "pattern_diversity"].map { key in
                #""\#(key)": [\#(key == name ? list : plain[key]!)]"#
            }
            return #"{\#(members.joined(separator: ", "))}"#
        }
        func record(_ name: String, _ list: String) -> String {
            #"{"run_id": "m_1", "metadata": {"grid_size": 8, "generations": 4}, "timeseries": \#(series(name, list)), "summary_stats": {"convergence_generation": null}}"#
        }
        let refused: [(name: String, list: String, record: String?, bare: String?)] = [
            ("population", "5, 65, 7, 6", "timeseries.population[1] is 65; the run's 8×8 grid has 64 cells", nil),
            ("population", "5, 16777217, 7, 6", nil, "series.population[1] is 16777217; no grid has more than 16777216 (4096×4096)"),
            ("population", "5, 1e308, 7, 6", nil, "series.population[1] is 1e+308; no grid has more than 16777216 (4096×4096)"),
            ("population", "5, 6.5, 7, 6", "timeseries.population[1] is 6.5; population is a whole number", "series.population[1] is 6.5; population is a whole number"),
            ("pattern_diversity", "3, 513, 5, 4", nil, "series.pattern_diversity[1] is 513; it counts distinct 3×3 windows, of which there are at most 512"),
            ("pattern_diversity", "3, 65, 5, 4", "timeseries.pattern_diversity[1] is 65; it counts distinct 3×3 windows, at most one a cell; the run's 8×8 grid has 64 cells", nil),
            ("complexity", "0.1, 0.6, 0.3, 0.2", "timeseries.complexity[1] is 0.6; a standard deviation of fractions of a block is at most 0.5", nil),
            ("volatility", "0, 65, 0.1, 0.1", "timeseries.volatility[1] is 65; a change in population over the one before it is at most the grid's cells; the run's 8×8 grid has 64 cells", nil),
        ]
        for case let (name, list, inRecord, bare) in refused {
            if let inRecord {
                let error = try #require(try Self.refusal(record(name, list), record: true), "\(name) \(list)")
                #expect(error.message == inRecord && error.field == "timeseries.\(name)", "\(error.message)")
            }
            if let bare {
                let error = try #require(try Self.refusal("{\"series\": \(series(name, list))}"), "\(name) \(list)")
                #expect(error.message == bare && error.field == "series.\(name)", "\(error.message)")
            }
        }
        for (name, list) in [("population", "64, 0, 64, 64"), ("complexity", "0.5, 0, 0.5, 0.5"), ("volatility", "0, 64, 0, 0"), ("pattern_diversity", "64, 0, 1, 2")] {
            #expect(try Self.refusal(record(name, list), record: true) == nil, "\(name) \(list)")
        }
    }

    /// Something of no form at all (a sweep definition given by mistake) is said to be no
    /// observation, with the forms that are, not that its first key is no field.
    @Test func noFormAtAll_IsSaidToBeNoObservation() throws {
        let definition = #"{"name": "seed", "seed": 1, "defaults": {}, "groups": [], "notify_url": null}"#
        let error = try #require(
            try { () throws -> InferenceError? in
                do { try Observation.checkKeys(try JSONParser.parse(Array(definition.utf8))) } catch let error as InferenceError { return error }
                return nil
            }())
        #expect(error.field == "name")
        #expect(error.message.hasPrefix("not an observation: it has name, seed, defaults, groups, … (a sweep definition is not an observation); give {\"sweep\""))
    }

    /// A run record whose sizes contradict themselves or are no sizes, whose series are not a
    /// record's, whose convergence lies past its end or whose mode is none is refused naming
    /// the field, as its other parts are.
    @Test func runRecord_ThatContradictsItself_IsRefusedNamingTheField() throws {
        let series = String(Self.series.dropFirst(10))
        func record(metadata: String = #"{"grid_size": 8, "generations": 4}"#, config: String? = nil,
                    timeseries: String? = nil, convergence: String = "null", mode: String? = nil) -> String {
            var text = #"{"run_id": "m_1", "metadata": \#(metadata), "timeseries": \#(timeseries ?? series), "#
                + #""summary_stats": {"convergence_generation": \#(convergence)}"#
            if let config { text += #", "config": \#(config)"# }
            if let mode { text += #", "mode": \#(mode)"# }
            return text + "}"
        }
        #expect(try Self.refusal(record(config: #"{"grid_size": 8, "generations": 4, "mode": "morphic"}"#, convergence: "3", mode: #""morphic""#), record: true) == nil)
        let cases: [(String, String)] = [
            (record(config: #"{"grid_size": 33}"#), "config.grid_size"),
            (record(config: #"{"grid_size": "x"}"#), "config.grid_size"),
            (record(metadata: #"{"grid_size": 8}"#), "metadata.generations"),
            (record(metadata: #"{"grid_size": 0, "generations": 4}"#), "metadata.grid_size"),
            (record(metadata: #"{"generations": 4}"#, config: #"{"generations": 5, "grid_size": 8}"#), "config.generations"),
            (record(timeseries: #"{"population": [1, 2, 3, 4], "colour": [1]}"#), "timeseries.colour"),
            (record(timeseries: "[1, 2]"), "timeseries"),
            (record(convergence: "1000000000"), "summary_stats.convergence_generation"),
            (record(convergence: "-1"), "summary_stats.convergence_generation"),
            (record(mode: #""bogus""#), "mode"),
            (record(config: #"{"mode": 3}"#), "config.mode"),
        ]
        for (text, field) in cases {
            let error = try #require(try Self.refusal(text, record: true), "\(text)")
            #expect(error.field == field, "\(text): \(error)")
        }
    }

    @Test func series_LongerThanAnyRun_IsRefusedBeforeItsFeaturesAreComputed() throws {
        let longest = 100_000
        let values = { (count: Int) in "[" + Array(repeating: "0", count: count).joined(separator: ",") + "]" }
        let text = { (count: Int) in
            #"{"series": {"population": \#(values(count)), "complexity": \#(values(count)), "volatility": \#(values(count)), "pattern_diversity": \#(values(count))}}"#
        }
        #expect(try Self.refusal(text(longest)) == nil)
        let error = try #require(try Self.refusal(text(longest + 1)))
        #expect(error.field == "series.population")
        #expect(error.message.contains("100001 values") && error.message.contains("100000 generations"), "\(error)")
    }

    /// Series of different lengths are refused naming the one that differs from the others,
    /// whichever it is, and every length.
    @Test func seriesOfDifferentLengths_AreRefusedNamingTheOneThatDiffers() throws {
        let names = ["population", "complexity", "volatility", "pattern_diversity"]
        for odd in names {
            for length in [2, 5] {
                let members = names.map { name in
                    "\"\(name)\": [" + Array(repeating: "1", count: name == odd ? length : 4).joined(separator: ",") + "]"
                }
                let error = try #require(try Self.refusal("{\"series\": {" + members.joined(separator: ", ") + "}}"))
                #expect(error.field == "series." + odd, "\(error)")
                #expect(error.message.contains("\(odd) \(length)") && error.message.contains("lengths differ"), "\(error)")
            }
        }
    }
}
