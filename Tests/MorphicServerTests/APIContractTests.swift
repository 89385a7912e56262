import Foundation
import TestSupport
import Testing

/// Points of the API where the answer used to differ from the contract: the seed column,
/// entity tags of gzip answers, ambiguous queries and filters, preconditions on changes,
/// and bodies sent where none is taken.
@Suite(.serialized) struct APIContractTests {
    static func error(_ response: (status: Int, headers: [String: String], body: [UInt8])) -> [String: Any] {
        HostileClientTests.error(response)
    }

    @Test func seedColumn_IsEachRunsConfigSeed_InTheQueryAndTheCSV() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let server = try ServerProcess(dataDirectory: data)
        defer { server.kill() }
        let id = try RunsQueryTests.sweep(server)
        let all = try server.json("/api/sweeps/\(id)/runs?filter=\(RunsQueryTests.escaped("seed >= 0"))&fields=seed")
        #expect(all["matched"] as? Int == 11, "seed >= 0 matches every run")
        let rows = all["runs"] as! [[String: Any]]
        var seeds: [String: String] = [:]
        for row in rows {
            let run = row["run_id"] as! String
            let record = try server.json("/api/sweeps/\(id)/runs/\(run)")
            let recorded = (record["config"] as! [String: Any])["seed"] as! NSNumber
            let shown = (row["config"] as! [String: Any])["seed"] as? NSNumber
            #expect(shown?.uint64Value == recorded.uint64Value, "\(run): the page shows the record's seed")
            seeds[run] = recorded.stringValue
        }
        let csv = String(decoding: try server.request("GET", "/api/sweeps/\(id)/runs.csv?fields=seed").body, as: UTF8.self)
        let lines = csv.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        let column = try #require(lines[0].firstIndex(of: "seed"))
        #expect(lines.count == 12)
        for line in lines.dropFirst() { #expect(String(line[column]) == seeds[String(line[0])], "\(line[0])") }
        // One exact seed selects its run.
        let first = rows[0]["run_id"] as! String
        let one = try server.json("/api/sweeps/\(id)/runs?filter=\(RunsQueryTests.escaped("seed = \(seeds[first]!)"))")
        #expect((one["runs"] as? [[String: Any]])?.contains { $0["run_id"] as? String == first } == true)
    }

