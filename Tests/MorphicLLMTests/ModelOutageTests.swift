import Foundation
import TestSupport
import Testing

/// The real server with a language model that hangs, fails or leaks: the rest of the
/// server goes on, cancel and shutdown are prompt, and no secret lands anywhere.
@Suite(.serialized) struct ModelOutageTests {
    static func definition(_ name: String, llm: Int = 0, classical: Int = 0) -> [UInt8] {
        var groups: [String] = []
        if llm > 0 { groups.append(#"{"prefix": "llm", "mode": "llm_control", "replicates": \#(llm)}"#) }
        if classical > 0 { groups.append(#"{"prefix": "c", "mode": "classical", "replicates": \#(classical)}"#) }
        return Array(
            #"{"name": "\#(name)", "defaults": {"grid_size": 25, "generations": 200}, "groups": [\#(groups.joined(separator: ", "))]}"#
                .utf8)
    }

    static func config(_ folder: String, endpoint: String, extra: String = "") throws -> String {
        let path = folder + "/server.json"
        try #"{"llm": {"endpoint": "\#(endpoint)", "model": "fake", "timeout_seconds": 300\#(extra)}}"#
            .write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func id(_ response: (status: Int, headers: [String: String], body: [UInt8])) -> String {
        ((try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any])?["id"] as? String ?? ""
    }

    /// Seconds until the sweep `definition` completes.
    static func timeToComplete(_ server: ServerProcess, _ definition: [UInt8]) throws -> Double {
        let start = Date()
        let id = Self.id(try server.request("POST", "/api/sweeps", body: definition))
        _ = try server.wait(for: id, status: "completed", timeout: 60)
        return Date().timeIntervalSince(start)
    }

    @Test func withoutAModel_LLMControlSweepsAreRefusedAtOnce_AndNothingIsStored() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let server = try ServerProcess(dataDirectory: root + "/data", workers: 1)
        defer { server.kill() }

        let refused = try server.request("POST", "/api/sweeps", body: Self.definition("mixed", llm: 2, classical: 2))
        #expect(refused.status == 422)
        let message = String(decoding: refused.body, as: UTF8.self)
        #expect(message.contains("llm_control") && message.contains("no language model"), "\(message)")
        #expect(try server.json("/api/sweeps")["total"] as? Int == 0, "a refused sweep is not stored")
        let sweeps = (try? FileManager.default.contentsOfDirectory(atPath: root + "/data/sweeps")) ?? []
        #expect(sweeps.isEmpty, "no folder is left: \(sweeps)")
        #expect(try server.request("POST", "/api/sweeps", body: Self.definition("plain", classical: 2)).status == 202)
    }

    @Test func hungModel_HoldsNoWorker_CancelStopsItsRequests_AndShutdownIsPrompt() throws {
        let model = try FakeModel(.hung)
        defer { model.stop() }
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let server = try ServerProcess(
            dataDirectory: root + "/data", config: try Self.config(root, endpoint: model.endpoint), workers: 2)
        defer { server.kill() }

        let alone = try Self.timeToComplete(server, Self.definition("before", classical: 16))
        let waiting = Self.id(try server.request("POST", "/api/sweeps", body: Self.definition("llm", llm: 4)))
        let deadline = Date().addingTimeInterval(10)
        while model.requests == 0 && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(model.requests == 1, "one fetch for the whole sweep")
        let beside = try Self.timeToComplete(server, Self.definition("after", classical: 16))
        #expect(beside < alone * 3 + 2, "a classical sweep took \(beside) s beside the hung model, \(alone) s alone")
        let held = try server.json("/api/sweeps/\(waiting)")
        #expect(held["status"] as? String != "completed")
        #expect((held["waiting"] as? String)?.contains("language model's rule table") == true, "\(held)")

        #expect(try server.request("POST", "/api/sweeps/\(waiting)/cancel").status == 200)
        let asked = model.requests
        Thread.sleep(forTimeInterval: 3)
        #expect(model.requests == asked, "no request after the cancel")
        let folder = root + "/data/sweeps/" + waiting
        let files = try FileManager.default.contentsOfDirectory(atPath: folder)
        #expect(!files.contains { $0.hasSuffix(".error") }, "a cancelled run did not fail")

        // A new fetch is under way when the server is told to stop.
        _ = try server.request("POST", "/api/sweeps", body: Self.definition("llm-again", llm: 1))
        Thread.sleep(forTimeInterval: 0.5)
        let stopping = Date()
        #expect(server.terminate() == 0)
        #expect(Date().timeIntervalSince(stopping) < 5, "SIGTERM within the grace, not after the model's timeout")
    }

    @Test func slowModel_IsWhatTheSweepSaysItWaitsFor_UntilItsTableArrives() throws {
        let model = try FakeModel(.slow(0.5))
        defer { model.stop() }
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let server = try ServerProcess(
            dataDirectory: root + "/data", config: try Self.config(root, endpoint: model.endpoint), workers: 1)
        defer { server.kill() }
        let definition = #"""
            {"name": "slow", "defaults": {"grid_size": 48, "generations": 300},
             "groups": [{"prefix": "llm", "mode": "llm_control", "replicates": 5}]}
            """#
        let id = Self.id(try server.request("POST", "/api/sweeps", body: Array(definition.utf8)))
        var status = try server.json("/api/sweeps/\(id)")
        let deadline = Date().addingTimeInterval(10)
        while status["waiting"] == nil && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.05)
            status = try server.json("/api/sweeps/\(id)")
        }
        #expect((status["waiting"] as? String)?.contains("language model's rule table") == true, "\(status)")
        // Once the table is known the sweep no longer says it waits for it.
        var completed = 0
        while completed == 0 && Date() < deadline.addingTimeInterval(30) {
            Thread.sleep(forTimeInterval: 0.05)
            status = try server.json("/api/sweeps/\(id)")
            completed = (status["progress"] as? [String: Any])?["runs_completed"] as? Int ?? 0
        }
        #expect(completed > 0 && status["waiting"] == nil, "\(status)")
        _ = try server.wait(for: id, status: "completed", timeout: 120)
    }

    @Test(arguments: [401, 500])
    func modelThatEchoesTheKey_LeavesItInNoFileAnswerOrLogLine(_ status: Int) throws {
        let key = "sk-test-0123456789-SECRET-KEY"
        let model = try FakeModel(.echoingKey(status))
        defer { model.stop() }
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        // Credentials in the URL are refused at start-up, naming the setting and the way instead.
        let password = "url-password-SECRET"
        let withPassword = model.endpoint.replacingOccurrences(of: "http://", with: "http://user:\(password)@")
        #expect(throws: ServerProcess.ServerError.self) {
            try ServerProcess(dataDirectory: root + "/refused", config: try Self.config(root, endpoint: withPassword))
        }
        let server = try ServerProcess(
            dataDirectory: root + "/data", config: try Self.config(root, endpoint: model.endpoint),
            environment: ["OPENAI_API_KEY": key], logFile: root + "/server.log")
        defer { server.kill() }
        let id = Self.id(try server.request("POST", "/api/sweeps", body: Self.definition("echo", llm: 2, classical: 1)))
        _ = try server.wait(for: id, status: "failed")
        #expect(model.requests >= 1)

        var seen: [String: String] = [:]
        for path in [
            "/api/sweeps/\(id)", "/api/sweeps", "/api/sweeps/\(id)/runs", "/api/sweeps/\(id)/runs/llm_1",
            "/api/sweeps/\(id)/manifest.json", "/metrics",
        ] {
            seen[path] = String(decoding: try server.request("GET", path).body, as: UTF8.self)
        }
        #expect(seen["/api/sweeps/\(id)/runs"]?.contains("answered \(status)") == true, "the failure is explained")
        try shell("cd '\(root)' && mkdir x && curl -sf http://127.0.0.1:\(server.port)/api/sweeps/\(id)/dataset.tar.gz | tar -xz -C x")
        _ = server.terminate()
        for (path, data) in try tree(root) where path != "server.json" {
            seen[path] = String(decoding: data, as: UTF8.self)
        }
        #expect(seen.keys.contains("server.log") && seen.keys.contains { $0.hasSuffix("llm_1.error") })
        for (place, text) in seen {
            #expect(!text.contains(key) && !text.contains(password), "a secret in \(place)")
        }
    }
}
