import Foundation
import TestSupport
import Testing

/// The Slurm executor against a real single-node Slurm cluster, which `scripts/test.sh`
/// starts (`scripts/slurm-local.sh`) and names in SLURM_CONF.
@Suite(
    .serialized, .enabled(if: ProcessInfo.processInfo.environment["SLURM_CONF"] != nil, "needs the local Slurm cluster")
)
struct SlurmExecutorTests {
    static func config(_ root: String) throws -> String {
        let path = root + "/server.json"
        try """
        {"executor": "slurm",
         "slurm": {"shards": 3, "parallel": 2, "retries": 1, "poll_seconds": 0.3, "binary": "\(ServerProcess.executable)"}}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func ourTasks() throws -> [String] {
        try shell("squeue -h -r -o '%i %j'").split(separator: "\n").map(String.init).filter { $0.contains("morphic-") }
    }

    @Test func sweepOverREST_RunsAsAJobArray_SurvivesARestart_AndMatchesTheLocalExecutor() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let config = try Self.config(root)
        let definitionPath = root + "/sweep.json"
        try #"""
        {"name": "on-slurm", "seed": 3, "defaults": {"grid_size": 48, "generations": 300},
         "groups": [{"prefix": "s", "replicates": 3, "grid": {"field_strength": [0.2, 0.6, 1.0]}},
                    {"prefix": "c", "mode": "classical", "replicates": 3}]}
        """#.write(toFile: definitionPath, atomically: true, encoding: .utf8)
        var server = try ServerProcess(dataDirectory: root + "/data", config: config)
        let submitted = try server.request(
            "POST", "/api/sweeps", body: Array(try Data(contentsOf: URL(fileURLWithPath: definitionPath))))
        #expect(submitted.status == 202)
        let id = (try JSONSerialization.jsonObject(with: Data(submitted.body)) as! [String: Any])["id"] as! String
        let folder = root + "/data/sweeps/" + id

        // The sweep becomes a job array.
        let deadline = Date().addingTimeInterval(30)
        var tasks: [String] = []
        while tasks.isEmpty && Date() < deadline {
            tasks = try Self.ourTasks()
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(!tasks.isEmpty)
        #expect(tasks.allSatisfy { $0.split(separator: " ")[0].contains("_") })

        // A restart mid-sweep reattaches to the same jobs.
        server.kill()
        let state = try String(contentsOfFile: folder + "/slurm/state.json", encoding: .utf8)
        server = try ServerProcess(dataDirectory: root + "/data", config: config)
        defer { server.kill() }
        let status = try server.wait(for: id, status: "completed", timeout: 240)
        #expect((status["progress"] as! [String: Any])["runs_completed"] as? Int == 12)
        let after = try String(contentsOfFile: folder + "/slurm/state.json", encoding: .utf8)
        #expect(after == state, "jobs were submitted again")

        var served = try tree(folder)
        for name in served.keys
        where name.hasPrefix("slurm/") || ["definition.json", "status.json", "dataset.tar.gz"].contains(name) {
            served[name] = nil
        }
        #expect(served == (try ServerEndToEndTests.localDataset(definitionPath)).files)
    }

    @Test func cancelledSweep_LeavesNoJobsInTheQueue() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let server = try ServerProcess(dataDirectory: root + "/data", config: try Self.config(root))
        defer { server.kill() }
        let definition = Array(
            #"{"name": "long-slurm", "defaults": {"grid_size": 96, "generations": 2000}, "groups": [{"prefix": "l", "replicates": 6}]}"#
                .utf8)
        let id =
            (try JSONSerialization.jsonObject(
                with: Data(try server.request("POST", "/api/sweeps", body: definition).body)) as! [String: Any])["id"]
            as! String
        _ = try server.wait(for: id, status: "running", timeout: 30)
        let deadline = Date().addingTimeInterval(30)
        while try Self.ourTasks().isEmpty && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        #expect(try server.request("POST", "/api/sweeps/\(id)/cancel").status == 200)
        let gone = Date().addingTimeInterval(15)
        while try !Self.ourTasks().isEmpty && Date() < gone { Thread.sleep(forTimeInterval: 0.2) }
        #expect(try Self.ourTasks().isEmpty)
    }
}
