import Foundation
import TestSupport
import Testing

/// Memory is bounded by configuration, not by clients: a thousand clients that ask for
/// answers of several MB and never read cost the server a bounded part of each answer, and
/// the memory goes back when they leave.
@Suite(.serialized) struct SlowReaderMemoryTests {
    static func answered(_ server: ServerProcess) throws -> Int {
        let metrics = String(decoding: try server.request("GET", "/metrics").body, as: UTF8.self)
        return metrics.split(separator: "\n").filter { $0.hasPrefix("morphic_http_requests_total{code=\"200\"}") || $0.hasPrefix("morphic_http_requests_total{code=\"503\"}") }
            .compactMap { Int($0.split(separator: " ").last ?? "") }.reduce(0, +)
    }

    /// The figure 1,000 clients that never read may cost the server in all, whatever the
    /// size of the answers they asked for: the bound on bytes held for them (128 MiB by
    /// default) and what each open connection costs besides.
    static let figure = 256 << 20

    /// A gauge or counter of /metrics.
    static func metric(_ server: ServerProcess, _ name: String) throws -> Int {
        let metrics = String(decoding: try server.request("GET", "/metrics").body, as: UTF8.self)
        let line = metrics.split(separator: "\n").first { $0.hasPrefix(name + " ") }
        return Int(line?.split(separator: " ").last ?? "") ?? -1
    }

