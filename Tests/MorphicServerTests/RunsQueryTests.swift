import Foundation
import TestSupport
import Testing

/// The runs query over HTTP, its CSV export, and conditional requests.
@Suite(.serialized) struct RunsQueryTests {
    static func sweep(_ server: ServerProcess) throws -> String {
        let definition = #"""
            {"name": "query", "defaults": {"grid_size": 12, "generations": 30},
             "groups": [{"prefix": "control", "mode": "classical", "replicates": 5},
                        {"prefix": "m", "grid": {"field_strength": [0.2, 0.5, 0.9]}, "replicates": 2}]}
            """#
        let response = try server.request("POST", "/api/sweeps", body: Array(definition.utf8))
        let id = ((try JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any])?["id"] as? String ?? ""
        _ = try server.wait(for: id, status: "completed")
        return id
    }

    static func escaped(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text
    }

    @Test func runsQuery_FiltersSortsAndExports() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let server = try ServerProcess(dataDirectory: data)
        defer { server.kill() }
        let id = try Self.sweep(server)
        let page = try server.json(
            "/api/sweeps/\(id)/runs?filter=\(Self.escaped("mode = morphic"))&sort=-avg_population&fields=field_strength,avg_population&limit=4")
        #expect(page["total"] as? Int == 11 && page["matched"] as? Int == 6)
        let runs = page["runs"] as! [[String: Any]]
        let values = runs.map { ($0["summary_stats"] as! [String: Any])["avg_population"] as! Double }
        #expect(runs.count == 4 && values == values.sorted(by: >))
        #expect((runs[0]["config"] as! [String: Any]).keys.sorted() == ["field_strength"])
        // The swept parameters come with every page, whatever its filter and fields, as the
        // aggregate answer gives them: a table shows them from its first rows, even the first
        // five controls', before any aggregate has read every record.
        let controls = try server.json("/api/sweeps/\(id)/runs?limit=5")
        #expect((controls["runs"] as! [[String: Any]]).allSatisfy { $0["mode"] as? String == "classical" })
        let aggregate = try server.json("/api/sweeps/\(id)/aggregate?y=avg_population&x=field_strength")
        #expect(controls["swept"] as? [String] == ["field_strength"])
        #expect(page["swept"] as? [String] == aggregate["swept"] as? [String])

        let bad = try server.request("GET", "/api/sweeps/\(id)/runs?filter=\(Self.escaped("colour = red"))")
        #expect(bad.status == 400)
        let error = (try JSONSerialization.jsonObject(with: Data(bad.body)) as! [String: Any])["error"] as! [String: Any]
        #expect(error["field"] as? String == "filter" && (error["message"] as? String)?.contains("colour") == true)
        #expect(try server.request("GET", "/api/sweeps/\(id)/runs?sort=shoe_size").status == 400)

        let csv = try server.request("GET", "/api/sweeps/\(id)/runs.csv?filter=\(Self.escaped("label = control"))")
        #expect(csv.status == 200 && csv.headers["content-type"]?.hasPrefix("text/csv") == true)
        let lines = String(decoding: csv.body, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 6 && lines[0].hasPrefix("run_id,mode,status,"))
        // The export pages as /runs does: the same rows, in the same order, for every window.
        let sorted = "filter=\(Self.escaped("mode = morphic"))&sort=-avg_population"
        let all = String(decoding: try server.request("GET", "/api/sweeps/\(id)/runs.csv?\(sorted)").body, as: UTF8.self)
            .split(separator: "\n").dropFirst().map { String($0.prefix { $0 != "," }) }
        #expect(all.count == 6)
        for (offset, limit) in [(0, 1), (2, 3), (5, 10), (6, 1), (1_000_000_000, 5)] {
            let window = "\(sorted)&offset=\(offset)&limit=\(limit)"
            let rows = String(decoding: try server.request("GET", "/api/sweeps/\(id)/runs.csv?\(window)").body, as: UTF8.self)
                .split(separator: "\n")
            #expect(rows.first?.hasPrefix("run_id,") == true)
            let ids = rows.dropFirst().map { String($0.prefix { $0 != "," }) }
            let expected = Array(all.dropFirst(min(offset, all.count)).prefix(limit))
            let paged = (try server.json("/api/sweeps/\(id)/runs?\(window)")["runs"] as! [[String: Any]]).map { $0["run_id"] as! String }
            #expect(ids == expected && paged == expected, "offset \(offset), limit \(limit)")
        }
        for (name, value) in [
            ("offset", "1180591620717411303424"), ("offset", "-1"), ("offset", "1000000001"), ("limit", "abc"), ("limit", "0"),
            ("limit", ""), ("offset", "1e3"),
        ] {
            let refused = try server.request("GET", "/api/sweeps/\(id)/runs.csv?\(name)=\(value)")
            #expect(refused.status == 400, "\(name)=\(value)")
            let error = (try JSONSerialization.jsonObject(with: Data(refused.body)) as? [String: Any])?["error"] as? [String: Any]
            #expect(error?["field"] as? String == name, "\(name)=\(value)")
        }
    }

    @Test func unchangedAnswers_Get304_ForTheirEntityTag_InEitherCoding() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let server = try ServerProcess(dataDirectory: data)
        defer { server.kill() }
        let id = try Self.sweep(server)
        for path in ["/api/sweeps/\(id)", "/api/sweeps", "/api/sweeps/\(id)/runs?limit=5", "/js/main.js", "/api/sweeps/\(id)/manifest.json"] {
            for coding in ["identity", "gzip"] {
                let first = try server.request("GET", path, headers: ["Accept-Encoding": coding])
                let tag = try #require(first.headers["etag"], "\(path)")
                #expect(tag.hasPrefix("\"") && tag.hasSuffix(coding == "gzip" && first.headers["content-encoding"] == "gzip" ? "-gzip\"" : "\""))
                let again = try server.request("GET", path, headers: ["Accept-Encoding": coding, "If-None-Match": tag])
                #expect(again.status == 304 && again.body.isEmpty, "\(path) \(coding)")
                let other = try server.request("GET", path, headers: ["Accept-Encoding": coding, "If-None-Match": "\"0\""])
                #expect(other.status == 200)
            }
        }
        // A change changes the tag.
        let before = try server.request("GET", "/api/sweeps").headers["etag"]
        let response = try server.request(
            "POST", "/api/sweeps", body: Array(#"{"name": "another", "groups": [{"prefix": "a", "mode": "classical"}], "defaults": {"grid_size": 5, "generations": 2}}"#.utf8))
        #expect(response.status == 202)
        #expect(try server.request("GET", "/api/sweeps").headers["etag"] != before)
    }
}