    @Test func notModified_ToAGzipRequest_CarriesTheGzipTag_AndEitherTagMatches() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let server = try ServerProcess(dataDirectory: data)
        defer { server.kill() }
        let id = try RunsQueryTests.sweep(server)
        let paths = [
            "/api/sweeps/\(id)/runs?limit=5", "/api/sweeps/\(id)/runs/m_1", "/js/main.js", "/api/sweeps/\(id)/manifest.json",
            "/api/sweeps/\(id)/runs/m_5/frames?to=10", "/api/sweeps/\(id)/runs.csv",
        ]
        for path in paths {
            let identity = try server.request("GET", path)
            let gzip = try server.request("GET", path, headers: ["Accept-Encoding": "gzip"])
            #expect(gzip.headers["content-encoding"] == "gzip", "\(path) is sent gzip-coded")
            let plain = try #require(identity.headers["etag"])
            let coded = try #require(gzip.headers["etag"])
            #expect(coded == String(plain.dropLast()) + "-gzip\"", "\(path): \(plain) and \(coded)")
            for sent in [plain, coded, "W/" + coded, "\"0\", " + plain] {
                let again = try server.request("GET", path, headers: ["Accept-Encoding": "gzip", "If-None-Match": sent])
                #expect(again.status == 304 && again.headers["etag"] == coded, "\(path) gzip, sent \(sent)")
                let bare = try server.request("GET", path, headers: ["If-None-Match": sent])
                #expect(bare.status == 304 && bare.headers["etag"] == plain, "\(path) identity, sent \(sent)")
            }
        }
    }

    @Test func ambiguousQueries_AreRefusedNamingTheParameter() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let server = try ServerProcess(dataDirectory: data)
        defer { server.kill() }
        let id = try RunsQueryTests.sweep(server)
        for (query, field) in [
            ("limit=1&limit=2", "limit"), ("offset=0&offset=0", "offset"), ("filter=a&filter=b", "filter"),
            ("sort=seed&fields=seed&sort=-seed", "sort"), ("x=1&x=1", "x"),
        ] {
            let response = try server.request("GET", "/api/sweeps/\(id)/runs?\(query)")
            #expect(response.status == 400 && Self.error(response)["field"] as? String == field, "\(query)")
        }
        let frames = try server.request("GET", "/api/sweeps/\(id)/runs/m_1/frames?to=3&to=4")
        #expect(frames.status == 400 && Self.error(frames)["field"] as? String == "to")
        for filter in [
            "mode = morphic or mode = classical", "mode == morphic", "field_strength == 0.5", "mode = morphic AND seed > 0",
            "run_id = m_1 || run_id = m_2", "seed >= 0 OR seed < 0", "mode = = morphic", "mode = morphic = classical",
        ] {
            let response = try server.request("GET", "/api/sweeps/\(id)/runs?filter=\(RunsQueryTests.escaped(filter))")
            let error = Self.error(response)
            #expect(response.status == 400 && error["field"] as? String == "filter", "\(filter)")
            #expect((error["message"] as? String)?.isEmpty == false)
        }
        let quoted = try server.json("/api/sweeps/\(id)/runs?filter=\(RunsQueryTests.escaped("mode = 'a or b'"))")
        #expect(quoted["matched"] as? Int == 0, "a quoted value may hold any words")
    }

    @Test func changes_HonourIfNoneMatchStar_AndRefuseBodiesTheyDoNotTake() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let server = try ServerProcess(dataDirectory: data)
        defer { server.kill() }
        let definition = HostileClientTests.definition(name: "precondition", runs: 2)
        for field in ["*", " *", "\"x\", *"] {
            let response = try server.request("POST", "/api/sweeps", body: definition, headers: ["If-None-Match": field])
            #expect(response.status == 412, "If-None-Match: \(field)")
        }
        // Two Content-Type fields are not guessed between, whichever comes first.
        for pair in [("application/json", "text/plain"), ("text/plain", "application/json"), ("application/json", "application/json")] {
            let doubled = try server.request(
                "POST", "/api/sweeps", body: definition, headers: ["Content-Type": pair.0, "content-type": pair.1])
            #expect(doubled.status == 400, "Content-Type \(pair)")
        }
        #expect(try server.json("/api/sweeps")["total"] as? Int == 0, "a failed precondition changed nothing")
        let id = HostileClientTests.id(try server.request("POST", "/api/sweeps", body: definition))
        _ = try server.wait(for: id, status: "completed")
        for path in ["/api/sweeps/\(id)/cancel", "/api/sweeps/\(id)/retry"] {
            #expect(try server.request("POST", path, headers: ["If-None-Match": "*"]).status == 412)
            for (body, type) in [("stop", "text/plain"), ("{}", "text/plain"), ("a=b", "application/x-www-form-urlencoded"), ("{}", "application/json")] {
                let response = try server.request("POST", path, body: Array(body.utf8), headers: ["Content-Type": type])
                #expect(response.status == 415, "\(path) with \(type) '\(body)'")
            }
        }
        #expect(try server.request("DELETE", "/api/sweeps/\(id)", headers: ["If-None-Match": "*"]).status == 412)
        #expect(try server.request("DELETE", "/api/sweeps/\(id)", body: Array("x".utf8), headers: ["Content-Type": "text/plain"]).status == 415)
        // Empty is what the page and curl send.
        #expect(try server.request("POST", "/api/sweeps/\(id)/cancel").status == 409, "finished: nothing to cancel")
        #expect(try server.request("POST", "/api/sweeps/\(id)/cancel", body: []).status == 409)
        // An empty body labelled as a form, as Python's urllib sends it, is still empty.
        let form = ["Content-Type": "application/x-www-form-urlencoded"]
        #expect(try server.request("POST", "/api/sweeps/\(id)/cancel", body: [], headers: form).status == 409)
        #expect(try server.request("DELETE", "/api/sweeps/\(id)").status == 204)
        // A sweep that does not exist is not found, whatever the condition says.
        for (method, path) in [
            ("DELETE", "/api/sweeps/\(id)"), ("DELETE", "/api/sweeps/never"), ("POST", "/api/sweeps/\(id)/cancel"),
            ("POST", "/api/sweeps/never/retry"),
        ] {
            #expect(try server.request(method, path, headers: ["If-None-Match": "*"]).status == 404, "\(method) \(path)")
        }
    }
}
