import Foundation
import TestSupport
import Testing

/// Posteriors from a reference sweep built here, small but real: its calibration holds,
/// its answers are the same twice, after a restart and from the command line, and bad
/// input is refused naming the problem.
@Suite(.serialized) struct InferenceTests {
    /// Controls draw the same parameters as field runs (they have no effect on a classical
    /// run), so each control is its own parameter point and the controls spread over the
    /// splits like the field runs.
    static let reference = """
        {"name": "reference", "seed": 11, "defaults": {"generations": 40, "grid_size": 16},
         "groups": [
          {"prefix": "control", "mode": "classical",
           "sample": {"count": 250, "method": "random", "params": {"temporal_decay": {"uniform": [0.0, 0.5]}}}},
          {"prefix": "morphic", "mode": "morphic", "params": {"crystal_count": 5},
           "sample": {"count": 750, "method": "latin_hypercube",
                      "params": {"field_strength": {"uniform": [0.05, 1.0]}, "temporal_decay": {"uniform": [0.0, 0.5]},
                                 "similarity_threshold": {"uniform": [0.5, 0.9]}}}}]}
        """

    func morphic(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try execute(ServerProcess.executable, arguments)
    }

    func submit(_ server: ServerProcess, _ definition: String) throws -> String {
        let response = try server.request("POST", "/api/sweeps", body: Array(definition.utf8))
        let json = try JSONSerialization.jsonObject(with: Data(response.body)) as! [String: Any]
        let id = json["id"] as! String
        _ = try server.wait(for: id, status: "completed", timeout: 300)
        return id
    }

    /// Polls a route that answers 202 while the reference trains.
    func trained(_ server: ServerProcess, _ method: String, _ path: String, body: [UInt8]? = nil) throws -> (
        status: Int, body: [UInt8]
    ) {
        let deadline = Date().addingTimeInterval(120)
        while true {
            let response = try server.request(method, path, body: body)
            if response.status != 202 || Date() > deadline { return (response.status, response.body) }
            #expect(response.headers["location"] == path.replacingOccurrences(of: "/posterior", with: "/calibration"))
            Thread.sleep(forTimeInterval: 0.2)
        }
    }

    /// A figure as the card prints it: three decimals.
    static func figure(_ value: Double) -> String { String((value * 1000).rounded() / 1000) }

