import Foundation
import TestSupport
import Testing

/// Sampled and listed groups as users submit them: over HTTP and on the command line, a
/// bad one is refused whole naming its field and nothing is queued or written; a good one
/// runs into a dataset with its split, theta_x.npz and card.
@Suite(.serialized) struct SampledSweepRefusalTests {
    static let bad: [(String, String)] = [
        (
            #""sample": {"count": 8, "method": "halton", "params": {"field_strength": {"uniform": [0, 1]}}}"#,
            "groups[0].sample.method"
        ),
        (
            #""sample": {"count": 8, "method": "sobol", "params": {"field_strength": {"uniform": [0.9, 0.1]}}}"#,
            "groups[0].sample.params.field_strength.uniform"
        ),
        (
            #""sample": {"count": 8, "method": "sobol", "params": {"influence_exponent": {"log_uniform": [0, 2]}}}"#,
            "groups[0].sample.params.influence_exponent.log_uniform[0]"
        ),
        (
            #""sample": {"count": 0, "method": "sobol", "params": {"field_strength": {"uniform": [0, 1]}}}"#,
            "groups[0].sample.count"
        ),
        (#""points": [{"field_strength": 0.2}], "grid": {"temporal_decay": [0.1]}"#, "groups[0].grid"),
        (#""points": [{"field_strenght": 0.2}]"#, "groups[0].points[0].field_strenght"),
        (
            #""sample": {"count": 2, "method": "random", "params": {"min_form_cells": {"integer": [1, 49]}}}"#,
            "groups[0].sample.params.min_form_cells.integer[1]"
        ),
        (#""points": [{"min_form_cells": 30}]"#, "groups[0].points[0].min_form_cells"),
        (
            #""sample": {"count": 2, "method": "random", "params": {"mode": {"choice": ["morphic"]}}}"#,
            "groups[0].sample.params.mode"
        ),
        (
            #""sample": {"count": 2, "method": "random", "params": {"generations": {"integer": [5, 9]}}}"#,
            "groups[0].sample.params.generations"
        ),
    ]

    @Test func badSampleOrPoints_AreRefusedWith422_AndNothingIsQueued() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let server = try ServerProcess(dataDirectory: data)
        defer { server.kill() }
        for (design, field) in Self.bad {
            let body = #"{"defaults": {"grid_size": 8, "generations": 5}, "groups": [{"prefix": "a", "# + design + "}]}"
            let response = try server.request("POST", "/api/sweeps", body: Array(body.utf8))
            #expect(response.status == 422, "\(design)")
            let error =
                (try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])?["error"]
                as? [String: Any]
            #expect(error?["field"] as? String == field && error?["code"] as? String == "invalid_definition")
        }
        let list = try server.request("GET", "/api/sweeps")
        let sweeps = (try JSONSerialization.jsonObject(with: Data(list.body)) as? [String: Any])?["sweeps"] as? [Any]
        #expect(list.status == 200 && sweeps?.isEmpty == true)
        let good = #"""
            {"name": "drawn", "defaults": {"grid_size": 8, "generations": 10},
             "groups": [{"prefix": "m", "replicates": 2, "sample": {"count": 4, "method": "latin_hypercube",
                         "params": {"field_strength": {"uniform": [0, 1]}}}},
                        {"prefix": "p", "points": [{"field_strength": 0.5}]}]}
            """#
        let accepted = try server.request("POST", "/api/sweeps", body: Array(good.utf8))
        #expect(accepted.status == 202)
        let id = (try JSONSerialization.jsonObject(with: Data(accepted.body)) as? [String: Any])?["id"] as? String ?? ""
        _ = try server.wait(for: id, status: "completed")
        let manifest = try server.request("GET", "/api/sweeps/\(id)/manifest.json")
        let counts =
            (try JSONSerialization.jsonObject(with: Data(manifest.body)) as? [String: Any])?["counts"] as? [String: Any]
        let bySplit = counts?["by_split"] as? [String: Int] ?? [:]
        #expect(bySplit.values.reduce(0, +) == 9)
    }

    @Test(arguments: bad)
    func badSampleOrPoints_ExitTheCommandLineWith64_NamingTheField(_ design: String, _ field: String) throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try (#"{"groups": [{"prefix": "a", "# + design + "}]}").write(
            toFile: root + "/bad.json", atomically: true, encoding: .utf8)
        let result = try execute(ServerProcess.executable, ["sweep", root + "/bad.json", "--output", root + "/out"])
        #expect(result.status == 64)
        #expect(result.output.contains(field + ":"), "\(result.output)")
        #expect(!FileManager.default.fileExists(atPath: root + "/out"))
    }
}
