import Foundation
import MorphicData
import Testing
import TestSupport

/// The runs query: its small filter language, and the index that answers it.
@Suite struct RunQueryTests {
    @Test(arguments: [
        ("mode = morphic", 1), ("field_strength>=0.4 and mode=morphic", 2), ("run_id ^= 'control_'", 1),
        ("  avg_population < 1e3 and label = control ", 2), ("status != failed", 1), ("", 0),
    ])
    func filters_AreParsed(_ filter: String, _ conditions: Int) throws {
        #expect(try RunQuery(filter: filter, sort: nil, fields: nil).conditions.count == conditions)
    }

    @Test(arguments: [
        ("mode ~ morphic", "filter"), ("nonsense = 1", "filter"), ("field_strength = high", "filter"),
        ("mode < morphic", "filter"), ("field_strength ^= 0", "filter"), ("field_strength >= nan", "filter"),
    ])
    func badFilters_NameTheParameter(_ filter: String, _ parameter: String) {
        let error = #expect(throws: RunQuery.Error.self) { try RunQuery(filter: filter, sort: nil, fields: nil) }
        #expect(error?.parameter == parameter)
    }

    /// A refused filter's message quotes what was typed, exactly (never as the parser split
    /// and spaced it), and says where it starts in the filter, from 1.
    @Test(arguments: [
        ("<script>alert(1)</script>", "<script>alert(1)</script>", 1),
        ("mode = morphic and <script>alert(1)</script>", "<script>alert(1)</script>", 20),
        ("  mode = morphic and   field_strength >= oops", "oops", 42),
        ("mode == morphic", "mode == morphic", 1),
        ("field_strength >= 0.5 OR mode = morphic", "field_strength >= 0.5 OR mode = morphic", 1),
        ("mode = morphic and nonsense = 1", "nonsense", 20),
        ("mode < morphic", "<", 6),
        ("seed = 1e3", "1e3", 8),
        ("seed = '1e3'", "1e3", 9),
        ("mode = 'x", "mode = 'x", 1),
        ("mode = morphic and field_strength >=", "field_strength >=", 20),
        ("mode = morphic and and", "and", 20),
        ("run_id ^= 'é' and ñ = 1", "ñ", 19),
        ("run_id ^= 'é'  and  field_strength > 0.5 and a<b<c", "a<b<c", 46),
        // An operator for text on a number: the operator, not the value, is what is wrong.
        ("field_strength ^= 1", "^=", 16),
        ("mode = morphic and seed ^= 12", "^=", 25),
    ])
    func refusedFilters_QuoteWhatWasTyped_WithItsPlace(_ filter: String, _ quoted: String, _ position: Int) {
        // The case itself: `quoted` is what the filter holds at `position`.
        #expect(String(String.UnicodeScalarView(filter.unicodeScalars.dropFirst(position - 1))).hasPrefix(quoted))
        let error = #expect(throws: RunQuery.Error.self) { try RunQuery(filter: filter, sort: nil, fields: nil) }
        #expect(error?.parameter == "filter")
        #expect(error?.message.contains("'\(quoted)' at character \(position)") == true, "\(error?.message ?? "")")
    }

    /// A joining word is quoted as it was written (`OR`, not `or`), and an operator with
    /// nothing after it is refused, not taken as a comparison with the empty text.
    @Test func refusedFilters_SayTheWordAsTyped_AndAMissingValue() throws {
        let word = #expect(throws: RunQuery.Error.self) { try RunQuery(filter: "mode = morphic OR mode = classical", sort: nil, fields: nil) }
        #expect(word?.message.contains("'OR' is not supported") == true, "\(word?.message ?? "")")
        let empty = #expect(throws: RunQuery.Error.self) { try RunQuery(filter: "mode =", sort: nil, fields: nil) }
        #expect(empty?.message == "'mode =' at character 1 has no value after its operator '='")
        #expect(try RunQuery(filter: "mode = ''", sort: nil, fields: nil).conditions.first?.text == "")
    }

    @Test func badSortAndFields_NameTheirParameter() throws {
        let sort = #expect(throws: RunQuery.Error.self) { try RunQuery(filter: nil, sort: "-nothing", fields: nil) }
        #expect(sort?.parameter == "sort")
        let fields = #expect(throws: RunQuery.Error.self) { try RunQuery(filter: nil, sort: nil, fields: "grid_size,bogus") }
        #expect(fields?.parameter == "fields")
        for empty in [",,,", "grid_size,", ",grid_size", "grid_size,,seed"] {
            let error = #expect(throws: RunQuery.Error.self) { try RunQuery(filter: nil, sort: nil, fields: empty) }
            #expect(error?.parameter == "fields", "fields=\(empty)")
        }
        // The map's coordinates are filtered and sorted on, never listed: refused, not ignored.
        for listed in ["map_x", "grid_size,map_y"] {
            let error = #expect(throws: RunQuery.Error.self) { try RunQuery(filter: nil, sort: nil, fields: listed) }
            #expect(error?.parameter == "fields", "fields=\(listed)")
            #expect(error?.message.contains("/map") == true, "fields=\(listed)")
        }
        #expect(try RunQuery(filter: "map_x > 0", sort: "-map_y", fields: "grid_size").usesMap)
    }