    @Test func aThousandClientsThatNeverRead_StayWithinTheBound_AndTheMemoryReturns() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let bound = 128 << 20
        // The kernel's send buffer is kept small, so what is unsent stays mostly in the
        // server's memory instead of the socket's: what the figure is about. With the
        // kernel's default, each connection's socket holds up to `tcp_wmem`'s maximum more.
        try #"{"limits": {"max_queued_response_bytes": \#(bound), "socket_send_buffer_bytes": 16384, "handler_timeout_seconds": 600, "max_queue_delay_seconds": 600}}"#.write(
            toFile: data + "/server.json", atomically: true, encoding: .utf8)
        let server = try ServerProcess(
            dataDirectory: data + "/d", config: data + "/server.json", logFile: NSTemporaryDirectory() + "/slow-readers.log")
        defer { server.kill() }
        let runs = 1000
        let id = HostileClientTests.id(
            try server.request("POST", "/api/sweeps", body: HostileClientTests.definition(name: "slow", runs: runs)))
        _ = try server.wait(for: id, status: "completed")
        // Pages of 1.2 MB and the export, produced as the clients read: neither is held
        // whole; each holds its share of the bound while it lasts.
        let paths = ["/api/sweeps/\(id)/runs?limit=\(runs)", "/api/sweeps/\(id)/runs.csv"]
        let sizes = try paths.map { try server.request("GET", $0).body.count }
        #expect(sizes[0] > 1_000_000, "each page is \(sizes[0]) bytes")
        Thread.sleep(forTimeInterval: 0.5)
        let before = server.residentBytes
        let counted = try Self.answered(server)
        let refusedBefore = try Self.metric(server, "morphic_http_held_refused_total")
        let clients = 1000
        var held: [LoopbackClient] = []
        for n in 0..<clients {
            // From 50 loopback addresses, 20 clients each: within each address's share of the
            // pool (`blocking_per_client`), so no request is refused for its client's share.
            let client = try LoopbackClient(port: server.port, timeout: 60, source: "127.0.0.\(2 + n % 50)")
            client.shrinkReceiveBuffer(4096)
            // Half gzip-coded (zlib's state held as they stream), one in five the export.
            let path = n % 5 == 4 ? paths[1] : paths[0]
            client.send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(n % 2 == 0 ? "Accept-Encoding: gzip\r\n" : "")\r\n")
            held.append(client)
        }
        // Wait until every request has been answered (its answer under way, or refused).
        let deadline = Date().addingTimeInterval(240)
        var peak = server.residentBytes
        var heldPeak = 0
        while try Self.answered(server) - counted < clients && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.25)
            peak = max(peak, server.residentBytes)
            heldPeak = max(heldPeak, try Self.metric(server, "morphic_http_held_bytes"))
        }
        let answered = try Self.answered(server) - counted
        #expect(answered >= clients, "every request was answered (\(answered))")
        for _ in 0..<8 {
            Thread.sleep(forTimeInterval: 0.25)
            peak = max(peak, server.residentBytes)
            heldPeak = max(heldPeak, try Self.metric(server, "morphic_http_held_bytes"))
        }
        #expect(try server.request("GET", "/healthz").status == 200, "the server still answers")
        let streams = try AbortedDownloadTests.streams(server)
        let refused = try Self.metric(server, "morphic_http_held_refused_total") - refusedBefore
        print(
            "\(clients) clients that never read, pages of \(sizes[0]) bytes and exports of \(sizes[1]) (\((clients * sizes[0]) >> 20) MiB if held whole), half gzip-coded: \(streams) streaming, \(refused) refused 503 for the bound of \(bound >> 20) MiB, \(heldPeak >> 20) MiB held at most; server RSS \(before >> 20) MiB before, \(peak >> 20) MiB at most"
        )
        #expect(streams + refused >= clients, "each is streamed or refused: \(streams) + \(refused)")
        #expect(streams >= clients / 2, "most are streamed: \(streams)")
        #expect(heldPeak <= bound, "the bound holds: \(heldPeak)")
        #expect(peak - before < Self.figure, "the clients cost \((peak - before) >> 20) MiB")
        held.removeAll()
        Thread.sleep(forTimeInterval: 2)
        let after = server.residentBytes
        let left = try AbortedDownloadTests.settledStreams(server)
        let heldAfter = try Self.metric(server, "morphic_http_held_bytes")
        print("after they closed: \(after >> 20) MiB, \(left) answers being produced, \(heldAfter) bytes held")
        #expect(left == 0)
        #expect(heldAfter == 0, "every reservation was given back")
        #expect(after - before < 48 << 20, "memory returned: \(after >> 20) MiB after, \(before >> 20) MiB before")
        #expect(try server.request("GET", paths[0]).status == 200)
    }

    /// Responses counted in /metrics, by status.
    static func counts(_ server: ServerProcess) throws -> [Int: Int] {
        let metrics = String(decoding: try server.request("GET", "/metrics").body, as: UTF8.self)
        var counts: [Int: Int] = [:]
        for line in metrics.split(separator: "\n") where line.hasPrefix("morphic_http_requests_total{code=\"") {
            let code = Int(line.dropFirst("morphic_http_requests_total{code=\"".count).prefix(3)) ?? 0
            counts[code] = Int(line.split(separator: " ").last ?? "") ?? 0
        }
        return counts
    }

    @Test func answersHeldInMemory_PastTheBound_Get503_CountedOnceEach() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        try #"{"limits": {"max_queued_response_bytes": 1048576, "socket_send_buffer_bytes": 16384}}"#.write(
            toFile: data + "/server.json", atomically: true, encoding: .utf8)
        let server = try ServerProcess(dataDirectory: data + "/d", config: data + "/server.json")
        defer { server.kill() }
        let id = HostileClientTests.id(
            try server.request(
                "POST", "/api/sweeps", body: HostileClientTests.definition(name: "held", runs: 1, grid: 64, generations: 100)))
        _ = try server.wait(for: id, status: "completed")
        // A run's frames are answered whole from memory: 101 frames of a 64 × 64 grid, about 155 KB.
        let path = "/api/sweeps/\(id)/runs/r_1/frames"
        let size = try server.request("GET", path).body.count
        try #require(size > 96 * 1024, "each answer is \(size) bytes")
        let baseline = try Self.counts(server)
        var polls = 1
        let clients = 40
        var held: [LoopbackClient] = []
        for n in 0..<clients {
            // Two clients an address: within each address's share of the frames pool.
            let client = try LoopbackClient(port: server.port, timeout: 60, source: "127.0.0.\(2 + n / 2)")
            client.shrinkReceiveBuffer(4096)
            client.send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            held.append(client)
        }
        // Every metrics request before the last is counted as a 200 of its own.
        func delta(_ counts: [Int: Int]) -> (ok: Int, busy: Int) {
            ((counts[200] ?? 0) - (baseline[200] ?? 0) - polls, (counts[503] ?? 0) - (baseline[503] ?? 0))
        }
        let deadline = Date().addingTimeInterval(60)
        var now = delta(try Self.counts(server))
        while now.ok + now.busy < clients && Date() < deadline {
            polls += 1
            Thread.sleep(forTimeInterval: 0.1)
            now = delta(try Self.counts(server))
        }
        Thread.sleep(forTimeInterval: 0.5)
        polls += 1
        now = delta(try Self.counts(server))
        print("\(clients) clients that never read answers of \(size) bytes under a bound of 1 MiB: \(now.ok) sent, \(now.busy) refused")
        #expect(now.busy > 0 && now.ok > 0, "some answers were held, the rest refused: \(now)")
        #expect(now.ok + now.busy == clients, "each request counted once: \(now.ok) 200 and \(now.busy) 503")
        held.removeAll()
    }
}
