import Foundation
import Synchronization
import TestSupport
import Testing

/// The real server under clients that break the rules or never finish: values at the edge
/// of every limit, cross-site pages, clients that never read, and floods.
@Suite(.serialized) struct HostileClientTests {
    static func definition(name: String, runs: Int, grid: Int = 3, generations: Int = 1) -> [UInt8] {
        Array(
            """
            {"name": "\(name)", "defaults": {"grid_size": \(grid), "generations": \(generations)},
             "groups": [{"prefix": "r", "mode": "classical", "replicates": \(runs)}]}
            """.utf8)
    }

    static func config(_ folder: String, _ json: String) throws -> String {
        let path = folder + "/server.json"
        try json.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    static func id(_ response: (status: Int, headers: [String: String], body: [UInt8])) -> String {
        ((try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any])?["id"] as? String ?? ""
    }

    static func error(_ response: (status: Int, headers: [String: String], body: [UInt8])) -> [String: Any] {
        ((try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any])?["error"] as? [String: Any]
            ?? [:]
    }

    @Test func extremeOffsets_AreRefusedNamingTheParameter_AndTheServerLives() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let server = try ServerProcess(dataDirectory: data)
        defer { server.kill() }
        let id = Self.id(try server.request("POST", "/api/sweeps", body: Self.definition(name: "edge", runs: 5)))
        for (query, status, field) in [
            ("offset=9223372036854775000", 400, "offset"), ("offset=-1", 400, "offset"),
            ("offset=1000000000", 200, nil), ("offset=1000000001", 400, "offset"), ("limit=0", 400, "limit"),
            ("limit=10000", 200, nil), ("limit=10001", 400, "limit"), ("limit=9223372036854775807", 400, "limit"),
            ("offset=1e3", 400, "offset"), ("offset=%ZZ", 400, nil), ("offset=4&limit=1", 200, nil),
        ] {
            let response = try server.request("GET", "/api/sweeps/\(id)/runs?\(query)")
            #expect(response.status == status, "\(query)")
            if let field { #expect(Self.error(response)["field"] as? String == field, "\(query)") }
        }
        let list = try server.request("GET", "/api/sweeps?offset=9223372036854775807")
        #expect(list.status == 400 && Self.error(list)["field"] as? String == "offset")
        let page = try server.json("/api/sweeps?offset=0&limit=1")
        #expect(page["total"] as? Int == 1 && (page["sweeps"] as? [Any])?.count == 1)
        #expect(try server.request("GET", "/healthz").status == 200)
    }

    @Test func browserOriginRules_KeepCrossSitePagesOut_AndThePageIn() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let server = try ServerProcess(dataDirectory: data)
        defer { server.kill() }
        let body = Self.definition(name: "origin", runs: 2)
        let own = "http://127.0.0.1:\(server.port)"
        let host = "127.0.0.1:\(server.port)"
        let refused: [([String: String], Int)] = [
            (["Content-Type": "text/plain"], 415), (["Content-Type": "application/jsonx"], 415),
            (["Content-Type": "application/x-www-form-urlencoded"], 415),
            (["Origin": "http://evil.example", "Host": host], 403), (["Origin": "null", "Host": host], 403),
            (["Sec-Fetch-Site": "cross-site"], 403), (["Host": "evil.example:\(server.port)"], 421),
            (["Host": "rebind.attacker.example"], 421),
        ]
        for (headers, status) in refused {
            #expect(try server.request("POST", "/api/sweeps", body: body, headers: headers).status == status, "\(headers)")
        }
        #expect(try server.request("GET", "/api/sweeps", headers: ["Host": "evil.example"]).status == 421)
        #expect(try server.json("/api/sweeps")["total"] as? Int == 0, "a refused request stored nothing")
        // No Content-Type at all.
        let client = try LoopbackClient(port: server.port)
        client.send(Array("POST /api/sweeps HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body)
        #expect(client.read { $0.contains("\r\n\r\n") }.text.hasPrefix("HTTP/1.1 415 "))
        // The page itself: same origin, JSON, any loopback name.
        let accepted = try server.request(
            "POST", "/api/sweeps", body: body,
            headers: ["Origin": own, "Host": host, "Sec-Fetch-Site": "same-origin", "Content-Type": "application/json; charset=utf-8"])
        #expect(accepted.status == 202)
        #expect(try server.request("GET", "/healthz", headers: ["Host": "localhost:\(server.port)"]).status == 200)
        #expect(try server.request("GET", "/healthz", headers: ["Host": "[::1]:\(server.port)"]).status == 200)
        let absolute = try LoopbackClient(port: server.port)
        absolute.send("GET http://127.0.0.1:\(server.port)/healthz HTTP/1.1\r\nHost: ignored\r\n\r\n")
        #expect(absolute.read { $0.contains("\"ok\"") }.text.hasPrefix("HTTP/1.1 200 "))
    }

    @Test func allowedHosts_AndALowerCaseBearer_AreAccepted() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let token = "correct-horse-battery-staple"
        let config = try Self.config(data, #"{"allowed_hosts": ["lab.example.org"], "api_token": "\#(token)"}"#)
        let server = try ServerProcess(dataDirectory: data + "/d", config: config)
        defer { server.kill() }
        #expect(try server.request("GET", "/healthz", headers: ["Host": "LAB.example.org:8080"]).status == 200)
        #expect(try server.request("GET", "/healthz", headers: ["Host": "other.example.org"]).status == 421)
        let body = Self.definition(name: "bearer", runs: 1)
        #expect(try server.request("POST", "/api/sweeps", body: body, headers: ["Authorization": "bearer " + token]).status == 202)
        #expect(try server.request("POST", "/api/sweeps", body: body, headers: ["Authorization": "Basic " + token]).status == 401)
    }

    @Test func storedSweeps_AreCapped_AtTheLimitAndOnePast() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let config = try Self.config(data, #"{"limits": {"max_stored_sweeps": 2}}"#)
        let server = try ServerProcess(dataDirectory: data + "/d", config: config)
        defer { server.kill() }
        let first = try server.request("POST", "/api/sweeps", body: Self.definition(name: "a", runs: 1))
        #expect(try server.request("POST", "/api/sweeps", body: Self.definition(name: "b", runs: 1)).status == 202)
        let third = try server.request("POST", "/api/sweeps", body: Self.definition(name: "c", runs: 1))
        #expect(third.status == 422)
        #expect((Self.error(third)["message"] as? String)?.contains("max_stored_sweeps") == true)
        // A repeat of a stored definition is still answered, and deleting makes room.
        #expect(try server.request("POST", "/api/sweeps", body: Self.definition(name: "a", runs: 1)).status == 200)
        _ = try server.wait(for: Self.id(first), status: "completed")
        #expect(try server.request("DELETE", "/api/sweeps/\(Self.id(first))").status == 204)
        #expect(try server.request("POST", "/api/sweeps", body: Self.definition(name: "c", runs: 1)).status == 202)
    }

    @Test func connectionLimit_AnswersA503WithRetryAfter_AndIsClampedToTheDescriptorLimit() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        // 256 descriptors less the 128 reserved, two a connection (a download holds its file):
        // at most 64 connections, whatever the config says.
        let server = try ServerProcess(dataDirectory: data, descriptorLimit: 256)
        defer { server.kill() }
        var held: [LoopbackClient] = []
        for _ in 0..<64 { held.append(try LoopbackClient(port: server.port)) }
        let last = held[63]
        last.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        #expect(last.read { $0.contains("\"ok\"") }.text.hasPrefix("HTTP/1.1 200 "), "the 64th is served")
        let over = try LoopbackClient(port: server.port, timeout: 5)
        over.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let started = Date()
        let answer = over.read()
        #expect(answer.text.hasPrefix("HTTP/1.1 503 ") && answer.text.contains("Retry-After: 1\r\n"))
        #expect(Date().timeIntervalSince(started) < 2, "refused at once, not after a timeout")
        held.removeAll()
        Thread.sleep(forTimeInterval: 0.3)
        #expect(try server.request("GET", "/healthz").status == 200, "served again once connections close")
    }

    @Test func slowRequest_Gets408AsJSON_CountedInTheMetrics() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let config = try Self.config(data, #"{"limits": {"header_timeout_seconds": 1}}"#)
        let server = try ServerProcess(dataDirectory: data + "/d", config: config)
        defer { server.kill() }
        let slow = try LoopbackClient(port: server.port)
        slow.send("GET /healthz HTTP/1.1\r\nHo")
        let answer = slow.read().text
        #expect(answer.hasPrefix("HTTP/1.1 408 ") && answer.contains("\"code\": \"timeout\""))
        let metrics = String(decoding: try server.request("GET", "/metrics").body, as: UTF8.self)
        #expect(metrics.contains("morphic_http_requests_total{code=\"408\"} 1\n"))
    }

    @Test func clientThatPipelinesAndNeverReads_DoesNotGrowTheServer() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let server = try ServerProcess(dataDirectory: data)
        defer { server.kill() }
        let id = Self.id(try server.request("POST", "/api/sweeps", body: Self.definition(name: "list", runs: 3000)))
        _ = try server.wait(for: id, status: "completed")
        let one = try server.request("GET", "/api/sweeps/\(id)/runs?limit=3000")
        #expect(one.body.count > 1_000_000, "each answer is over a megabyte")
        let before = server.residentBytes
        let request = "GET /api/sweeps/\(id)/runs?limit=3000 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
        var clients: [LoopbackClient] = []
        for _ in 0..<4 {
            let client = try LoopbackClient(port: server.port)
            client.send(String(repeating: request, count: 40))
            clients.append(client)
        }
        Thread.sleep(forTimeInterval: 3)
        let growth = server.residentBytes - before
        #expect(growth < 64 << 20, "grew by \(growth >> 20) MiB")
        #expect(try server.request("GET", "/healthz").status == 200)
        // The held answers are intact when the client finally reads: 40 of the same body
        // (each made as it is sent, chunked). A debug build on a busy machine takes seconds
        // over each.
        var all: [UInt8] = []
        var answers: [[UInt8]] = []
        while answers.count < 40 {
            let more = clients[0].read(bytes: 1 << 20)
            guard !more.isEmpty else { break }
            all += more
            // Parsed only once the bodies alone could be there, not on every read.
            if all.count >= 40 * one.body.count { answers = Self.chunkedAnswers(all) }
        }
        #expect(answers.count == 40, "\(answers.count) answers read")
        #expect(answers.allSatisfy { $0 == one.body }, "every answer is the whole page")
    }

