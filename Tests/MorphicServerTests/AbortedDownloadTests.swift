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
}
