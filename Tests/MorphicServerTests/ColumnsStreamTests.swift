import Foundation
import Gzip
import HTTP
import MorphicData
import TestSupport
import Testing

@testable import MorphicServer

/// The explorer's columns are made as the client reads them, byte for byte what building
/// them whole gave, plain and gzip-coded, and a sweep that has ended answers a request
/// naming their tag with 304 before its runs index is read.
@Suite(.serialized) struct ColumnsStreamTests {
    /// The columns answer as it was built whole, before it was streamed.
    static func whole(total: Int, fields: [String], columns: [[Double]]) -> [UInt8] {
        var body = Array("{\"total\":\(total),\"matched\":\(columns.first?.count ?? 0),\"columns\":{".utf8)
        for (position, (name, column)) in zip(fields, columns).enumerated() {
            if position > 0 { body.append(UInt8(ascii: ",")) }
            body += JSON.string(name).compactBytes + Array(":[".utf8)
            for (row, value) in column.enumerated() {
                if row > 0 { body.append(UInt8(ascii: ",")) }
                body += SweepExplorer.number(value).utf8
            }
            body.append(UInt8(ascii: "]"))
        }
        body += Array("}}".utf8)
        return body
    }

    @Test func producedColumns_AreTheWholeAnswer_ForEveryShapeAndChunkSize() throws {
        let values: [Double] = [0, -0.0, 1, -7, 0.1, 1e-9, 3.25e14, 1e15, 2.5e300, .nan, .infinity, -.infinity, 42.5]
        for matched in [0, 1, 2047, 2048, 2049, 5000] {
            for fields in [["seed"], ["final_population", "avg_complexity", "seed"], (0..<16).map { "f\($0)" }] {
                let columns = fields.indices.map { field in
                    (0..<matched).map { values[($0 * 7 + field) % values.count] * Double($0 % 5 + 1) }
                }
                let document = StreamedDocument.columns(total: matched + 3, fields: fields, columns: columns, version: "v")
                let expected = Self.whole(total: matched + 3, fields: fields, columns: columns)
                #expect(document.bytes() == expected, "\(matched) runs, \(fields.count) fields")
                for chunk in [1, 7, 16 * 1024, 1 << 20] where chunk > 1 || matched <= 1 {
                    #expect(try StreamedDocumentTests.produced(document, chunk: chunk) == expected)
                }
                // What it keeps is its numbers, 8 bytes each, and a batch.
                #expect(document.producer().holding == fields.count * matched * 8 + StreamedDocument.batchBytes)
            }
        }
    }

    /// The body of a GET, ungzipped when it was coded.
    static func body(_ response: (status: Int, headers: [String: String], body: [UInt8])) throws -> [UInt8] {
        guard response.headers["content-encoding"] == "gzip" else { return response.body }
        var out: [UInt8] = []
        let reader = try GzipReader { out += $0 }
        try reader.write(response.body)
        #expect(reader.finished)
        return out
    }

    @Test func columnsOverHTTP_PlainAndGzip_AreTheSame_AndAnEndedSweepAnswers304BeforeReadingItsIndex() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        var server = try ServerProcess(dataDirectory: data)
        defer { server.kill() }
        let runs = 2500
        let id = HostileClientTests.id(
            try server.request("POST", "/api/sweeps", body: HostileClientTests.definition(name: "columns", runs: runs)))
        _ = try server.wait(for: id, status: "completed")
        var tags: [String: String] = [:]
        for fields in ["seed", "final_population,seed,avg_complexity", "seed,max_population,min_population,avg_population"] {
            for filter in ["", "&filter=seed%20%3E%3D%200"] {
                let path = "/api/sweeps/\(id)/columns?fields=\(fields)\(filter)"
                let plain = try server.request("GET", path)
                let coded = try server.request("GET", path, headers: ["Accept-Encoding": "gzip"])
                #expect(plain.status == 200 && coded.status == 200)
                #expect(plain.headers["transfer-encoding"] == "chunked" && coded.headers["content-encoding"] == "gzip")
                #expect(try Self.body(coded) == plain.body, "\(path): the same bytes either way")
                let document = try JSONParser.parse(plain.body)
                #expect(document["total"]?.intValue == runs && document["matched"]?.intValue == runs)
                let names = fields.split(separator: ",").map(String.init)
                for name in names { #expect(document["columns"]?[name]?.elements?.count == runs, "\(name)") }
                let tag = try #require(plain.headers["etag"])
                #expect(coded.headers["etag"] == String(tag.dropLast()) + "-gzip\"")
                tags[path] = tag
            }
        }
        #expect(Set(tags.values).count == tags.count, "each query has its own tag")
        // A new process, with no index read and what it would read moved away: the tags
        // stand, and a request naming one is answered 304 without the index.
        server.kill()
        let folder = data + "/sweeps/" + id
        let moved = ["runs-index.bin", "records"]
        for name in moved { try FileManager.default.moveItem(atPath: folder + "/" + name, toPath: folder + "/" + name + ".away") }
        server = try ServerProcess(dataDirectory: data)
        for (path, tag) in tags {
            for coding in [[:], ["Accept-Encoding": "gzip"]] {
                let answer = try server.request("GET", path, headers: coding.merging(["If-None-Match": tag]) { $1 })
                #expect(answer.status == 304 && answer.body.isEmpty, "\(path)")
                let expected = coding.isEmpty ? tag : String(tag.dropLast()) + "-gzip\""
                #expect(answer.headers["etag"] == expected)
            }
        }
        // Without them the columns cannot be made: the 304s did not need them.
        let path = tags.keys.sorted()[0]
        let unconditional = try server.request("GET", path)
        let matched = (try? JSONParser.parse(unconditional.body))?["matched"]?.intValue
        #expect(!(unconditional.status == 200 && matched == runs), "the index could not have been read")
        server.kill()
        for name in moved { try FileManager.default.moveItem(atPath: folder + "/" + name + ".away", toPath: folder + "/" + name) }
        server = try ServerProcess(dataDirectory: data)
        let again = try server.request("GET", path)
        #expect(again.status == 200 && again.headers["etag"] == tags[path], "the same tag once made again")
    }
}
