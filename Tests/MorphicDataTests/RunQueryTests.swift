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

    @Test func badSortAndFields_NameTheirParameter() {
        let sort = #expect(throws: RunQuery.Error.self) { try RunQuery(filter: nil, sort: "-nothing", fields: nil) }
        #expect(sort?.parameter == "sort")
        let fields = #expect(throws: RunQuery.Error.self) { try RunQuery(filter: nil, sort: nil, fields: "grid_size,bogus") }
        #expect(fields?.parameter == "fields")
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
            index.page(
                try RunQuery(filter: filter, sort: sort, fields: fields), offset: offset, limit: limit,
                folder: SweepFolder(path: folder), interval: 0, activity: { _ in "queued" })
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
