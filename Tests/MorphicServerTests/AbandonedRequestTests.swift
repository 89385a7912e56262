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
        // From another address, since the abandoned ones may still hold their own address's
        // share of the pool. Built rather than skipped, the 150 answers would take minutes;
        // the bound leaves room for a loaded machine.
        let start = Date()
        let other = try LoopbackClient(port: server.port, timeout: 60, source: "127.0.0.2")
        other.send("GET /js/main.js HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        let cheap = other.read().text
        let elapsed = Date().timeIntervalSince(start)
        #expect(cheap.hasPrefix("HTTP/1.1 200 "), "\(cheap.prefix(80))")
        #expect(elapsed < 20, "a pool-served request behind \(sent) abandoned ones took \(elapsed) s")
        // Whatever was queued has been taken by now: skipped, refused past the client's
        // share of the pool, or built before its client was seen to go (one per thread).
        var abandoned = 0
        var refused = 0
        for _ in 0..<100 {
            let metrics = String(decoding: try server.request("GET", "/metrics").body, as: UTF8.self)
            abandoned = Self.metric(metrics, "morphic_http_abandoned_total")
            refused = Self.metric(metrics, #"morphic_http_requests_total{code="503"}"#)
            if (try? server.json("/api/sweeps/\(id)/runs?limit=1")) != nil, abandoned + max(0, refused) >= sent - 8 { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        let built = sent - abandoned - max(0, refused)
        print("abandoned requests: \(abandoned) skipped, \(refused) refused, \(built) built of \(sent); a cheap request answered in \(elapsed) s")
        #expect(abandoned > 0 && built >= 0 && built <= 8, "\(abandoned) skipped, \(refused) refused of \(sent)")
    }

    /// A client that half-closes after a request that changes something (FIN after its
    /// request, as `nc -N` does) is still answered: the change is made either way, and the
    /// client is told what happened. Reads it asks for this way are taken as given up.
    @Test func changesAskedByAHalfClosedClient_AreAnswered() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let server = try ServerProcess(dataDirectory: data)
        defer { server.kill() }
        func halfClosed(_ request: String) -> String {
            guard let client = try? LoopbackClient(port: server.port, timeout: 30) else { return "" }
            client.send(request)
            client.finishSending()
            return client.read().text
        }
        for index in 0..<10 {
            let body = String(decoding: HostileClientTests.definition(name: "half-\(index)", runs: 400), as: UTF8.self)
            let created = halfClosed(
                "POST /api/sweeps HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: \(body.utf8.count)\r\n\r\n" + body)
            #expect(created.hasPrefix("HTTP/1.1 202 "), "submit \(index): \(created.prefix(60))")
            let id = created.components(separatedBy: "\"id\": \"").dropFirst().first?.prefix { $0 != "\"" } ?? ""
            let cancelled = halfClosed("POST /api/sweeps/\(id)/cancel HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n")
            #expect(cancelled.hasPrefix("HTTP/1.1 200 ") || cancelled.hasPrefix("HTTP/1.1 409 "), "cancel \(index): \(cancelled.prefix(60))")
            _ = try server.wait(for: String(id), status: "cancelled", "completed")
            // A cancelled sweep whose runs are still stopping is deleted a moment later (409 until then).
            var deleted = ""
            for _ in 0..<100 {
                deleted = halfClosed("DELETE /api/sweeps/\(id) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                guard deleted.hasPrefix("HTTP/1.1 409 ") && deleted.contains("in a moment") else { break }
                Thread.sleep(forTimeInterval: 0.1)
            }
            #expect(deleted.hasPrefix("HTTP/1.1 204 "), "delete \(index): \(deleted.prefix(60))")
        }
        #expect(try server.json("/api/sweeps")["total"] as? Int == 0)
    }

    @Test func oneClient_HoldsAtMostItsShareOfThePool_AndOthersAreServed() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        // Runs pages are queries (they sort every run), admitted on the query pool.
        let config = try HostileClientTests.config(data, #"{"limits": {"query_per_client": 2}}"#)
        let server = try ServerProcess(dataDirectory: data, config: config)
        defer { server.kill() }
        let id = HostileClientTests.id(
            try server.request("POST", "/api/sweeps", body: HostileClientTests.definition(name: "share", runs: 1_000)))
        _ = try server.wait(for: id, status: "completed")
        // One address asks for 12 expensive answers at once and waits for them all.
        let greedy = try (0..<12).map { _ in try LoopbackClient(port: server.port, timeout: 60) }
        for client in greedy {
            client.send("GET /api/sweeps/\(id)/runs?limit=10000 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        }
        // Another address is served by a free thread, not queued behind them.
        let start = Date()
        let other = try LoopbackClient(port: server.port, source: "127.0.0.2")
        other.send("GET /js/main.js HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        let answer = other.read().text
        let elapsed = Date().timeIntervalSince(start)
        #expect(answer.hasPrefix("HTTP/1.1 200 "))
        #expect(elapsed < 20, "another client waited \(elapsed) s")
        let answers = greedy.map { $0.read(until: { $0.contains("\r\n\r\n") }).text }
        let refused = answers.filter { $0.hasPrefix("HTTP/1.1 503 ") && $0.lowercased().contains("retry-after: 1") }.count
        print("one client's share: \(12 - refused) of 12 admitted; another client answered in \(elapsed) s")
        #expect(refused >= 9 && refused <= 10, "\(refused) of 12 refused")
    }
}
