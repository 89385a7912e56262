import Foundation
import Gzip
import TestSupport
import Testing

/// The real `morphic serve` process on port 0, driven over HTTP.
@Suite(.serialized) struct ServerEndToEndTests {
    static let smoke = ServerProcess.packageFolder + "/Config/sweeps/smoke.json"

    /// The dataset `morphic sweep` writes for `definition`, as files.
    static func localDataset(_ definition: String) throws -> (id: String, files: [String: Data]) {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try shell("'\(ServerProcess.executable)' sweep '\(definition)' --output '\(folder)/out' --quiet")
        let manifest =
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: folder + "/out/manifest.json"))) as! [String: Any]
        return (manifest["sweep_id"] as! String, try datasetFiles(folder + "/out"))
    }

    /// Standard output and error whose readers went away (a log shipper stopped, `| head`)
    /// lose their lines; the server goes on answering and stops cleanly on SIGTERM.
    @Test func closedOutput_LosesTheLines_NotTheServer() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let server = try ServerProcess(dataDirectory: data, closingOutput: true)
        defer { server.kill() }
        for _ in 0..<20 { #expect(try server.request("GET", "/healthz").status == 200) }
        // The log writes its lines every 0.2 s: long enough for it to have met the closed pipe.
        Thread.sleep(forTimeInterval: 0.6)
        #expect(try server.request("GET", "/healthz").status == 200)
        #expect(server.terminate() == 0)
        #expect(server.process.terminationReason == .exit)
    }

    @Test func smokeSweep_OverREST_MatchesTheLocalSweep_AndIsComputedOnce() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let server = try ServerProcess(dataDirectory: data)
        defer { server.kill() }
        let definition = Array(try Data(contentsOf: URL(fileURLWithPath: Self.smoke)))

        let submitted = try server.request("POST", "/api/sweeps", body: definition)
        #expect(submitted.status == 202)
        let status = try JSONSerialization.jsonObject(with: Data(submitted.body)) as! [String: Any]
        let id = status["id"] as! String
        #expect(submitted.headers["location"] == "/api/sweeps/\(id)")
        _ = try server.wait(for: id, status: "completed")

        let again = try server.request("POST", "/api/sweeps", body: definition)
        #expect(again.status == 200)
        #expect((try JSONSerialization.jsonObject(with: Data(again.body)) as! [String: Any])["id"] as? String == id)
        let metrics = String(decoding: try server.request("GET", "/metrics").body, as: UTF8.self)
        #expect(metrics.contains("morphic_runs_completed_total 3\n"))

        // Download with a real client and extract with GNU tar.
        let download = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: download) }
        try shell(
            "curl -sf -o '\(download)/d.tar.gz' http://127.0.0.1:\(server.port)/api/sweeps/\(id)/dataset.tar.gz && tar -xzf '\(download)/d.tar.gz' -C '\(download)'"
        )
        let local = try Self.localDataset(Self.smoke)
        #expect(local.id == id)
        #expect(try tree(download + "/" + id) == local.files)

        // The run list and one run's record.
        let runs = try server.json("/api/sweeps/\(id)/runs")
        let entries = runs["runs"] as! [[String: Any]]
        #expect(entries.map { $0["run_id"] as! String } == ["morphic_1", "morphic_2", "morphic_3"])
        #expect(entries.allSatisfy { $0["status"] as? String == "completed" && $0["summary_stats"] is [String: Any] })
        let record = try server.request("GET", "/api/sweeps/\(id)/runs/morphic_2", headers: ["Accept-Encoding": "gzip"])
        #expect(record.status == 200)
        #expect(record.headers["content-encoding"] == "gzip")
        let list = try server.json("/api/sweeps")
        #expect((list["sweeps"] as! [[String: Any]]).count == 1)
    }

    @Test func crash_SIGKILLMidSweep_ResumesToAnIdenticalDataset() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let definitionPath = root + "/slow.json"
        try #"""
        {"name": "crash", "seed": 5, "defaults": {"grid_size": 64, "generations": 300},
         "groups": [{"prefix": "m", "replicates": 3, "grid": {"field_strength": [0.3, 0.6, 0.9, 1.0]}}]}
        """#.write(toFile: definitionPath, atomically: true, encoding: .utf8)
        let definition = Array(try Data(contentsOf: URL(fileURLWithPath: definitionPath)))

        var server = try ServerProcess(dataDirectory: root + "/data", workers: 1)
        let submitted = try server.request("POST", "/api/sweeps", body: definition)
        let id = (try JSONSerialization.jsonObject(with: Data(submitted.body)) as! [String: Any])["id"] as! String
        let folder = root + "/data/sweeps/" + id
        let deadline = Date().addingTimeInterval(60)
        func finishedRuns() -> Int { (try? runRecords(folder))?.count ?? 0 }
        while finishedRuns() < 2 && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        server.kill()
        let before = finishedRuns()
        #expect(before >= 2 && before < 12, "killed after \(before) runs")
        // A record damaged as a power loss might leave it (its second half zeros) is
        // computed again, and the log says so, naming the run.
        let pack = folder + "/records/0.0.pack"
        let frame = try #require(try packFrames(pack).first)
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: pack)))
        let record = try JSONSerialization.jsonObject(with: Data(bytes[frame.offset..<frame.offset + frame.length]))
        let damaged = try #require((record as? [String: Any])?["run_id"] as? String)
        let half = frame.offset + frame.length / 2..<frame.offset + frame.length
        bytes.replaceSubrange(half, with: repeatElement(0, count: half.count))
        try Data(bytes).write(to: URL(fileURLWithPath: pack))

        let logFile = root + "/server.log"
        server = try ServerProcess(dataDirectory: root + "/data", workers: 2, logFile: logFile)
        defer { server.kill() }
        let status = try server.wait(for: id, status: "completed", timeout: 180)
        #expect((status["progress"] as! [String: Any])["runs_completed"] as? Int == 12)
        #expect(try datasetFiles(folder) == (try Self.localDataset(definitionPath)).files)
        #expect(server.terminate() == 0)
        let said = try String(contentsOfFile: logFile, encoding: .utf8).split(separator: "\n").filter {
            $0.contains(#""event":"records_damaged""#)
        }
        // (A frame the kill tore may be named beside it.)
        #expect(said.count == 1 && said[0].contains("\"\(damaged)\""), "\(said)")
    }

    /// A completed sweep's run whose record is damaged on disk (its frame's header zeroed,
    /// or its bytes changed) is said to be damaged, not to have not finished; a retry
    /// computes those runs again and writes the same dataset, and a retry of a completed
    /// sweep whose records are whole is refused and changes nothing.
    @Test func completedSweep_RunWithADamagedRecord_IsSaidToBeDamaged_AndARetryMendsIt() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let definition = Array(#"{"name": "d", "defaults": {"grid_size": 8, "generations": 5}, "groups": [{"prefix": "r", "replicates": 6}]}"#.utf8)
        var server = try ServerProcess(dataDirectory: root)
        let submitted = try server.request("POST", "/api/sweeps", body: definition)
        let id = try #require((try JSONSerialization.jsonObject(with: Data(submitted.body)) as? [String: Any])?["id"] as? String)
        _ = try server.wait(for: id, status: "completed")
        #expect(server.terminate() == 0)
        let pack = root + "/sweeps/" + id + "/records/0.0.pack"
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: pack)))
        let frames = try packFrames(pack)
        for i in frames[1].offset - 20..<frames[1].offset { bytes[i] = 0 }
        bytes[frames[3].offset + 5] ^= 1
        try Data(bytes).write(to: URL(fileURLWithPath: pack))
        server = try ServerProcess(dataDirectory: root)
        defer { server.kill() }
        _ = try server.wait(for: id, status: "completed")
        for (frame, said) in [(frames[1], "missing or damaged on disk"), (frames[3], "damaged on disk (its frame fails its check)")] {
            let answer = try server.request("GET", "/api/sweeps/\(id)/runs/r_\(frame.run + 1)")
            #expect(answer.status == 500 && String(decoding: answer.body, as: UTF8.self).contains(said), "\(frame.run)")
        }
        #expect(try server.request("GET", "/api/sweeps/\(id)/runs/r_\(frames[2].run + 1)").status == 200)

        let archive = root + "/sweeps/" + id + "/dataset.tar.gz"
        let before = try Data(contentsOf: URL(fileURLWithPath: archive))
        #expect(try server.request("POST", "/api/sweeps/\(id)/retry").status == 202)
        _ = try server.wait(for: id, status: "completed")
        for frame in frames {
            #expect(try server.request("GET", "/api/sweeps/\(id)/runs/r_\(frame.run + 1)").status == 200, "\(frame.run)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: archive)) == before)
        let whole = try server.request("POST", "/api/sweeps/\(id)/retry")
        #expect(whole.status == 409 && String(decoding: whole.body, as: UTF8.self).contains("nothing to retry"))
        #expect(try server.json("/api/sweeps/\(id)")["status"] as? String == "completed")

        // A record edited with its CRC-32 made again: not served as the run's, and a retry
        // finds it by the manifest's sha256 and computes it again.
        #expect(server.terminate() == 0)
        let newest = try #require(try packFiles(root + "/sweeps/" + id).flatMap { name in
            try packFrames(root + "/sweeps/" + id + "/records/" + name).map { (root + "/sweeps/" + id + "/records/" + name, $0) }
        }.last { $0.1.run == frames[0].run })
        var edited = Array(try Data(contentsOf: URL(fileURLWithPath: newest.0)))
        let body = newest.1.offset..<newest.1.offset + newest.1.length
        let text = String(decoding: edited[body], as: UTF8.self)
        let changed = Array(text.replacingOccurrences(of: "\"initial_density\": 0.4,", with: "\"initial_density\": 0.5,").utf8)
        #expect(changed.count == newest.1.length && !changed.elementsEqual(edited[body]))
        edited.replaceSubrange(body, with: changed)
        let crc = CRC32.of(changed)
        for i in 0..<4 { edited[newest.1.offset - 4 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
        try Data(edited).write(to: URL(fileURLWithPath: newest.0))
        server = try ServerProcess(dataDirectory: root)
        _ = try server.wait(for: id, status: "completed")
        let served = try server.request("GET", "/api/sweeps/\(id)/runs/r_\(frames[0].run + 1)")
        #expect(
            served.status == 500
                && String(decoding: served.body, as: UTF8.self).contains(
                    "was changed on disk after it was written (initial_density differs from the sweep definition); retry the sweep"),
            "\(String(decoding: served.body, as: UTF8.self))")
        #expect(try server.request("POST", "/api/sweeps/\(id)/retry").status == 202)
        _ = try server.wait(for: id, status: "completed")
        #expect(try server.request("GET", "/api/sweeps/\(id)/runs/r_\(frames[0].run + 1)").status == 200)
        #expect(try Data(contentsOf: URL(fileURLWithPath: archive)) == before)

        // The archive removed or truncated on disk (by a full disk, a copy cut short): not
        // served as the archive, said naming the retry, and written again by the retry, or
        // at the next start.
        for (truncated, restart) in [(false, false), (true, false), (true, true)] {
            if truncated {
                let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: archive))
                try handle.truncate(atOffset: 1000)
                try handle.close()
            } else {
                try FileManager.default.removeItem(atPath: archive)
            }
            if restart {
                #expect(server.terminate() == 0)
                server = try ServerProcess(dataDirectory: root)
            } else {
                let answer = try server.request("GET", "/api/sweeps/\(id)/dataset.tar.gz")
                let said = truncated ? "damaged (1000 bytes where \(before.count) were written)" : "missing"
                #expect(
                    answer.status == 500
                        && String(decoding: answer.body, as: UTF8.self).contains("sweeps/\(id)/dataset.tar.gz is \(said) on disk; a retry"),
                    "\(answer.status) \(String(decoding: answer.body, as: UTF8.self))")
                #expect(try server.request("POST", "/api/sweeps/\(id)/retry").status == 202)
            }
            _ = try server.wait(for: id, status: "completed")
            #expect(try Data(contentsOf: URL(fileURLWithPath: archive)) == before, "truncated: \(truncated), restart: \(restart)")
        }
    }

    /// While a sweep's dataset is written, every run finished, its status says so in
    /// `waiting` and gives no ETA, and once completed it says nothing of it.
    @Test func sweepWritingItsDataset_SaysSoInWaiting() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let server = try ServerProcess(dataDirectory: root)
        defer { server.kill() }
        let runs = 1000
        let definition = Array(
            #"{"name": "w", "defaults": {"grid_size": 8, "generations": 100}, "groups": [{"prefix": "w", "replicates": \#(runs)}]}"#.utf8)
        let id = HostileClientTests.id(try server.request("POST", "/api/sweeps", body: definition))
        var sawWriting = false
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            let status = try server.json("/api/sweeps/\(id)")
            let waiting = status["waiting"] as? String
            if status["status"] as? String == "completed" {
                #expect(waiting == nil)
                break
            }
            if let waiting {
                #expect(waiting.contains("its dataset is being written"))
                #expect((status["progress"] as? [String: Any])?["runs_completed"] as? Int == runs)
                #expect(status["eta_seconds"] is NSNull)
                sawWriting = true
            }
        }
        #expect(sawWriting, "the status never said the dataset was being written")
    }

    /// One data directory, one server: a second one is refused, naming the directory, and
    /// once the first has stopped another starts there.
    @Test func secondServer_OnTheSameDataDirectory_IsRefused() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let first = try ServerProcess(dataDirectory: root + "/data")
        let logFile = root + "/second.log"
        #expect(throws: ServerProcess.ServerError.self) { _ = try ServerProcess(dataDirectory: root + "/data", logFile: logFile) }
        let said = try String(contentsOfFile: logFile, encoding: .utf8)
        #expect(said.contains("another morphic serve uses the data directory"), "\(said)")
        #expect(first.terminate() == 0)
        let third = try ServerProcess(dataDirectory: root + "/data")
        #expect(third.terminate() == 0)
    }

    @Test func sigterm_StopsGracefully_AndTheSweepResumesOnRestart() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let definition = Array(
            #"{"name": "term", "defaults": {"grid_size": 64, "generations": 400}, "groups": [{"prefix": "t", "replicates": 8}]}"#
                .utf8)
        var server = try ServerProcess(dataDirectory: root, workers: 1)
        let submitted = try server.request("POST", "/api/sweeps", body: definition)
        let id = (try JSONSerialization.jsonObject(with: Data(submitted.body)) as! [String: Any])["id"] as! String
        _ = try server.wait(for: id, status: "running")
        #expect(server.terminate() == 0)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: root + "/sweeps/" + id).allSatisfy {
                !$0.contains(".tmp-")
            })
        server = try ServerProcess(dataDirectory: root)
        defer { server.kill() }
        _ = try server.wait(for: id, status: "completed", timeout: 180)
    }

    /// A supervisor that stops the server as soon as it has said where it listens: the
    /// signal is not lost, however early it comes (it once was, about one time in twenty).
    @Test func sigterm_RightAfterStartUp_StopsTheServer_EveryTime() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        for attempt in 0..<60 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: ServerProcess.executable)
            process.arguments = ["serve", "--port", "0", "--data-dir", data]
            process.currentDirectoryURL = URL(fileURLWithPath: ServerProcess.packageFolder)
            process.environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("MORPHIC_") }
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Its first two lines, then the signal at once.
            var seen = 0
            while seen < 2, let byte = try output.fileHandleForReading.read(upToCount: 1)?.first {
                if byte == UInt8(ascii: "\n") { seen += 1 }
            }
            kill(process.processIdentifier, SIGTERM)
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.005) }
            let stopped = !process.isRunning
            if !stopped { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            #expect(stopped && process.terminationStatus == 0, "attempt \(attempt): still running 10 s after SIGTERM")
            if !stopped { break }
        }
    }

    @Test func token_IsRequiredForChanges_WhenConfigured() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let token = "correct-horse-battery-staple"
        let server = try ServerProcess(dataDirectory: data, environment: ["MORPHIC_API_TOKEN": token])
        defer { server.kill() }
        let definition = Array(try Data(contentsOf: URL(fileURLWithPath: Self.smoke)))
        let refused = try server.request("POST", "/api/sweeps", body: definition)
        #expect(refused.status == 401)
        #expect(String(decoding: refused.body, as: UTF8.self).contains("\"unauthorized\""))
        #expect(
            try server.request("POST", "/api/sweeps", body: definition, headers: ["Authorization": "Bearer wrong"])
                .status == 401)
        #expect(try server.request("GET", "/api/sweeps").status == 200)
        // Two Authorization fields are refused, whichever holds the token (the first was taken).
        for order in [[token, "wrong"], ["wrong", token]] {
            let client = try LoopbackClient(port: server.port, timeout: 10)
            client.send(
                "POST /api/sweeps HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Authorization: Bearer \(order[0])\r\nAuthorization: Bearer \(order[1])\r\n"
                    + "Content-Length: \(definition.count)\r\nConnection: close\r\n\r\n")
            client.send(definition)
            let answer = client.read().text
            #expect(answer.hasPrefix("HTTP/1.1 400 ") && answer.contains("more than one Authorization"), "\(order): \(answer)")
        }
        #expect(try server.json("/api/sweeps")["total"] as? Int == 0)
        #expect(
            try server.request("POST", "/api/sweeps", body: definition, headers: ["Authorization": "Bearer " + token])
                .status == 202)
    }

    @Test func errors_HaveTheDocumentedShapeAndStatus() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let server = try ServerProcess(dataDirectory: data)
        defer { server.kill() }

        let invalid = try server.request(
            "POST", "/api/sweeps", body: Array(#"{"groups": [{"prefix": "a", "params": {"field_strength": 3}}]}"#.utf8))
        #expect(invalid.status == 422)
        let error =
            (try JSONSerialization.jsonObject(with: Data(invalid.body)) as! [String: Any])["error"] as! [String: Any]
        #expect(error["field"] as? String == "groups[0].params.field_strength")
        #expect(error["code"] as? String == "invalid_definition")
        #expect((error["message"] as? String)?.contains("[0, 1]") == true)
        #expect(try server.request("POST", "/api/sweeps", body: Array("{not json".utf8)).status == 400)
        #expect(try server.request("GET", "/api/sweeps/nope-0123").status == 404)
        #expect(try server.request("GET", "/api/sweeps/x/runs/../../etc/passwd").status == 404)
        #expect(try server.request("GET", "/../../etc/passwd").status == 404)
        #expect(try server.request("PUT", "/api/sweeps").status == 405)
        #expect(try server.request("GET", "/nothing-here").status == 404)
        #expect(try server.request("GET", "/healthz").status == 200)
        #expect(try server.request("GET", "/").headers["content-type"]?.hasPrefix("text/html") == true)
        // Nothing was stored for the refused definitions.
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: data + "/sweeps")) ?? []).isEmpty)
    }

    @Test func cancelRetryAndDelete_FollowTheSweepsState() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let server = try ServerProcess(dataDirectory: data, workers: 1)
        defer { server.kill() }
        let definition = Array(
            #"{"name": "long", "defaults": {"grid_size": 64, "generations": 400}, "groups": [{"prefix": "l", "replicates": 20}]}"#
                .utf8)
        let submitted = try server.request("POST", "/api/sweeps", body: definition)
        let id = (try JSONSerialization.jsonObject(with: Data(submitted.body)) as! [String: Any])["id"] as! String
        #expect(try server.request("GET", "/api/sweeps/\(id)/dataset.tar.gz").status == 409)
        #expect(try server.request("POST", "/api/sweeps/\(id)/retry").status == 409)
        let cancelled = try server.request("POST", "/api/sweeps/\(id)/cancel")
        #expect(cancelled.status == 200)
        _ = try server.wait(for: id, status: "cancelled")
        #expect(try server.request("POST", "/api/sweeps/\(id)/cancel").status == 409)
        let retried = try server.request("POST", "/api/sweeps/\(id)/retry")
        #expect(retried.status == 202 || retried.status == 409)
        _ = try? server.request("POST", "/api/sweeps/\(id)/cancel")
        let deadline = Date().addingTimeInterval(30)
        var deleted = 0
        while deleted != 204 && Date() < deadline {
            deleted = try server.request("DELETE", "/api/sweeps/\(id)").status
            if deleted != 204 { Thread.sleep(forTimeInterval: 0.1) }
        }
        #expect(deleted == 204)
        #expect(try server.request("GET", "/api/sweeps/\(id)").status == 404)
        #expect(!FileManager.default.fileExists(atPath: data + "/sweeps/" + id))
    }

    @Test func openAPI_IsValid_AndEveryDocumentedGetAnswers() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let server = try ServerProcess(dataDirectory: data)
        defer { server.kill() }
        let document = try server.request("GET", "/openapi.json")
        #expect(document.status == 200)
        let path = data + "/openapi.json"
        try Data(document.body).write(to: URL(fileURLWithPath: path))
        try shell(
            "python3 -c 'import json,sys; from openapi_spec_validator import validate; validate(json.load(open(sys.argv[1])))' '\(path)'"
        )

        let submitted = try server.request(
            "POST", "/api/sweeps", body: Array(try Data(contentsOf: URL(fileURLWithPath: Self.smoke))))
        let id = (try JSONSerialization.jsonObject(with: Data(submitted.body)) as! [String: Any])["id"] as! String
        _ = try server.wait(for: id, status: "completed")
        let paths =
            (try JSONSerialization.jsonObject(with: Data(document.body)) as! [String: Any])["paths"]
            as! [String: [String: Any]]
        // Routes with required parameters get typical ones; a 3-run sweep is too small to be a
        // reference, which calibration must say (after training has been tried) rather than fail.
        let queries = [
            "/api/sweeps/{id}/aggregate": "?y=avg_influence_rate&x=field_strength",
            "/api/sweeps/{id}/columns": "?fields=field_strength,avg_influence_rate",
            "/api/sweeps/{id}/importance": "?y=avg_influence_rate",
        ]
        let expected = ["/api/sweeps/{id}/calibration": 422]
        for (template, operations) in paths where operations["get"] != nil {
            let concrete =
                template.replacingOccurrences(of: "{id}", with: id).replacingOccurrences(
                    of: "{run_id}", with: "morphic_1") + (queries[template] ?? "")
            var status = try server.request("GET", concrete).status
            for _ in 0..<300 where status == 202 {
                Thread.sleep(forTimeInterval: 0.1)
                status = try server.request("GET", concrete).status
            }
            #expect(status == expected[template] ?? 200, "GET \(concrete)")
        }
    }
}
