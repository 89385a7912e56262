import Foundation
import TestSupport
import Testing

/// The explorer's answers over HTTP: every finished run's columns, aggregates of a statistic
/// that agree with the runs query, the validation checks alone, and bad requests refused.
@Suite(.serialized) struct ExplorerTests {
    /// A 500 made from a damaged file names the file within the data directory, not where
    /// the server keeps it, however the path is written: a data directory with a space, a
    /// percent sign and a letter outside ASCII in its name.
    @Test func storageFailure_NamesItsFileWithinTheDataDirectory() throws {
        let base = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: base) }
        let data = base + "/data dir ä%20x"
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let server = try ServerProcess(dataDirectory: data)
        defer { server.kill() }
        let id = try RunsQueryTests.sweep(server)
        try Data("garbage".utf8).write(to: URL(fileURLWithPath: data + "/sweeps/\(id)/manifest.json"))
        let answer = try server.request("GET", "/api/sweeps/\(id)/manifest.json?runs=false")
        let body = String(decoding: answer.body, as: UTF8.self)
        #expect(answer.status == 500, "\(body)")
        #expect(body.contains("sweeps/\(id)/manifest.json"), "\(body)")
        for written in [base, base.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed)!, "data dir", "data%20dir"] {
            #expect(!body.contains(written), "\(written) in \(body)")
        }
    }

    @Test func columnsAndAggregates_CoverEveryFinishedRun_AndAgreeWithTheRunsQuery() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let server = try ServerProcess(dataDirectory: data)
        defer { server.kill() }
        let id = try RunsQueryTests.sweep(server)
        let morphic = RunsQueryTests.escaped("mode = morphic")

        let columns = try server.json("/api/sweeps/\(id)/columns?fields=field_strength,avg_population&filter=\(morphic)")
        #expect(columns["total"] as? Int == 11 && columns["matched"] as? Int == 6)
        let values = columns["columns"] as! [String: [Double]]
        #expect(values["field_strength"]!.sorted() == [0.2, 0.2, 0.5, 0.5, 0.9, 0.9])
        let page = try server.json("/api/sweeps/\(id)/runs?filter=\(morphic)&fields=avg_population&limit=100")
        let populations = (page["runs"] as! [[String: Any]]).map { ($0["summary_stats"] as! [String: Any])["avg_population"] as! Double }
        // Float precision: seven significant digits.
        for (column, run) in zip(values["avg_population"]!, populations) {
            #expect(abs(column - run) <= abs(run) * 1e-6)
        }

        let aggregate = try server.json("/api/sweeps/\(id)/aggregate?y=avg_population&x=field_strength&filter=\(morphic)")
        #expect(aggregate["swept"] as? [String] == ["field_strength"] && aggregate["runs"] as? Int == 6)
        let series = aggregate["series"] as! [[String: Any]]
        let points = series[0]["points"] as! [[String: Any]]
        #expect(series.count == 1 && points.map { $0["x"] as! Double } == [0.2, 0.5, 0.9])
        for point in points {
            let x = point["x"] as! Double
            let at = zip(values["field_strength"]!, populations).filter { $0.0 == x }.map(\.1)
            let mean = at.reduce(0, +) / Double(at.count)
            let quantiles = point["quantiles"] as! [Double]
            #expect(point["n"] as? Int == 2 && abs((point["mean"] as! Double) - mean) < 1e-9)
            #expect(quantiles.first == at.min() && quantiles.last == at.max())
            // Two replicates: t = 12.706 with one degree of freedom.
            let half = 12.706 * abs(at[0] - at[1]) / 2.0.squareRoot() / 2.0.squareRoot()
            #expect(abs((point["high"] as! Double) - (mean + half)) < 1e-6)
        }

        // Importance: field strength's η² over the runs where it acts, as defined. The five
        // controls match no filter here, yet are not counted: field strength does not act in them.
        let importance = try server.json("/api/sweeps/\(id)/importance?y=avg_population")
        let shares = importance["parameters"] as! [[String: Any]]
        #expect(importance["method"] as? String == "eta_squared" && importance["matched"] as? Int == 11)
        #expect(shares.map { $0["name"] as! String } == ["field_strength"] && shares[0]["groups"] as? Int == 3)
        #expect(shares[0]["runs"] as? Int == 6 && shares[0]["acts_where"] as? String == "mode != classical")
        #expect(shares[0]["reason"] is NSNull)
        // Asking for the field runs alone changes nothing but the count matched.
        var filtered = try server.json("/api/sweeps/\(id)/importance?y=avg_population&filter=\(morphic)")
        #expect(filtered["matched"] as? Int == 6)
        filtered["matched"] = 11
        #expect(NSDictionary(dictionary: filtered).isEqual(to: importance))
        let grand = populations.reduce(0, +) / 6
        let total = populations.reduce(0) { $0 + ($1 - grand) * ($1 - grand) }
        let between = points.reduce(0.0) { sum, point in
            let mean = point["mean"] as! Double
            return sum + 2 * (mean - grand) * (mean - grand)
        }
        #expect(abs((shares[0]["explained"] as! Double) - between / total) < 1e-9)
        // Nothing to explain, or nowhere it acts: undefined, with the reason, not 0.
        let flat = try server.json("/api/sweeps/\(id)/importance?y=generations")
        let flatShare = (flat["parameters"] as! [[String: Any]])[0]
        #expect(flatShare["explained"] is NSNull && flatShare["runs"] as? Int == 6)
        #expect(flatShare["reason"] as? String == "generations is the same in all 6 runs where field_strength acts")
        let controls = try server.json("/api/sweeps/\(id)/importance?y=avg_population&filter=\(RunsQueryTests.escaped("mode = classical"))")
        let controlShare = (controls["parameters"] as! [[String: Any]])[0]
        #expect(controls["matched"] as? Int == 5 && controlShare["explained"] is NSNull && controlShare["runs"] as? Int == 0)
        #expect((controlShare["reason"] as? String)?.contains("field_strength acts") == true)

        let validation = try server.json("/api/sweeps/\(id)/validation")
        let manifest = try server.json("/api/sweeps/\(id)/manifest.json")
        let checks = (validation["validation"] as! [String: Any]).keys.sorted()
        #expect(!checks.isEmpty && checks == (manifest["validation"] as! [String: Any]).keys.sorted())
        // The runs planned in each split, as the manifest counts them: the page tells from
        // these a sweep too small to be a reference.
        let splits = (manifest["counts"] as! [String: Any])["by_split"] as! [String: Any]
        #expect(NSDictionary(dictionary: validation["splits"] as! [String: Any]).isEqual(to: splits))
        // The manifest without its per-run part: the rest as it is.
        var expected = manifest
        expected["runs"] = nil
        let summary = try server.json("/api/sweeps/\(id)/manifest.json?runs=false")
        #expect(NSDictionary(dictionary: summary).isEqual(to: expected) && (manifest["runs"] as? [Any])?.count == 11)
        #expect(NSDictionary(dictionary: try server.json("/api/sweeps/\(id)/manifest.json?runs=true")).isEqual(to: manifest))

        // After a restart the index is read from the sweep's index file, and answers the same.
        let queries = [
            "runs?sort=-avg_population&limit=100", "runs?filter=\(morphic)&sort=stability_score&limit=4&offset=1",
            "runs.csv?sort=-max_influence_rate", "columns?fields=avg_influence_rate,field_strength&filter=\(morphic)",
            "aggregate?y=avg_population&x=field_strength",
        ]
        let before = try queries.map { try server.request("GET", "/api/sweeps/\(id)/\($0)").body }
        #expect(FileManager.default.fileExists(atPath: data + "/sweeps/\(id)/runs-index.bin"))
        server.kill()
        let restarted = try ServerProcess(dataDirectory: data)
        defer { restarted.kill() }
        #expect(try queries.map { try restarted.request("GET", "/api/sweeps/\(id)/\($0)").body } == before)
    }

    @Test func badExplorerRequests_Get400NamingTheParameter() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let server = try ServerProcess(dataDirectory: data)
        defer { server.kill() }
        let id = try RunsQueryTests.sweep(server)
        let many = Array(repeating: "seed", count: 17).joined(separator: ",")
        for (path, field) in [
            ("columns", "fields"), ("columns?fields=", "fields"), ("columns?fields=shoe_size", "fields"),
            ("columns?fields=\(many)", "fields"), ("columns?fields=rule", "fields"),
            ("columns?fields=seed,,avg_population", "fields"), ("columns?fields=,", "fields"),
            ("columns?fields=seed,avg_population,seed", "fields"), ("runs?fields=,,,", "fields"),
            ("runs?fields=seed,", "fields"), ("runs.csv?fields=,seed", "fields"),
            ("columns?fields=seed&filter=\(RunsQueryTests.escaped("colour = red"))", "filter"),
            ("aggregate", "y"), ("aggregate?y=shoe_size", "y"), ("aggregate?y=avg_population&x=mode", "x"),
            ("aggregate?y=avg_population&by=shoe_size", "by"), ("aggregate?y=avg_population&series=0", "series"),
            ("aggregate?y=avg_population&series=41", "series"), ("aggregate?y=avg_population&series=many", "series"),
            ("importance", "y"), ("importance?y=shoe_size", "y"), ("importance?y=rule", "y"),
            ("importance?y=avg_population&x=field_strength", "x"),
            ("importance?y=avg_population&filter=\(RunsQueryTests.escaped("colour = red"))", "filter"),
        ] {
            let response = try server.request("GET", "/api/sweeps/\(id)/\(path)")
            let error = (try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])?["error"] as? [String: Any]
            #expect(response.status == 400 && error?["field"] as? String == field, "\(path)")
        }
        let runs = try server.request("GET", "/api/sweeps/\(id)/manifest.json?runs=some")
        let runsError = (try JSONSerialization.jsonObject(with: Data(runs.body)) as? [String: Any])?["error"] as? [String: Any]
        #expect(runs.status == 400 && runsError?["field"] as? String == "runs")
        #expect(try server.request("GET", "/api/sweeps/nope-0000000000000000/columns?fields=seed").status == 404)
        #expect(try server.request("POST", "/api/sweeps/\(id)/aggregate?y=avg_population").status == 405)
        #expect(try server.request("GET", "/api/sweeps/nope-0000000000000000/importance?y=avg_population").status == 404)
        #expect(try server.request("POST", "/api/sweeps/\(id)/importance?y=avg_population").status == 405)
    }
}