    @Test func index_FiltersSortsAndPages_AsTheRecordsSay() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let definition = try SweepDefinition.parse(
            Array(
                #"""
                {"name": "q", "seed": 4, "defaults": {"grid_size": 12, "generations": 30},
                 "groups": [{"prefix": "control", "mode": "classical", "replicates": 4},
                            {"prefix": "m", "grid": {"field_strength": [0.2, 0.5, 0.9]}, "replicates": 2}]}
                """#.utf8))
        try SweepFolder(path: folder).prepare(for: definition)
        _ = try SweepRunner(definition: definition, folder: SweepFolder(path: folder), workers: 2).run()
        let index = RunIndex(definition: definition)
        func page(_ filter: String, sort: String? = nil, fields: String? = nil, offset: Int = 0, limit: Int = 100)
            throws -> RunIndex.Page
        {
            try #require(
                index.page(
                    try RunQuery(filter: filter, sort: sort, fields: fields), offset: offset, limit: limit,
                    folder: SweepFolder(path: folder), interval: 0, activity: { _ in "queued" }))
        }
        #expect(try page("").total == 10 && page("").matched == 10)
        #expect(try page("label = control").matched == 4)
        #expect(try page("mode = morphic and field_strength >= 0.5").runs.map { $0["run_id"]!.stringValue! }
            == ["m_3", "m_4", "m_5", "m_6"])
        #expect(try page("run_id ^= control_").matched == 4)
        #expect(try page("status = completed").matched == 10)
        let sorted = try page("", sort: "-avg_population").runs.compactMap { $0["summary_stats"]?["avg_population"]?.doubleValue }
        #expect(sorted == sorted.sorted(by: >) && sorted.count == 10)
        let narrow = try page("mode = morphic", fields: "field_strength,avg_population", offset: 5, limit: 3)
        #expect(narrow.matched == 6 && narrow.runs.count == 1)
        #expect(narrow.runs[0]["config"]?.members?.map(\.key) == ["field_strength"])
        #expect(narrow.runs[0]["summary_stats"]?.members?.map(\.key) == ["avg_population"])
        // The map's coordinates: before they are set no run has any; after, a rectangle on
        // them keeps exactly the runs inside it (edges included), and a run off the map none.
        #expect(try page("map_x >= -1000").matched == 0)
        let ids = definition.runs.map(\.id)
        var coordinates: [String: (x: Double, y: Double)] = [:]
        for (position, id) in ids.enumerated().dropLast() { coordinates[id] = (Double(position) * 0.25 - 1, Double(position % 3)) }
        index.setMap(version: "v1", coordinates: coordinates)
        #expect(index.mapVersion == "v1")
        for (low, high, bottom, top) in [(-1.0, 0.5, 0.0, 1.0), (-5.0, 5.0, -5.0, 5.0), (0.25, 0.25, 0.0, 2.0), (3.0, 9.0, 0.0, 9.0)] {
            let inside = coordinates.filter { $0.value.x >= low && $0.value.x <= high && $0.value.y >= bottom && $0.value.y <= top }
            let answer = try page("map_x >= \(low) and map_x <= \(high) and map_y >= \(bottom) and map_y <= \(top)")
            #expect(answer.matched == inside.count)
            #expect(Set(answer.runs.map { $0["run_id"]!.stringValue! }) == Set(inside.keys))
        }
        #expect(try page("", sort: "-map_x").runs.first?["run_id"]?.stringValue == ids[ids.count - 2])
        #expect(try RunQuery(filter: "map_y < 1", sort: nil, fields: nil).usesMap)
        #expect(try !RunQuery(filter: "field_strength < 1", sort: nil, fields: nil).usesMap)
        // Every value of the page agrees with the record on disk.
        let records = try runRecords(folder)
        for run in try page("").runs {
            let record = try JSONParser.parse(try #require(records[run["run_id"]!.stringValue! + ".json"]))
            #expect(run["summary_stats"] == record["summary_stats"])
        }
        let csv = String(decoding: index.csv(try RunQuery(filter: "label = control", sort: nil, fields: "avg_population"), activity: { _ in "queued" }), as: UTF8.self)
        let lines = csv.split(separator: "\n")
        #expect(lines.first == "run_id,mode,status,avg_population" && lines.count == 5)
        // The query knows every statistic a record holds, in its order.
        let record = try JSONParser.parse(try #require(records["m_1.json"]))
        #expect(record["summary_stats"]?.members?.map(\.key) == RunQuery.statistics)
    }
}

/// Seeds are UInt64 and go above 2^53, where Doubles no longer tell neighbours apart: the
/// filter and the sort compare them exactly.
@Suite struct SeedQueryTests {
    static let seeds: [UInt64] = [
        9_007_199_254_740_993, 9_007_199_254_740_992, 2_854_150_062_182_142_696, 2_854_150_062_182_142_697,
        9_223_372_036_854_775_809, 9_223_372_036_854_775_808, 18_446_744_073_709_551_615, 7,
    ]

    static func index() throws -> RunIndex {
        let list = seeds.map(String.init).joined(separator: ", ")
        let definition = try SweepDefinition.parse(
            Array(
                """
                {"name": "s", "seed": 4, "defaults": {"grid_size": 12, "generations": 30},
                 "groups": [{"prefix": "r", "grid": {"seed": [\(list)]}}]}
                """.utf8))
        return RunIndex(definition: definition)
    }

    static func seeds(_ index: RunIndex, _ filter: String, sort: String? = nil) throws -> [UInt64] {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let page = try #require(
            index.page(
                try RunQuery(filter: filter, sort: sort, fields: "seed"), offset: 0, limit: 100,
                folder: SweepFolder(path: folder), interval: 0, activity: { _ in "queued" }))
        return page.runs.map { run in
            guard case .number(let text)? = run["config"]?["seed"] else { return 0 }
            return UInt64(text) ?? 0
        }
    }

    @Test func everyOperator_ComparesExactly_AboveTwoToThe53And63() throws {
        let index = try Self.index()
        #expect(try Self.seeds(index, "").sorted() == Self.seeds.sorted())
        for seed in Self.seeds {
            for (op, holds) in [
                ("=", { (s: UInt64) in s == seed }), ("!=", { $0 != seed }), ("<", { $0 < seed }),
                ("<=", { $0 <= seed }), (">", { $0 > seed }), (">=", { $0 >= seed }),
            ] {
                let expected = Self.seeds.filter(holds)
                #expect(try Self.seeds(index, "seed \(op) \(seed)").sorted() == expected.sorted(), "seed \(op) \(seed)")
            }
        }
        // The tester's pair: one apart from a seed, and its Double's neighbour.
        #expect(try Self.seeds(index, "seed = 2854150062182142697") == [2_854_150_062_182_142_697])
        #expect(try Self.seeds(index, "seed = 2854150062182142700").isEmpty)
        #expect(try Self.seeds(index, "seed = 2854150062182142695").isEmpty)
        // Fractions, negatives and values past UInt64 are placed exactly too.
        #expect(try Self.seeds(index, "seed < 9007199254740992.5").sorted() == [7, 9_007_199_254_740_992])
        #expect(try Self.seeds(index, "seed > -1").count == Self.seeds.count)
        #expect(try Self.seeds(index, "seed < 18446744073709551616").count == Self.seeds.count)
        #expect(try Self.seeds(index, "seed >= 18446744073709551616").isEmpty)
        #expect(try Self.seeds(index, "seed = '9223372036854775809'") == [9_223_372_036_854_775_809])
    }

    @Test func sort_IsExact_BothWays() throws {
        let index = try Self.index()
        #expect(try Self.seeds(index, "", sort: "seed") == Self.seeds.sorted())
        #expect(try Self.seeds(index, "", sort: "-seed") == Self.seeds.sorted(by: >))
    }

    @Test(arguments: ["seed = 1e3", "seed = 0x10", "seed = abc", "seed ^= 1", "seed = 1.", "seed = ."])
    func nonDecimalSeeds_AreRefused(_ filter: String) {
        let error = #expect(throws: RunQuery.Error.self) { try RunQuery(filter: filter, sort: nil, fields: nil) }
        #expect(error?.parameter == "filter")
    }

    @Test(arguments: ["mode = 'x", "mode = \"x", "mode = x'", "run_id ^= '", "mode = 'x\""])
    func unclosedQuotes_AreRefused(_ filter: String) {
        let error = #expect(throws: RunQuery.Error.self) { try RunQuery(filter: filter, sort: nil, fields: nil) }
        #expect(error?.parameter == "filter")
        #expect(error?.message.contains("not closed") == true)
    }
}
