import Foundation
import Synchronization
import MorphicData
import TestSupport
import Testing

/// The runs index's read of the records: shared by concurrent queries, kept when a query
/// stops waiting for it, and answering the same from an assembled sweep's index file as from
/// the records; and the manifest without its per-run part.
@Suite struct RunIndexTests {
    /// 2,000 tiny runs over two parameters, so a read of the records takes a while.
    static let definitionText = #"""
        {"name": "index", "seed": 5, "defaults": {"grid_size": 8, "generations": 10},
         "groups": [{"prefix": "control", "mode": "classical", "replicates": 200},
                    {"prefix": "m", "grid": {"field_strength": [0.1, 0.3, 0.5, 0.7, 0.9, 1.0],
                                             "temporal_decay": [0.0, 0.1, 0.2]}, "replicates": 100}]}
        """#

    /// A parameter is swept when it takes more than one value where it acts: a field's
    /// parameters over the field runs, one that acts in every run over all of them.
    @Test func sweptParameters_AreThoseThatVaryWhereTheyAct() throws {
        let definition = try SweepDefinition.parse(Array(#"""
            {"name": "swept", "defaults": {"grid_size": 8, "generations": 10},
             "groups": [{"prefix": "c", "mode": "classical", "grid": {"initial_density": [0.2, 0.4], "field_strength": [0.1, 0.9]}},
                        {"prefix": "m", "grid": {"temporal_decay": [0.0, 0.5]}}]}
            """#.utf8))
        // The controls' density varies; their field strength acts in none of them, and the
        // field runs have one.
        #expect(RunIndex(definition: definition).sweptParameters() == ["initial_density", "temporal_decay"])
    }

    static func sweep(assembled: Bool) throws -> (SweepDefinition, SweepFolder) {
        let definition = try SweepDefinition.parse(Array(definitionText.utf8))
        let folder = SweepFolder(path: try temporaryFolder())
        try folder.prepare(for: definition)
        _ = try SweepRunner(definition: definition, folder: folder, workers: 2).run()
        if assembled { try Dataset.assemble(definition, in: folder, writesIndex: true) }
        return (definition, folder)
    }

    static let queries: [(filter: String, sort: String?)] = [
        ("", "-avg_population"), ("", "stability_score"), ("mode = morphic and avg_influence_rate > 0.001", "-max_influence_rate"),
        ("status = completed and field_strength >= 0.5", "convergence_generation"), ("", "status"),
        ("final_population <= 10", nil),
    ]

    /// Every answer an index gives to ``queries``: pages (statistics as the API writes them),
    /// the CSV export and the explorer's columns.
    static func answers(_ index: RunIndex, _ folder: SweepFolder) throws -> [String] {
        var answers: [String] = []
        for (filter, sort) in queries {
            let query = try RunQuery(filter: filter, sort: sort, fields: nil)
            let page = try #require(
                index.page(query, offset: 17, limit: 300, folder: folder, interval: 0, activity: { _ in "queued" }))
            answers.append("\(page.total) \(page.matched) " + String(decoding: JSON.array(page.runs).compactBytes, as: UTF8.self))
            answers.append(String(decoding: index.csv(query, activity: { _ in "queued" }), as: UTF8.self))
            let columns = try #require(
                index.columns(
                    RunQuery.statistics + ["field_strength"], query: query, folder: folder, interval: 0,
                    activity: { _ in "queued" }))
            answers.append("\(columns.total) " + columns.columns.map { $0.map { $0.bitPattern } }.description)
        }
        return answers
    }

    @Test func concurrentFirstQueries_ReadEachRecordOnce_AndAgree() throws {
        let (definition, folder) = try Self.sweep(assembled: false)
        defer { try? FileManager.default.removeItem(atPath: folder.path) }
        let index = RunIndex(definition: definition)
        let query = try RunQuery(filter: "mode = morphic", sort: "-avg_population", fields: nil)
        let pages = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            let page = index.page(query, offset: 0, limit: 50, folder: folder, interval: 0, activity: { _ in "queued" })
            let text = page.map { "\($0.matched) " + String(decoding: JSON.array($0.runs).compactBytes, as: UTF8.self) }
            pages.withLock { $0.append(text ?? "nil") }
        }
        let answers = pages.withLock { $0 }
        #expect(answers.count == 8 && Set(answers).count == 1 && answers[0].hasPrefix("1800 "))
        #expect(index.recordsRead == definition.runs.count)
    }

    @Test func aQueryThatStopsWaiting_LeavesTheReadRunning_AndTheNextFindsIt() throws {
        let (definition, folder) = try Self.sweep(assembled: false)
        defer { try? FileManager.default.removeItem(atPath: folder.path) }
        let index = RunIndex(definition: definition)
        let query = try RunQuery(filter: "", sort: "-stability_score", fields: nil)
        let early = index.page(query, offset: 0, limit: 10, folder: folder, interval: 0, wait: 0, activity: { _ in "queued" })
        #expect(early == nil)
        #expect(index.progress.of == definition.runs.count)
        let again = try #require(
            index.columns(["stability_score"], query: query, folder: folder, interval: 0, wait: 600, activity: { _ in "queued" }))
        #expect(again.columns[0].count == definition.runs.count)
        #expect(index.recordsRead == definition.runs.count)
        let fresh = RunIndex(definition: definition)
        #expect(try Self.answers(index, folder) == Self.answers(fresh, folder))
    }

    @Test func theIndexFile_AnswersAsTheRecordsDo_AndStaysOutOfTheArchive() throws {
        let (definition, folder) = try Self.sweep(assembled: true)
        defer { try? FileManager.default.removeItem(atPath: folder.path) }
        let path = RunIndexFile.path(in: folder)
        #expect(FileManager.default.fileExists(atPath: path))
        let fromFile = RunIndex(definition: definition)
        let viaFile = try Self.answers(fromFile, folder)
        #expect(fromFile.recordsRead == 0)
        // Pages are as the records say, statistic for statistic.
        let records = try runRecords(folder.path)
        let page = try #require(
            fromFile.page(RunQuery(), offset: 0, limit: 5000, folder: folder, interval: 0, activity: { _ in "queued" }))
        for run in page.runs {
            let record = try JSONParser.parse(try #require(records[run["run_id"]!.stringValue! + ".json"]))
            #expect(run["summary_stats"] == record["summary_stats"])
        }
        RunIndexFile.remove(from: folder)
        let fromRecords = RunIndex(definition: definition)
        #expect(try Self.answers(fromRecords, folder) == viaFile)
        #expect(fromRecords.recordsRead == definition.runs.count)
        // A file of another sweep, or cut short, is not taken.
        try Dataset.assemble(definition, in: folder, writesIndex: true)
        let whole = try Data(contentsOf: URL(fileURLWithPath: path))
        try whole.prefix(whole.count - 1).write(to: URL(fileURLWithPath: path))
        let cut = RunIndex(definition: definition)
        #expect(try Self.answers(cut, folder) == viaFile && cut.recordsRead == definition.runs.count)
        #expect(!Dataset.files(definition).contains(RunIndexFile.fileName))
    }

    @Test func theManifestWithoutRuns_IsTheManifestLessItsRuns() throws {
        let (_, folder) = try Self.sweep(assembled: true)
        defer { try? FileManager.default.removeItem(atPath: folder.path) }
        let manifestPath = folder.path + "/manifest.json"
        let full = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: manifestPath))))
        let bytes = try ManifestRuns.withoutRuns(path: manifestPath)
        let summary = try JSONParser.parse(bytes)
        #expect(summary.members?.map(\.key) == full.members?.map(\.key).filter { $0 != "runs" })
        for member in try #require(summary.members) { #expect(member.value == full[member.key]) }
        #expect(bytes.count < 64 * 1024)
        #expect(throws: FileError.self) { try ManifestRuns.withoutRuns(path: folder.path + "/runs.csv") }
    }
}