    static func object(_ bytes: [UInt8]) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] ?? [:]
    }

    @Test func reference_IsCalibrated_Deterministic_AndTheSameOverHTTPAndTheCommandLine() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        var server = try ServerProcess(dataDirectory: data)
        let id = try submit(server, Self.reference)
        let folder = data + "/sweeps/" + id

        // Calibration: every central interval holds its nominal coverage on the test split,
        // within 0.05 plus two binomial standard errors of the test runs there are.
        // Trained already while its dataset was assembled (for its card): no 202 first.
        let calibration = try server.request("GET", "/api/sweeps/\(id)/calibration")
        #expect(calibration.status == 200)
        let figures = try Self.object(calibration.body)
        let parameters = try #require(figures["parameters"] as? [String: [String: Any]])
        #expect(Set(parameters.keys) == ["field_strength", "temporal_decay", "similarity_threshold"])
        for (name, parameter) in parameters {
            let runs = Double(parameter["test_runs"] as! Int)
            #expect(runs >= 40, "\(name)")
            let coverage = parameter["coverage"] as! [String: Double]
            for (level, nominal) in [("0.5", 0.5), ("0.8", 0.8), ("0.95", 0.95)] {
                let tolerance = 0.05 + 2 * (nominal * (1 - nominal) / runs).squareRoot()
                let value = try #require(coverage[level])
                #expect(abs(value - nominal) <= tolerance, "\(name) \(level): \(value) of \(runs) runs")
            }
            #expect((parameter["median_mae"] as! Double) <= (parameter["constant_mae"] as! Double), "\(name)")
        }
        let field = try #require(figures["p_field"] as? [String: Any])
        // Tiny grids show a field faintly; chance is 0.5.
        #expect((field["roc_auc"] as! Double) > 0.65)

        // The card, in the folder and in the archive, reports the same figures.
        let card = try String(contentsOfFile: folder + "/DATASET.md", encoding: .utf8)
        #expect(try shell("tar xzOf '\(folder)/dataset.tar.gz' \(id)/DATASET.md") == card)
        #expect(card.contains("## Calibration as a reference\n"))
        for (name, parameter) in parameters {
            let coverage = parameter["coverage"] as! [String: Double]
            let row = [
                name, String(parameter["test_runs"] as! Int), Self.figure(coverage["0.5"]!),
                Self.figure(coverage["0.8"]!), Self.figure(coverage["0.95"]!),
                Self.figure(parameter["median_mae"] as! Double), Self.figure(parameter["constant_mae"] as! Double),
            ]
            #expect(card.contains("\n| " + row.joined(separator: " | ") + " |\n"), "\(name) in the card")
        }
        #expect(
            card.contains(
                "ROC AUC \(Self.figure(field["roc_auc"] as! Double)), false-positive rate \(Self.figure(field["false_positive_rate"] as! Double)) and true-positive rate \(Self.figure(field["true_positive_rate"] as! Double)) at 0.5"
            ))
        // The same definition swept from the command line gives the same archive, card included.
        try Self.reference.write(toFile: data + "/reference.json", atomically: true, encoding: .utf8)
        #expect(try morphic(["sweep", data + "/reference.json", "--output", data + "/cli", "--quiet"]).status == 0)
        #expect(
            try Data(contentsOf: URL(fileURLWithPath: data + "/cli/dataset.tar.gz"))
                == Data(contentsOf: URL(fileURLWithPath: folder + "/dataset.tar.gz")))

        // The same run from the server, twice, as a run of this sweep and as its record.
        let run = "morphic_7"
        let request = Array(#"{"sweep": "\#(id)", "run": "\#(run)"}"#.utf8)
        let first = try trained(server, "POST", "/api/sweeps/\(id)/posterior", body: request)
        #expect(first.status == 200)
        let second = try server.request("POST", "/api/sweeps/\(id)/posterior", body: request)
        #expect(second.body == first.body)
        let record = try server.request("GET", "/api/sweeps/\(id)/runs/\(run)").body
        let byRecord = try server.request("POST", "/api/sweeps/\(id)/posterior", body: record)
        #expect(byRecord.body == first.body)
        let answer = try Self.object(first.body)
        #expect(answer["run_id"] as? String == run)
        let posterior = try #require(answer["parameters"] as? [String: [String: Any]])
        for (name, marginal) in posterior {
            let quantiles = marginal["quantiles"] as! [String: Double]
            let levels = ["0.025", "0.05", "0.1", "0.25", "0.5", "0.75", "0.9", "0.95", "0.975"]
            #expect(Set(quantiles.keys) == Set(levels), "\(name)")
            let values = levels.map { quantiles[$0]! }
            #expect(values == values.sorted(), "\(name)")
            #expect((marginal["draws"] as! [Double]).count == 200)
        }

        // After a restart: trained again, the same bytes.
        #expect(server.terminate() == 0)
        server = try ServerProcess(dataDirectory: data)
        let restarted = try trained(server, "POST", "/api/sweeps/\(id)/posterior", body: request)
        #expect(restarted.body == first.body)

        // The command line gives the same answer for the record and for the dataset archive,
        // trained once for both.
        try Data(record).write(to: URL(fileURLWithPath: data + "/run.json"))
        let cli = try morphic(["infer", folder, data + "/run.json", folder + "/dataset.tar.gz", "--quiet"])
        #expect(cli.status == 0)
        let lines = cli.output.split(separator: "\n")
        #expect(lines.count == 1001)
        let line = try Self.object(Array(lines[0].utf8))
        #expect(NSDictionary(dictionary: line) == NSDictionary(dictionary: answer))
        let same = try #require(lines.dropFirst().first { $0.contains(#""run_id":"\#(run)""#) })
        #expect(NSDictionary(dictionary: try Self.object(Array(same.utf8))) == NSDictionary(dictionary: answer))
        for command in [
            ["calibrate", folder + "/dataset.tar.gz"], ["infer", folder + "/dataset.tar.gz", data + "/run.json"],
        ] {
            let archive = try morphic(command + ["--quiet"])
            #expect(
                archive.status == 64 && archive.output.contains("an archive cannot be a reference"), "\(archive.output)"
            )
        }
        let table = try morphic(["calibrate", folder, "--json", "--quiet"])
        #expect(
            NSDictionary(dictionary: try Self.object(Array(table.output.utf8))) == NSDictionary(dictionary: figures))

        // Bad observations: 422 naming the problem, and the reference still answers.
        let short =
            #"{"series": {"population": [1, 2], "complexity": [0.1, 0.2], "volatility": [0, 0], "pattern_diversity": [3]}}"#
        let refused = try server.request("POST", "/api/sweeps/\(id)/posterior", body: Array(short.utf8))
        #expect(refused.status == 422)
        #expect(String(decoding: refused.body, as: UTF8.self).contains("series.pattern_diversity"))
        let wrongLength = (0..<25).map { _ in "0" }.joined(separator: ",")
        let length =
            #"{"series": {"population": [\#(wrongLength)], "complexity": [\#(wrongLength)], "volatility": [\#(wrongLength)], "pattern_diversity": [\#(wrongLength)]}}"#
        let refusedLength = try server.request("POST", "/api/sweeps/\(id)/posterior", body: Array(length.utf8))
        #expect(refusedLength.status == 422)
        #expect(String(decoding: refusedLength.body, as: UTF8.self).contains("25 generations"))
        let text = #"{"series": {"population": ["x"], "complexity": [1], "volatility": [1], "pattern_diversity": [1]}}"#
        #expect(try server.request("POST", "/api/sweeps/\(id)/posterior", body: Array(text.utf8)).status == 422)
        var bigger = String(decoding: record, as: UTF8.self)
        bigger = bigger.replacingOccurrences(of: "\"grid_size\": 16", with: "\"grid_size\": 32")
        let otherGrid = try server.request("POST", "/api/sweeps/\(id)/posterior", body: Array(bigger.utf8))
        #expect(otherGrid.status == 422)
        #expect(String(decoding: otherGrid.body, as: UTF8.self).contains("32×32"))
        #expect(try server.request("POST", "/api/sweeps/\(id)/posterior", body: Array("[1]".utf8)).status == 422)
        let empty = try server.request("POST", "/api/sweeps/\(id)/posterior", body: Array("{}".utf8))
        #expect(empty.status == 422)
        #expect(String(decoding: empty.body, as: UTF8.self).contains("not an observation"))
        #expect(try server.request("POST", "/api/sweeps/\(id)/posterior", body: Array("{".utf8)).status == 400)
        let noRun = Array(#"{"sweep": "\#(id)", "run": "morphic_100000"}"#.utf8)
        #expect(try server.request("POST", "/api/sweeps/\(id)/posterior", body: noRun).status == 404)
        // No ambiguous observation is guessed at: each is refused naming its field.
        let seriesPart =
            #""series": {"population": [1], "complexity": [1], "volatility": [1], "pattern_diversity": [1]}"#
        for (body, status, field, words) in [
            (#"{"sweep": "\#(id)", "run": "\#(run)", \#(seriesPart)}"#, 422, "series", "give one"),
            (#"{"sweep": "\#(id)", "run": 7}"#, 422, "run", "as a string"),
            (#"{"sweep": 7, "run": "\#(run)"}"#, 422, "sweep", "as a string"),
            (#"{"sweep": "\#(id)", "run": "\#(run)", "colour": 1}"#, 422, "colour", "colour is not a field"),
            (#"{\#(seriesPart), "run_id": 5}"#, 422, "run_id", "run_id must be a string"),
            (#"{"sweep": "nonexistent", "run": "morphic_7"}"#, 404, "sweep", "no sweep nonexistent"),
        ] {
            let answer = try server.request("POST", "/api/sweeps/\(id)/posterior", body: Array(body.utf8))
            let error = try #require(try Self.object(answer.body)["error"] as? [String: Any])
            #expect(answer.status == status, "\(body)")
            #expect(
                error["field"] as? String == field && (error["message"] as? String ?? "").contains(words),
                "\(body): \(error)")
        }
        #expect(try server.request("POST", "/api/sweeps/\(id)/posterior", body: request).body == first.body)
        let badCLI = try morphic(["infer", folder, data + "/missing.json"])
        #expect(badCLI.status == 64)
        try Data(bigger.utf8).write(to: URL(fileURLWithPath: data + "/bigger.json"))
        // One that does not fit among several: refused naming its file, before any answer is written.
        let otherGridCLI = try morphic(["infer", folder, data + "/run.json", data + "/bigger.json", "--quiet"])
        #expect(otherGridCLI.status == 64)
        #expect(otherGridCLI.output.contains(data + "/bigger.json: ") && otherGridCLI.output.contains("32×32"), "\(otherGridCLI.output)")
        #expect(!otherGridCLI.output.contains("\"p_field\""), "\(otherGridCLI.output)")
        // A population no grid can hold is refused naming the file it came from.
        let recordObject = try Self.object(Array(try Data(contentsOf: URL(fileURLWithPath: data + "/run.json"))))
        let series = try #require(recordObject["timeseries"] as? [String: Any])
        var observed: [String: Any] = [:]
        for name in ["population", "complexity", "volatility", "pattern_diversity"] { observed[name] = series[name] }
        observed["population"] = Array(repeating: 1e308, count: (series["population"] as? [Any])?.count ?? 1)
        try JSONSerialization.data(withJSONObject: ["series": observed]).write(to: URL(fileURLWithPath: data + "/huge.json"))
        let hugeCLI = try morphic(["infer", folder, data + "/huge.json", "--quiet"])
        #expect(hugeCLI.status == 64 && hugeCLI.output.contains(data + "/huge.json") && hugeCLI.output.contains("no grid has more than"), "\(hugeCLI.output)")
        _ = server.terminate()
    }

    @Test func reference_ThatVariesNothingOrIsTooSmall_IsRefused() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let server = try ServerProcess(dataDirectory: data)
        defer { _ = server.terminate() }
        let nothing = try submit(
            server,
            #"{"name": "same", "defaults": {"grid_size": 8, "generations": 5}, "groups": [{"prefix": "a", "replicates": 30}]}"#
        )
        let refused = try trained(server, "GET", "/api/sweeps/\(nothing)/calibration")
        #expect(refused.status == 422)
        #expect(String(decoding: refused.body, as: UTF8.self).contains("varies no parameter"))
        // Its card says it cannot be a reference, and why.
        let nothingCard = try String(contentsOfFile: data + "/sweeps/\(nothing)/DATASET.md", encoding: .utf8)
        #expect(nothingCard.contains("cannot be a reference for posteriors: the sweep varies no parameter"))
        // Parameters of the field varied where no field acts describe nothing: said so.
        let idle = try submit(
            server,
            #"{"name": "idle", "defaults": {"grid_size": 8, "generations": 5}, "groups": [{"prefix": "i", "mode": "morphic", "sample": {"count": 200, "method": "latin_hypercube", "params": {"field_strength": {"uniform": [0, 0]}, "temporal_decay": {"uniform": [0, 1]}}}}]}"#
        )
        let idleRefused = try trained(server, "GET", "/api/sweeps/\(idle)/calibration")
        #expect(idleRefused.status == 422)
        #expect(
            String(decoding: idleRefused.body, as: UTF8.self).contains(
                "varies temporal_decay only on runs where no field acted (none of its runs had a field"),
            "\(String(decoding: idleRefused.body, as: UTF8.self))")
        let small = try submit(
            server,
            #"{"name": "small", "defaults": {"grid_size": 8, "generations": 5}, "groups": [{"prefix": "a", "mode": "morphic", "grid": {"field_strength": [0.2, 0.4, 0.6]}}]}"#
        )
        let tooSmall = try trained(server, "GET", "/api/sweeps/\(small)/calibration")
        #expect(tooSmall.status == 422)
        #expect(String(decoding: tooSmall.body, as: UTF8.self).contains("at least"))
        let smallCard = try String(contentsOfFile: data + "/sweeps/\(small)/DATASET.md", encoding: .utf8)
        #expect(smallCard.contains("cannot be a reference for posteriors: the reference has "))
        #expect(smallCard.contains("training and calibrating need at least"))
        let cli = try morphic(["calibrate", data + "/sweeps/" + small, "--quiet"])
        #expect(cli.status == 64)
        #expect(cli.output.contains("at least"))
        // Grid size and length are known from an observation: a reference that mixes them is refused.
        let mixed = try submit(
            server,
            #"{"name": "mixed", "defaults": {"generations": 5}, "groups": [{"prefix": "a", "mode": "morphic", "replicates": 40, "grid": {"grid_size": [8, 10], "field_strength": [0.2, 0.6]}}]}"#
        )
        let mixedAnswer = try trained(server, "GET", "/api/sweeps/\(mixed)/calibration")
        #expect(mixedAnswer.status == 422)
        let reason = "a reference has one grid size and one length; this one has grid sizes 8, 10 and lengths 5"
        #expect(String(decoding: mixedAnswer.body, as: UTF8.self).contains(reason))
        let mixedCard = try String(contentsOfFile: data + "/sweeps/\(mixed)/DATASET.md", encoding: .utf8)
        #expect(mixedCard.contains("cannot be a reference for posteriors: " + reason))
        #expect(try server.request("GET", "/api/sweeps/nothing-here/calibration").status == 404)
        // What the API answers every request that changes state, as openapi.json lists it.
        let series = Array(
            #"{"series": {"population": [1], "complexity": [1], "volatility": [1], "pattern_diversity": [1]}}"#.utf8)
        let path = "/api/sweeps/\(small)/posterior"
        #expect(try server.request("POST", path, body: series, headers: ["Sec-Fetch-Site": "cross-site"]).status == 403)
        #expect(try server.request("POST", path, body: series, headers: ["If-None-Match": "*"]).status == 412)
        let large = Array(#"{"series": {"population": ["#.utf8) + Array(repeating: UInt8(ascii: " "), count: 1_100_000)
        #expect(try server.request("POST", path, body: large).status == 413)
    }
}
