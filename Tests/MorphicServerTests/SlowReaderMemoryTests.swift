import Foundation
import TestSupport
import Testing

/// Memory is bounded by configuration, not by clients: a thousand clients that ask for a
/// large answer and never read cost the server at most `max_queued_response_bytes` of
/// answers, and the memory goes back when they leave.
@Suite(.serialized) struct SlowReaderMemoryTests {
    static func answered(_ server: ServerProcess) throws -> Int {
        let metrics = String(decoding: try server.request("GET", "/metrics").body, as: UTF8.self)
        return metrics.split(separator: "\n").filter { $0.hasPrefix("morphic_http_requests_total{code=\"200\"}") || $0.hasPrefix("morphic_http_requests_total{code=\"503\"}") }
            .compactMap { Int($0.split(separator: " ").last ?? "") }.reduce(0, +)
    }

    @Test func aThousandClientsThatNeverRead_StayWithinTheBound_AndTheMemoryReturns() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let bound = 32 << 20
        // The kernel's send buffer is kept small, so each answer (124 KB) stays mostly in the
        // server's memory instead of the socket's: what the bound is about. With the
        // kernel's default the same holds for answers over its 4 MiB.
        try #"{"limits": {"max_queued_response_bytes": \#(bound), "socket_send_buffer_bytes": 16384, "handler_timeout_seconds": 600}}"#.write(
            toFile: data + "/server.json", atomically: true, encoding: .utf8)
        let server = try ServerProcess(
            dataDirectory: data + "/d", config: data + "/server.json", logFile: NSTemporaryDirectory() + "/slow-readers.log")
        defer { server.kill() }
        let id = HostileClientTests.id(
            try server.request("POST", "/api/sweeps", body: HostileClientTests.definition(name: "slow", runs: 1000)))
        _ = try server.wait(for: id, status: "completed")
        let path = "/api/sweeps/\(id)/runs?limit=100"
        let size = try server.request("GET", path).body.count
        #expect(size > 100_000, "each answer is \(size) bytes")
        Thread.sleep(forTimeInterval: 0.5)
        let before = server.residentBytes
        let counted = try Self.answered(server)
        let clients = 1000
        var held: [LoopbackClient] = []
        for _ in 0..<clients {
            let client = try LoopbackClient(port: server.port, timeout: 60)
            client.shrinkReceiveBuffer(4096)
            client.send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            held.append(client)
        }
        // Wait until every request has been answered (held for its client, or refused).
        let deadline = Date().addingTimeInterval(240)
        var peak = server.residentBytes
        while try Self.answered(server) - counted < clients && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.25)
            peak = max(peak, server.residentBytes)
        }
        #expect(try Self.answered(server) - counted >= clients, "every request was answered")
        Thread.sleep(forTimeInterval: 1)
        peak = max(peak, server.residentBytes)
        #expect(try server.request("GET", "/healthz").status == 200, "the server still answers")
        print(
            "\(clients) clients that never read, answers of \(size) bytes (\((clients * size) >> 20) MiB unbounded): server RSS \(before >> 20) MiB before, \(peak >> 20) MiB at most"
        )
        #expect(peak < 256 << 20, "RSS reached \(peak >> 20) MiB")
        #expect(peak - before < bound + 96 << 20, "grew by \((peak - before) >> 20) MiB for a bound of \(bound >> 20) MiB")
        held.removeAll()
        Thread.sleep(forTimeInterval: 2)
        let after = server.residentBytes
        print("after they closed: \(after >> 20) MiB")
        #expect(after - before < 48 << 20, "memory returned: \(after >> 20) MiB after, \(before >> 20) MiB before")
        #expect(try server.request("GET", path).status == 200)
    }
}
