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
        {"name": "on-slurm", "seed": 3, "defaults": {"grid_size": 64, "generations": 1000},
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

        // A restart mid-sweep reattaches to the same jobs, and the sweep reads running at once.
        // A busy cluster may run all twelve between two polls.
        _ = try server.wait(for: id, status: "running", "completed", timeout: 30)
        // Killed once it has recorded so: a server killed between showing `running` and
        // writing it comes back `queued` until its first poll.
        let recorded = Date().addingTimeInterval(10)
        func recordedStatus() -> String? {
            guard let bytes = FileManager.default.contents(atPath: folder + "/status.json") else { return nil }
            return ((try? JSONSerialization.jsonObject(with: bytes)) as? [String: Any])?["status"] as? String
        }
        while Date() < recorded && recordedStatus() == "queued" { Thread.sleep(forTimeInterval: 0.05) }
        server.kill()
        let state = try String(contentsOfFile: folder + "/slurm/state.json", encoding: .utf8)
        server = try ServerProcess(dataDirectory: root + "/data", config: config)
        defer { server.kill() }
        let first = try server.json("/api/sweeps/\(id)")["status"] as? String
        #expect(first == "running" || first == "completed", "right after the restart: \(first ?? "none")")
        let status = try server.wait(for: id, status: "completed", timeout: 240)
        #expect((status["progress"] as! [String: Any])["runs_completed"] as? Int == 12)
        let after = try String(contentsOfFile: folder + "/slurm/state.json", encoding: .utf8)
        #expect(after == state, "jobs were submitted again")

        #expect(try datasetFiles(folder) == (try ServerEndToEndTests.localDataset(definitionPath)).files)
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
        // Queued or running, its array may be in the cluster: deleting it would leave the
        // array to run there.
        let early = try server.request("DELETE", "/api/sweeps/\(id)")
        #expect(early.status == 409 && String(decoding: early.body, as: UTF8.self).contains("cancel it first"))
        _ = try server.wait(for: id, status: "running", timeout: 30)
        let deadline = Date().addingTimeInterval(30)
        while try Self.ourTasks().isEmpty && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        let cancel = try server.request("POST", "/api/sweeps/\(id)/cancel")
        #expect(cancel.status == 202, "accepted: cancelling until Slurm confirms")
        let cancelled = try server.wait(for: id, status: "cancelled", timeout: 30)
        #expect(try Self.ourTasks().isEmpty, "cancelled means no job is left")
        #expect((cancelled["progress"] as! [String: Any])["runs_running"] as? Int == 0)
    }

    static func submit(_ server: ServerProcess, _ definition: String) throws -> String {
        let response = try server.request("POST", "/api/sweeps", body: Array(definition.utf8))
        return ((try JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any])?["id"] as? String ?? ""
    }

    static func runFiles(_ folder: String) -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter {
            $0.hasSuffix(".json") && !["definition.json", "status.json", "manifest.json"].contains($0)
        }.count
    }

    @Test(arguments: [0.0, 0.15, 0.4, 1.0, 2.5])
    func cancel_AtAnyMomentAroundTheFirstSbatch_LeavesNoJobAndNoNewRunFile(_ delay: Double) throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let server = try ServerProcess(dataDirectory: root + "/data", config: try Self.config(root))
        defer { server.kill() }
        let id = try Self.submit(
            server,
            // Long enough (about 1.5 s a run) to be running at the last delay.
            #"{"name": "cancel-\#(Int(delay * 100))", "defaults": {"grid_size": 96, "generations": 4000}, "groups": [{"prefix": "l", "replicates": 9}]}"#)
        Thread.sleep(forTimeInterval: delay)
        let cancel = try server.request("POST", "/api/sweeps/\(id)/cancel")
        #expect([200, 202].contains(cancel.status))
        _ = try server.wait(for: id, status: "cancelled", timeout: 40)
        #expect(try Self.ourTasks().filter { $0.contains(id) }.isEmpty, "no job of the sweep is left")
        let folder = root + "/data/sweeps/" + id
        let files = Self.runFiles(folder)
        Thread.sleep(forTimeInterval: 2)
        #expect(Self.runFiles(folder) == files, "no run file appears after the cancel")
        #expect(try server.request("DELETE", "/api/sweeps/\(id)").status == 204)
    }

    @Test func fiveKillRestartCycles_WhileTheArrayRuns_EndInTheSameDataset() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let config = try Self.config(root)
        let definitionPath = root + "/sweep.json"
        try #"""
        {"name": "restarts", "seed": 8, "defaults": {"grid_size": 64, "generations": 2500},
         "groups": [{"prefix": "r", "replicates": 4, "grid": {"field_strength": [0.3, 0.9]}},
                    {"prefix": "c", "mode": "classical", "replicates": 4}]}
        """#.write(toFile: definitionPath, atomically: true, encoding: .utf8)
        var server = try ServerProcess(dataDirectory: root + "/data", config: config)
        let id = try Self.submit(server, try String(contentsOfFile: definitionPath, encoding: .utf8))
        for _ in 0..<5 {
            Thread.sleep(forTimeInterval: 0.7)
            server.kill()
            server = try ServerProcess(dataDirectory: root + "/data", config: config)
        }
        defer { server.kill() }
        let folder = root + "/data/sweeps/" + id
        #expect(Self.runFiles(folder) < 12, "the restarts came while the array ran")
        let status = try server.wait(for: id, status: "completed", timeout: 240)
        #expect((status["progress"] as! [String: Any])["runs_failed"] as? Int == 0)
        let state = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: folder + "/slurm/state.json"))) as! [String: Any]
        #expect((state["jobs"] as! [Any]).count == 1, "no task failed, none was submitted twice")
        #expect(try datasetFiles(folder) == (try ServerEndToEndTests.localDataset(definitionPath)).files)
    }

    @Test func wrongSlurmConf_ShowsInTheStatus_ThenFailsTheSweepWithTheReason() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let config = root + "/server.json"
        try #"{"executor": "slurm", "slurm": {"poll_seconds": 0.3, "submit_attempts": 2, "command_timeout_seconds": 5}}"#
            .write(toFile: config, atomically: true, encoding: .utf8)
        let server = try ServerProcess(
            dataDirectory: root + "/data", config: config, environment: ["SLURM_CONF": root + "/missing.conf"])
        defer { server.kill() }
        let id = try Self.submit(server, #"{"name": "no-conf", "defaults": {"grid_size": 8, "generations": 5}, "groups": [{"prefix": "a"}]}"#)
        var waiting: String?
        let deadline = Date().addingTimeInterval(6)
        while waiting == nil && Date() < deadline {
            waiting = try server.json("/api/sweeps/\(id)")["waiting"] as? String
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(waiting?.contains("Slurm") == true, "the reason shows within a poll: \(waiting ?? "none")")
        let failed = try server.wait(for: id, status: "failed", timeout: 30)
        #expect((failed["error"] as? String)?.contains("cannot submit to Slurm") == true)
    }

    @Test func moreShardsThanMaxArraySize_ShowInTheStatus() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let config = root + "/server.json"
        try #"{"executor": "slurm", "slurm": {"shards": 5000, "poll_seconds": 0.3, "submit_attempts": 1}}"#
            .write(toFile: config, atomically: true, encoding: .utf8)
        let server = try ServerProcess(dataDirectory: root + "/data", config: config)
        defer { server.kill() }
        let id = try Self.submit(
            server, #"{"name": "wide", "defaults": {"grid_size": 3, "generations": 1}, "groups": [{"prefix": "a", "replicates": 1500}]}"#)
        let failed = try server.wait(for: id, status: "failed", timeout: 20)
        #expect((failed["error"] as? String)?.contains("MaxArraySize") == true, "\(failed["error"] ?? "")")
        #expect(try Self.ourTasks().filter { $0.contains(id) }.isEmpty)
    }

    @Test func sweepThatEndsBetweenTwoPolls_HasRunAndSaysWhen() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let config = root + "/server.json"
        try """
        {"executor": "slurm", "slurm": {"shards": 1, "poll_seconds": 4, "binary": "\(ServerProcess.executable)"}}
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let server = try ServerProcess(dataDirectory: root + "/data", config: config)
        defer { server.kill() }
        let id = try Self.submit(
            server, #"{"name": "brief", "defaults": {"grid_size": 8, "generations": 5}, "groups": [{"prefix": "b", "replicates": 2}]}"#)
        let completed = try server.wait(for: id, status: "completed", timeout: 60)
        let started = completed["started_at"] as? String
        let finished = completed["finished_at"] as? String
        #expect(started != nil, "a completed sweep has started")
        #expect(started.map { $0 <= finished ?? "" } == true, "started \(started ?? "never"), finished \(finished ?? "never")")
    }

    @Test func cancelAgainstAStoppedController_DelaysNoStatus_AndCompletesWhenItReturns() throws {
        guard let conf = ProcessInfo.processInfo.environment["SLURM_CONF"],
            let pid = try? String(
                contentsOfFile: URL(fileURLWithPath: conf).deletingLastPathComponent().path + "/slurmctld.pid",
                encoding: .utf8
            ).trimmingCharacters(in: .whitespacesAndNewlines)
        else { return }
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let config = root + "/server.json"
        try """
        {"executor": "slurm",
         "slurm": {"shards": 2, "poll_seconds": 0.3, "command_timeout_seconds": 2, "binary": "\(ServerProcess.executable)"}}
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let server = try ServerProcess(dataDirectory: root + "/data", config: config)
        defer { server.kill() }
        let id = try Self.submit(
            server, #"{"name": "frozen", "defaults": {"grid_size": 64, "generations": 3000}, "groups": [{"prefix": "l", "replicates": 4}]}"#)
        _ = try server.wait(for: id, status: "running", timeout: 30)
        _ = try shell("kill -STOP \(pid)")
        defer { _ = try? shell("kill -CONT \(pid)") }
        #expect(try server.request("POST", "/api/sweeps/\(id)/cancel").status == 202)
        var slowest = 0.0
        let until = Date().addingTimeInterval(5)
        while Date() < until {
            let start = Date()
            #expect(try server.json("/api/sweeps/\(id)")["status"] as? String == "cancelling")
            slowest = max(slowest, Date().timeIntervalSince(start))
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(slowest < 0.5, "a status took \(slowest) s while the controller was stopped")
        _ = try shell("kill -CONT \(pid)")
        _ = try server.wait(for: id, status: "cancelled", timeout: 60)
        #expect(try Self.ourTasks().filter { $0.contains(id) }.isEmpty)
    }

    @Test func sweepOverTheBuiltInLimits_ButWithinTheServers_CompletesOnSlurm() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let config = root + "/server.json"
        try """
        {"executor": "slurm", "limits": {"max_runs_per_sweep": 100001},
         "slurm": {"shards": 2, "parallel": 2, "poll_seconds": 0.5, "binary": "\(ServerProcess.executable)"}}
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let server = try ServerProcess(dataDirectory: root + "/data", config: config)
        defer { server.kill() }
        let id = try Self.submit(
            server,
            #"{"name": "wide", "defaults": {"grid_size": 3, "generations": 1}, "groups": [{"prefix": "w", "mode": "classical", "replicates": 100001}]}"#)
        let status = try server.wait(for: id, status: "completed", timeout: 600)
        let progress = status["progress"] as! [String: Any]
        #expect(progress["runs_completed"] as? Int == 100_001 && progress["runs_failed"] as? Int == 0)
    }

    /// A server whose tasks run `script` instead of morphic.
    static func serverWithTasks(_ root: String, script: String) throws -> ServerProcess {
        let binary = root + "/task-binary"
        try ("#!/bin/sh\n" + script + "\n").write(toFile: binary, atomically: true, encoding: .utf8)
        _ = try shell("chmod +x '\(binary)'")
        let config = root + "/server.json"
        try """
        {"executor": "slurm", "slurm": {"shards": 1, "retries": 2, "poll_seconds": 0.3, "binary": "\(binary)"}}
        """.write(toFile: config, atomically: true, encoding: .utf8)
        return try ServerProcess(dataDirectory: root + "/data", config: config)
    }

    /// `code` nil: the task cancels itself in Slurm, as `scancel` by hand would (its script
    /// may or may not outlive the signal long enough to write an exit status).
    @Test(arguments: [(64, 1, "was refused"), (1, 3, "failed 3 times"), (nil, 3, ": cancelled in Slurm")])
    func failingTasks_AreRetriedUnlessRefused_AndTheirLogTailIsTheRunsError(
        _ code: Int?, _ arrays: Int, _ reason: String
    ) throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let server = try Self.serverWithTasks(
            root,
            script: "echo 'Error: the node says no (\(code ?? 0))' >&2; "
                + (code.map { "exit \($0)" } ?? #"scancel "${SLURM_ARRAY_JOB_ID}_${SLURM_ARRAY_TASK_ID}"; sleep 30"#))
        defer { server.kill() }
        let id = try Self.submit(server, #"{"name": "doomed", "defaults": {"grid_size": 8, "generations": 5}, "groups": [{"prefix": "d", "replicates": 2}]}"#)
        let failed = try server.wait(for: id, status: "failed", timeout: 60)
        #expect((failed["progress"] as! [String: Any])["runs_failed"] as? Int == 2)
        let folder = root + "/data/sweeps/" + id
        let error = try String(contentsOfFile: folder + "/d_1.error", encoding: .utf8)
        #expect(error.contains(reason) && error.contains("the node says no (\(code ?? 0))"), "\(error)")
        let state = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: folder + "/slurm/state.json"))) as! [String: Any]
        #expect((state["jobs"] as! [Any]).count == arrays, "submissions: the first and its retries")
    }

    @Test func twoServersWithTheSameDefinition_EachCancelsOnlyItsOwnJobs() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let config = try Self.config(root)
        let definition =
            #"{"name": "shared-name", "defaults": {"grid_size": 96, "generations": 3000}, "groups": [{"prefix": "l", "replicates": 4}]}"#
        let first = try ServerProcess(dataDirectory: root + "/one", config: config)
        defer { first.kill() }
        let second = try ServerProcess(dataDirectory: root + "/two", config: config)
        defer { second.kill() }
        let id = try Self.submit(first, definition)
        #expect(try Self.submit(second, definition) == id, "the same definition, the same sweep id")
        let names = Set(
            try ["one", "two"].map {
                try String(contentsOfFile: root + "/\($0)/slurm-instance", encoding: .utf8)
                    .trimmingCharacters(in: .whitespacesAndNewlines)
            })
        #expect(names.count == 2, "each data directory has its own instance id")
        let deadline = Date().addingTimeInterval(30)
        func jobs(_ instance: String) throws -> [String] { try Self.ourTasks().filter { $0.contains(instance) } }
        while try names.contains(where: { try jobs($0).isEmpty }) && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.1)
        }
        let secondInstance = try String(contentsOfFile: root + "/two/slurm-instance", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!(try jobs(secondInstance)).isEmpty, "both arrays are queued")

        #expect(try first.request("POST", "/api/sweeps/\(id)/cancel").status == 202)
        _ = try first.wait(for: id, status: "cancelled", timeout: 30)
        #expect(!(try jobs(secondInstance)).isEmpty, "the other server's array is untouched")
        #expect(["queued", "running"].contains(try second.json("/api/sweeps/\(id)")["status"] as? String ?? ""))
        #expect(try first.request("DELETE", "/api/sweeps/\(id)").status == 204)

        #expect(try second.request("POST", "/api/sweeps/\(id)/cancel").status == 202)
        _ = try second.wait(for: id, status: "cancelled", timeout: 30)
        #expect(try jobs(secondInstance).isEmpty)
    }

    @Test func requestThePartitionCannotEverGrant_FailsTheSweepWithSlurmsReason() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        // A partition whose time limit (1 minute) is below what the tasks ask for (10).
        let partition = "tiny\(UInt32.random(in: 0...UInt32.max))"
        _ = try shell("scontrol create PartitionName=\(partition) Nodes=localhost MaxTime=1 State=UP")
        defer { _ = try? shell("scontrol delete PartitionName=\(partition)") }
        let config = root + "/server.json"
        try """
        {"executor": "slurm",
         "slurm": {"shards": 1, "poll_seconds": 0.3, "binary": "\(ServerProcess.executable)",
                   "sbatch_options": ["--partition=\(partition)", "--time=10"]}}
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let server = try ServerProcess(dataDirectory: root + "/data", config: config)
        defer { server.kill() }
        let id = try Self.submit(
            server, #"{"name": "too-long", "defaults": {"grid_size": 8, "generations": 5}, "groups": [{"prefix": "a"}]}"#)
        let failed = try server.wait(for: id, status: "failed", timeout: 30)
        let error = failed["error"] as? String ?? ""
        // Slurm names the limit (PartitionTimeLimit) or, for an array, the partition's configuration.
        #expect(error.contains("PartitionTimeLimit") || error.contains("PartitionConfig"), "\(error)")
        #expect((failed["progress"] as! [String: Any])["runs_running"] as? Int == 0)
        #expect(try Self.ourTasks().filter { $0.contains(id) }.isEmpty, "its pending jobs were cancelled")
        // Failed stays failed across a restart: only a retry submits it again.
        _ = server.terminate()
        let restarted = try ServerProcess(dataDirectory: root + "/data", config: config)
        defer { restarted.kill() }
        Thread.sleep(forTimeInterval: 1)
        let after = try restarted.json("/api/sweeps/\(id)")
        #expect(after["status"] as? String == "failed", "\(after)")
        #expect(try Self.ourTasks().filter { $0.contains(id) }.isEmpty, "nothing was submitted again")
    }

    @Test func theMergesRerunLine_WorksAsPrinted() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let definitionPath = root + "/sweep.json"
        try #"""
        {"name": "rerun", "seed": 5, "defaults": {"grid_size": 24, "generations": 60},
         "groups": [{"prefix": "r", "replicates": 2, "grid": {"field_strength": [0.3, 0.9]}},
                    {"prefix": "c", "mode": "classical", "replicates": 2}]}
        """#.write(toFile: definitionPath, atomically: true, encoding: .utf8)
        // Shard 1 fails until the mark exists, as a node that dies would.
        let wrapper = root + "/morphic-on-nodes"
        try """
        #!/bin/sh
        case "$*" in *"--shard 1/"*) [ -f '\(root)/mark' ] || { echo 'node lost' >&2; exit 1; } ;; esac
        exec '\(ServerProcess.executable)' "$@"

        """.write(toFile: wrapper, atomically: true, encoding: .utf8)
        _ = try shell("chmod +x '\(wrapper)'")
        let submit = ServerProcess.packageFolder + "/deploy/slurm/submit.sh"
        // A definition that cannot be read is refused before anything is queued.
        let refused = try execute("/bin/bash", ["-c", "cd '\(root)' && MORPHIC_SWEEP='\(root)/none.json' MORPHIC_DATA='\(root)/data' '\(submit)' 3 2"])
        #expect(refused.status == 66 && refused.output.contains("none.json is not a readable file"), "\(refused)")
        _ = try shell(
            "cd '\(root)' && MORPHIC_SWEEP='\(definitionPath)' MORPHIC_DATA='\(root)/data' MORPHIC_BINARY='\(wrapper)' MORPHIC_CPUS=1 '\(submit)' 3 2"
        )
        var line: String?
        var said = ""
        let deadline = Date().addingTimeInterval(90)
        while line == nil && Date() < deadline {
            for name in (try FileManager.default.contentsOfDirectory(atPath: root)) where name.hasPrefix("morphic-merge-") {
                said = try String(contentsOfFile: root + "/" + name, encoding: .utf8)
                let log = said.split(separator: "\n")
                if let index = log.firstIndex(where: { $0.contains("rerun them and merge again with:") }),
                    index + 1 < log.count
                {
                    line = String(log[index + 1])
                }
            }
            Thread.sleep(forTimeInterval: 0.3)
        }
        let rerun = try #require(line, "the merge printed no rerun line")
        // And why the shard did not finish: the end of its task's log.
        #expect(said.contains("shard 1 (morphic-sweep-") && said.contains("node lost"), "\(said)")
        #expect(rerun.contains("MORPHIC_CPUS=1") && rerun.hasSuffix(" 3 2 1"), "\(rerun)")
        _ = try shell("touch '\(root)/mark' && cd '\(root)' && \(rerun)")
        let archive = root + "/data/dataset/dataset.tar.gz"
        let end = Date().addingTimeInterval(120)
        while !FileManager.default.fileExists(atPath: archive) && Date() < end { Thread.sleep(forTimeInterval: 0.3) }
        #expect(FileManager.default.fileExists(atPath: archive), "the rerun merged the dataset")
        #expect(try datasetFiles(root + "/data/dataset") == (try ServerEndToEndTests.localDataset(definitionPath)).files)
    }
}