    /// The bodies of the complete chunked `200` answers at the start of `bytes`.
    static func chunkedAnswers(_ bytes: [UInt8]) -> [[UInt8]] {
        var answers: [[UInt8]] = []
        var index = 0
        while let end = bytes[index...].firstRange(of: Array("\r\n\r\n".utf8)) {
            guard String(decoding: bytes[index..<end.lowerBound], as: UTF8.self).hasPrefix("HTTP/1.1 200 OK") else { break }
            var cursor = end.upperBound
            var body: [UInt8] = []
            var complete = false
            while let line = bytes[cursor...].firstRange(of: [0x0D, 0x0A]),
                let size = Int(String(decoding: bytes[cursor..<line.lowerBound], as: UTF8.self), radix: 16),
                line.upperBound + size + 2 <= bytes.count
            {
                cursor = line.upperBound + size + 2
                if size == 0 {
                    complete = true
                    break
                }
                body += bytes[line.upperBound..<line.upperBound + size]
            }
            guard complete else { break }
            answers.append(body)
            index = cursor
        }
        return answers
    }

    @Test func healthz_StaysQuick_WhileAHugeDefinitionAndAColdListAreServed() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        var server = try ServerProcess(dataDirectory: data)
        let id = Self.id(try server.request("POST", "/api/sweeps", body: Self.definition(name: "cold", runs: 10_000)))
        _ = try server.wait(for: id, status: "completed", timeout: 300)
        server.kill()
        server = try ServerProcess(dataDirectory: data)
        defer { server.kill() }
        let stop = Atomic<Bool>(false)
        let latencies = Mutex<[Double]>([])
        let port = server.port
        let probe = Thread {
            let client = try! LoopbackClient(port: port)
            while !stop.load(ordering: .relaxed) {
                let start = Date()
                client.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                _ = client.read { $0.hasSuffix("}\n") }
                latencies.withLock { $0.append(Date().timeIntervalSince(start)) }
                Thread.sleep(forTimeInterval: 0.005)
            }
        }
        probe.start()
        Thread.sleep(forTimeInterval: 0.3)
        let huge = try server.request("POST", "/api/sweeps", body: Self.definition(name: "huge", runs: 90_000))
        #expect(huge.status == 202)
        let list = try server.request("GET", "/api/sweeps/\(id)/runs?limit=10000")
        #expect(list.status == 200)
        _ = try server.request("POST", "/api/sweeps/\(Self.id(huge))/cancel")
        Thread.sleep(forTimeInterval: 0.3)
        stop.store(true, ordering: .relaxed)
        Thread.sleep(forTimeInterval: 0.2)
        let sorted = latencies.withLock { $0 }.sorted()
        #expect(sorted.count > 20)
        let p99 = sorted[min(sorted.count - 1, sorted.count * 99 / 100)]
        #expect(p99 < 0.05, "p99 \(p99 * 1000) ms over \(sorted.count) probes")
    }
}
