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
