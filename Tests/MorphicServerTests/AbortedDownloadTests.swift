import Foundation
import Glibc
import TestSupport
import Testing

/// Every file an answer opens is closed however the download ends: the client closing
/// before the answer, after part of it, or resetting the connection. Counted from the
/// server's own descriptor table, so a leak of any kind shows.
@Suite(.serialized) struct AbortedDownloadTests {
    /// A finished sweep with an archive of a few hundred KiB: several chunks to stream.
    static func sweep(_ server: ServerProcess) throws -> String {
        let definition = #"""
            {"name": "aborts", "defaults": {"grid_size": 32, "generations": 200},
             "groups": [{"prefix": "m", "mode": "morphic", "replicates": 8}]}
            """#
        let response = try server.request("POST", "/api/sweeps", body: Array(definition.utf8))
        let id = ((try JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any])?["id"] as? String ?? ""
        _ = try server.wait(for: id, status: "completed")
        return id
    }

    static func routes(_ id: String) -> [String] {
        [
            "/api/sweeps/\(id)/dataset.tar.gz", "/api/sweeps/\(id)/manifest.json", "/api/sweeps/\(id)/runs/m_3",
            "/js/main.js", "/api/sweeps/\(id)/runs/m_2/frames?to=20",
        ]
    }

    /// One download given up in one of three ways, by `round`: closed before any answer
    /// (FIN), closed after 4 KiB with the rest unread (the kernel resets), or reset at once.
    static func abort(_ path: String, port: Int, round: Int, gzip: Bool) throws {
        let client = try LoopbackClient(port: port, timeout: 5)
        client.shrinkReceiveBuffer(4096)
        let coding = gzip ? "Accept-Encoding: gzip\r\n" : ""
        // The partial reader asks the server to close, so an answer under 4 KiB ends its read.
        let close = round % 3 == 1 ? "Connection: close\r\n" : ""
        client.send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(coding)\(close)\r\n")
        switch round % 3 {
        case 0: break
        case 1: _ = client.read(bytes: 4096)
        default: client.resetOnClose()
        }
    }

    /// Waits up to `seconds` for the descriptor count to fall to `baseline`; returns the last count.
    static func settle(_ server: ServerProcess, to baseline: Int, seconds: Double = 10) -> Int {
        let deadline = Date().addingTimeInterval(seconds)
        var count = server.openDescriptors
        while count > baseline && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.1)
            count = server.openDescriptors
        }
        return count
    }

    @Test func abortedDownloads_OfEveryFileRoute_LeaveNoDescriptorOpen() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let server = try ServerProcess(dataDirectory: data)
        defer { server.kill() }
        let id = try Self.sweep(server)
        for path in Self.routes(id) { #expect(try server.request("GET", path).status == 200, "\(path)") }
        Thread.sleep(forTimeInterval: 0.5)
        let baseline = server.openDescriptors
        let rounds = 600
        for path in Self.routes(id) {
            for round in 0..<rounds { try Self.abort(path, port: server.port, round: round, gzip: round % 2 == 0) }
            let count = Self.settle(server, to: baseline)
            print("\(path): \(rounds) aborted downloads, descriptors \(baseline) before, \(count) after")
            #expect(count <= baseline, "\(path): \(count - baseline) descriptors left open")
        }
        for path in Self.routes(id) { #expect(try server.request("GET", path).status == 200, "\(path)") }
    }

    /// A finished, failed or cancelled sweep writes no more records: the descriptors of its
    /// packs are given back, so a server keeping many sweeps does not run out of them.
    @Test func sweepsThatStopWriting_HoldNoDescriptor() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let server = try ServerProcess(dataDirectory: data)
        defer { server.kill() }
        // One sweep first, so that what any sweep leaves behind (threads, the log) is counted.
        _ = try Self.sweep(server)
        Thread.sleep(forTimeInterval: 0.5)
        let baseline = server.openDescriptors
        var ids: [String] = []
        for index in 0..<40 {
            let definition = #"{"name": "held-\#(index)", "defaults": {"grid_size": 8, "generations": 10}, "groups": [{"prefix": "r", "replicates": 2}]}"#
            let response = try server.request("POST", "/api/sweeps", body: Array(definition.utf8))
            let id = ((try JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any])?["id"] as? String
            ids.append(id ?? "")
        }
        for id in ids { _ = try server.wait(for: id, status: "completed") }
        // And one cancelled while it runs, once its quick runs have written their records.
        let long = #"""
            {"name": "cancelled", "defaults": {"grid_size": 96, "generations": 4000},
             "groups": [{"prefix": "q", "replicates": 50, "params": {"grid_size": 8, "generations": 10}},
                        {"prefix": "r", "replicates": 8}]}
            """#
        let response = try server.request("POST", "/api/sweeps", body: Array(long.utf8))
        let id = ((try JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any])?["id"] as? String ?? ""
        var written = 0
        for _ in 0..<600 where written < 50 {
            let progress = try server.json("/api/sweeps/\(id)")["progress"] as? [String: Any]
            written = progress?["runs_completed"] as? Int ?? 0
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(written >= 50, "the quick runs finished")
        #expect(try server.request("POST", "/api/sweeps/\(id)/cancel").status == 200)
        _ = try server.wait(for: id, status: "cancelled")
        // And sweeps cancelled while they share the workers with another: some are cancelled
        // with a group running, some between their groups, waiting behind the other's.
        func submit(_ text: String) throws -> String {
            let response = try server.request("POST", "/api/sweeps", body: Array(text.utf8))
            return ((try JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any])?["id"] as? String ?? ""
        }
        let busy = try submit(#"{"name": "busy", "defaults": {"grid_size": 32, "generations": 200}, "groups": [{"prefix": "b", "replicates": 3000}]}"#)
        _ = try server.wait(for: busy, status: "running")
        for cycle in 0..<8 {
            let shared = try submit(#"{"name": "shared-\#(cycle)", "defaults": {"grid_size": 16, "generations": 50}, "groups": [{"prefix": "s", "replicates": 1000}]}"#)
            Thread.sleep(forTimeInterval: 0.1 + 0.05 * Double(cycle))
            _ = try server.request("POST", "/api/sweeps/\(shared)/cancel")
            _ = try server.wait(for: shared, status: "cancelled", "completed")
        }
        #expect(try server.request("POST", "/api/sweeps/\(busy)/cancel").status == 200)
        _ = try server.wait(for: busy, status: "cancelled")
        let count = Self.settle(server, to: baseline)
        print("50 stopped sweeps: descriptors \(baseline) before, \(count) after")
        #expect(count <= baseline, "\(count - baseline) descriptors held by sweeps that write no more")
    }

    @Test func underALowDescriptorLimit_AbortsNeverStopTheServer() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let server = try ServerProcess(dataDirectory: data, descriptorLimit: 256)
        defer { server.kill() }
        let id = try Self.sweep(server)
        for path in Self.routes(id) { #expect(try server.request("GET", path).status == 200) }
        Thread.sleep(forTimeInterval: 0.5)
        let baseline = server.openDescriptors
        // Four times the limit: each leaked file would have exhausted it long before.
        for round in 0..<1024 {
            try Self.abort(Self.routes(id)[round % 2], port: server.port, round: round / 2, gzip: round % 4 < 2)
        }
        #expect(Self.settle(server, to: baseline) <= baseline)
        for path in Self.routes(id) + ["/", "/healthz"] {
            #expect(try server.request("GET", path).status == 200, "\(path) is served")
        }
    }

    /// Answers being produced, from the server's metrics.
    static func streams(_ server: ServerProcess) throws -> Int {
        let metrics = String(decoding: try server.request("GET", "/metrics").body, as: UTF8.self)
        let line = metrics.split(separator: "\n").first { $0.hasPrefix("morphic_http_streams ") }
        return Int(line?.split(separator: " ").last ?? "") ?? -1
    }

    /// Waits up to `seconds` for no answer to be in production (the pool thread that made
    /// the last chunk may still hold it a moment); returns the last count.
    static func settledStreams(_ server: ServerProcess, seconds: Double = 30) throws -> Int {
        var open = try streams(server)
        let deadline = Date().addingTimeInterval(seconds)
        while open > 0 && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.1)
            open = try streams(server)
        }
        return open
    }

    @Test func abortedDownloads_OfEveryStreamedRoute_ReleaseTheirProducers() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let server = try ServerProcess(dataDirectory: data)
        defer { server.kill() }
        let id = HostileClientTests.id(
            try server.request("POST", "/api/sweeps", body: HostileClientTests.definition(name: "streams", runs: 1000)))
        _ = try server.wait(for: id, status: "completed")
        // A page of 1.2 MB and an export of about 100 KB: several chunks each.
        let routes = ["/api/sweeps/\(id)/runs?limit=1000", "/api/sweeps/\(id)/runs.csv"]
        for path in routes {
            let whole = try server.request("GET", path)
            #expect(whole.status == 200 && whole.body.count > 64 * 1024, "\(path): \(whole.body.count) bytes")
            #expect(whole.headers["transfer-encoding"] == "chunked", "\(path) is produced as it is sent")
            // HEAD and a conditional GET make nothing: the fields, or a 304, from the tag.
            let head = try server.request("HEAD", path)
            #expect(head.status == 200 && head.body.isEmpty && head.headers["etag"] == whole.headers["etag"], "HEAD \(path)")
            let tag = try #require(whole.headers["etag"])
            #expect(try server.request("GET", path, headers: ["If-None-Match": tag]).status == 304, "\(path) unchanged")
        }
        #expect(try Self.settledStreams(server) == 0)
        Thread.sleep(forTimeInterval: 0.5)
        let baseline = server.openDescriptors
        let rounds = 600
        for path in routes {
            for round in 0..<rounds { try Self.abort(path, port: server.port, round: round, gzip: round % 2 == 0) }
            let open = try Self.settledStreams(server)
            let count = Self.settle(server, to: baseline)
            print("\(path): \(rounds) aborted answers, \(open) still produced, descriptors \(baseline) before, \(count) after")
            #expect(open == 0, "\(path): \(open) answers still held")
            #expect(count <= baseline, "\(path): \(count - baseline) descriptors left open")
        }
        for path in routes { #expect(try server.request("GET", path).status == 200, "\(path)") }
    }
}
