import Foundation
import TestSupport
import Testing

/// Clients that send an expensive request and go at once (closing, or resetting) leave
/// nothing to answer: their queued work is skipped, so a cheap request behind them is
/// answered promptly instead of waiting for answers nobody reads.
@Suite(.serialized) struct AbandonedRequestTests {
    static func metric(_ text: String, _ name: String) -> Int {
        text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Int($0.split(separator: " ")[1]) } ?? -1
    }

    @Test func requestsOfGoneClients_AreSkipped_AndOthersAnsweredPromptly() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let server = try ServerProcess(dataDirectory: data)
        defer { server.kill() }
        // 1,000 finished runs: each listing of all of them is about 400 KB of JSON to build, a
        // second or more in a debug build on a busy machine; 150 of them would be minutes.
        let id = HostileClientTests.id(
            try server.request("POST", "/api/sweeps", body: HostileClientTests.definition(name: "abandon", runs: 1_000)))
        _ = try server.wait(for: id, status: "completed")
        let sent = 150
        for index in 0..<sent {
            let client = try LoopbackClient(port: server.port)
            // Half close (FIN), half reset (RST): every way a client gives up.
            if index % 2 == 1 { client.resetOnClose() }
            client.send("GET /api/sweeps/\(id)/runs?limit=10000 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        }
        let start = Date()
        let cheap = try server.request("GET", "/app.js")
        let elapsed = Date().timeIntervalSince(start)
        #expect(cheap.status == 200)
        #expect(elapsed < 5, "a pool-served request behind \(sent) abandoned ones took \(elapsed) s")
        // Whatever was queued has been taken by now (skipped, or built before its client went).
        var abandoned = 0
        for _ in 0..<100 {
            let metrics = String(decoding: try server.request("GET", "/metrics").body, as: UTF8.self)
            abandoned = Self.metric(metrics, "morphic_http_abandoned_total")
            if (try? server.json("/api/sweeps/\(id)/runs?limit=1")) != nil, abandoned >= sent / 2 { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        print("abandoned requests: \(abandoned) of \(sent) skipped; a cheap request answered in \(elapsed) s")
        #expect(abandoned >= sent / 2 && abandoned <= sent, "\(abandoned) of \(sent) skipped")
    }
}
