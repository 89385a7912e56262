import Foundation
import HTTP
import MorphicData
@testable import MorphicServer
import TestSupport
import Testing

/// Runs pages and `runs.csv` made a chunk at a time are byte for byte what building them
/// whole gives, for any chunk size, and their tag names what they are made of: the same
/// while nothing changed, another for another query or page.
@Suite struct StreamedDocumentTests {
    static func produced(_ document: StreamedDocument, chunk: Int) throws -> [UInt8] {
        let producer = document.producer()
        var out: [UInt8] = []
        while true {
            let piece = try producer.next(maximum: chunk)
            if piece.isEmpty { return out }
            #expect(piece.count <= chunk)
            out += piece
        }
    }

    @Test func producedAnswers_AreTheWholeAnswers_InAnyChunkSize() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        var configuration = ServerConfiguration()
        configuration.dataDirectory = data
        let service = try JobService(configuration: configuration, log: Log(destination: nil))
        defer { service.shutdown() }
        let submitted = try service.submit(
            Array(
                #"""
                {"name": "pages", "defaults": {"grid_size": 6, "generations": 3},
                 "groups": [{"prefix": "m", "mode": "morphic", "replicates": 30}, {"prefix": "c", "mode": "classical", "replicates": 25}]}
                """#.utf8))
        let id = submitted.status["id"]!.stringValue!
        let deadline = Date().addingTimeInterval(120)
        while try service.status(id)["status"] != .string("completed") && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(try service.status(id)["status"] == .string("completed"))
        let queries = [
            RunQuery(), try RunQuery(filter: "label = control", sort: "-final_population", fields: "final_population,seed"),
            try RunQuery(filter: "final_population > 1000000", sort: nil, fields: nil),
        ]
        var tags: Set<String> = []
        for (number, query) in queries.enumerated() {
            for (offset, limit) in [(0, 1000), (3, 7), (0, 1), (40, 100), (500, 10)] {
                let whole = try service.runs(id, query: query, offset: offset, limit: limit).prettyBytes
                let document = try service.runsDocument(id, query: query, offset: offset, limit: limit)
                for chunk in [1, 97, 16 * 1024, 1 << 20] {
                    #expect(try Self.produced(document, chunk: chunk) == whole, "\(query) \(offset) \(limit) by \(chunk)")
                }
                let target = "/runs?q=\(number)&offset=\(offset)&limit=\(limit)"
                let again = try service.runsDocument(id, query: query, offset: offset, limit: limit)
                #expect(again.tag(target: target) == document.tag(target: target), "unchanged, the same tag")
                tags.insert(document.tag(target: target))
            }
            for (offset, limit) in [(0, Int.max), (2, 5), (60, 1)] {
                let csv = try service.runsCSV(id, query: query, offset: offset, limit: limit)
                let document = try service.runsCSVDocument(id, query: query, offset: offset, limit: limit)
                for chunk in [1, 1000, 16 * 1024] { #expect(try Self.produced(document, chunk: chunk) == csv) }
            }
        }
        #expect(tags.count == queries.count * 5, "each query and page has its own tag")
    }

    /// The tags of a runs page, a filtered and sorted page, the export and a query on the run
    /// map's columns, as `service` gives them now.
    static func tags(_ service: JobService, _ id: String) throws -> [String] {
        let sorted = try RunQuery(filter: "final_population >= 0", sort: "-final_population", fields: "seed,final_population")
        return [
            try service.runsDocument(id, query: RunQuery(), offset: 0, limit: 100).tag(target: "/a"),
            try service.runsDocument(id, query: sorted, offset: 2, limit: 5).tag(target: "/b"),
            try service.runsCSVDocument(id, query: RunQuery()).tag(target: "/c"),
        ]
    }

    static func wait(_ service: JobService, _ id: String, for wanted: Set<String>) throws -> String {
        let deadline = Date().addingTimeInterval(300)
        while Date() < deadline {
            let status = try service.status(id)["status"]?.stringValue ?? ""
            if wanted.contains(status) { return status }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return try service.status(id)["status"]?.stringValue ?? ""
    }

    @Test func endedSweepsTags_OutliveARestart_WhileARunningSweepsTagFollowsItsRuns() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        var configuration = ServerConfiguration()
        configuration.dataDirectory = data
        configuration.workers = 1
        var service = try JobService(configuration: configuration, log: Log(destination: nil))
        // Long enough runs that the sweep is seen running with some of them finished.
        let running = try service.submit(
            Array(
                #"""
                {"name": "tags", "defaults": {"grid_size": 64, "generations": 800},
                 "groups": [{"prefix": "r", "mode": "classical", "replicates": 12}]}
                """#.utf8)
        ).status["id"]!.stringValue!
        var seen: [Int: [String]] = [:]
        let deadline = Date().addingTimeInterval(300)
        while try service.status(running)["status"]?.stringValue != "completed" && Date() < deadline {
            let before = try service.status(running)["progress"]?["runs_completed"]?.intValue ?? -1
            let tags = try Self.tags(service, running)
            let after = try service.status(running)["progress"]?["runs_completed"]?.intValue ?? -2
            let state = try service.status(running)["status"]?.stringValue
            if before == after && state == "running" {
                seen[before] = seen[before] ?? tags
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        try #require(try service.status(running)["status"]?.stringValue == "completed")
        #expect(seen.count >= 2, "the sweep was seen running at several counts of finished runs: \(seen.keys.sorted())")
        let distinct = Set(seen.values.map { $0[0] })
        #expect(distinct.count == seen.count, "each count of finished runs had its own tag")
        let completed = try Self.tags(service, running)
        #expect(!distinct.contains(completed[0]), "the ended sweep's tag is none of the running one's")
        #expect(try Self.tags(service, running) == completed, "unchanged, the same tags")
        let pages = try service.runsDocument(running, query: RunQuery(), offset: 0, limit: 100).bytes()

        // A sweep cancelled part-way has ended too.
        let stopped = try service.submit(
            Array(
                #"""
                {"name": "stopped", "defaults": {"grid_size": 48, "generations": 300},
                 "groups": [{"prefix": "s", "mode": "classical", "replicates": 200}]}
                """#.utf8)
        ).status["id"]!.stringValue!
        while try (service.status(stopped)["progress"]?["runs_completed"]?.intValue ?? 0) < 2 && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        _ = try service.cancel(stopped)
        #expect(try Self.wait(service, stopped, for: ["cancelled"]) == "cancelled")
        // Its group under way stops at its next step; until then a run may still finish.
        while try !service.runsCSVDocument(stopped, query: RunQuery()).version.hasPrefix("ended/") && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        let cancelled = try Self.tags(service, stopped)

        // The same data directory, a new process's service: the same tags, the same bytes.
        service.shutdown()
        service = try JobService(configuration: configuration, log: Log(destination: nil))
        defer { service.shutdown() }
        #expect(try Self.tags(service, running) == completed, "a completed sweep's tags after a restart")
        #expect(try Self.tags(service, stopped) == cancelled, "a cancelled sweep's tags after a restart")
        #expect(try service.runsDocument(running, query: RunQuery(), offset: 0, limit: 100).bytes() == pages)
        // Another query, another tag.
        #expect(Set(completed).count == completed.count && Set(cancelled).isDisjoint(with: completed))
    }

    @Test func conditionalRequestsAfterARestart_Are304_WithTheSameTags() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        var server = try ServerProcess(dataDirectory: data)
        let id = HostileClientTests.id(
            try server.request("POST", "/api/sweeps", body: HostileClientTests.definition(name: "restart", runs: 40)))
        _ = try server.wait(for: id, status: "completed")
        let paths = [
            "/api/sweeps/\(id)/runs?limit=10&sort=-final_population", "/api/sweeps/\(id)/runs?offset=5&limit=3",
            "/api/sweeps/\(id)/runs.csv",
        ]
        // Each path's tag, and that of its gzip coding.
        var tags: [String: (plain: String, coded: String)] = [:]
        for path in paths {
            let plain = try server.request("GET", path)
            let coded = try server.request("GET", path, headers: ["Accept-Encoding": "gzip"])
            try #require(plain.status == 200 && coded.status == 200)
            tags[path] = (plain.headers["etag"] ?? "", coded.headers["etag"] ?? "")
        }
        #expect(server.terminate() == 0)
        server = try ServerProcess(dataDirectory: data)
        defer { server.kill() }
        for path in paths {
            let (plain, coded) = tags[path]!
            let again = try server.request("GET", path)
            #expect(again.status == 200 && again.headers["etag"] == plain, "\(path): the same tag after a restart")
            let cached = try server.request("GET", path, headers: ["If-None-Match": plain])
            #expect(cached.status == 304 && cached.body.isEmpty, "\(path): a cached copy is still good")
            let cachedCoded = try server.request(
                "GET", path, headers: ["If-None-Match": coded, "Accept-Encoding": "gzip"])
            #expect(cachedCoded.status == 304 && cachedCoded.headers["etag"] == coded, "\(path), gzip-coded")
        }
    }
}
