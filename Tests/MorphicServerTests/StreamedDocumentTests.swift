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
}
