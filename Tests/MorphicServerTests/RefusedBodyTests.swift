import Foundation
import TestSupport
import Testing

/// A body over the limit is answered 413, and a client that goes on sending it (as most
/// do: they write the whole body before reading) reads that answer instead of a reset;
/// one that sends far more than the server will drain is cut off, not waited on.
@Suite(.serialized) struct RefusedBodyTests {
    /// A request line or a header section over its limit is refused with a code naming
    /// which of the two it was.
    @Test func overlongRequestLineAndHeaders_AreNamedApart() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let server = try ServerProcess(dataDirectory: data)
        defer { server.kill() }
        let line = try LoopbackClient(port: server.port, timeout: 10)
        line.send("GET /api/sweeps?" + String(repeating: "a", count: 40 * 1024) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let long = line.read().text
        #expect(long.hasPrefix("HTTP/1.1 414 ") && long.contains("\"request_line_too_long\""), "\(long.prefix(300))")
        let headers = try LoopbackClient(port: server.port, timeout: 10)
        headers.send("GET /api/sweeps HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Filler: " + String(repeating: "b", count: 20 * 1024) + "\r\n\r\n")
        let large = headers.read().text
        #expect(large.hasPrefix("HTTP/1.1 431 ") && large.contains("\"headers_too_large\""), "\(large.prefix(300))")
    }

    /// A client waiting for `100 Continue` is refused from the request's head when the head
    /// decides it, so it never uploads a body only to read a 4xx; a request the head does
    /// not decide gets its 100 and then its answer.
    @Test func expectContinue_IsRefusedFromTheHead_WhenTheHeadDecides() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let server = try ServerProcess(dataDirectory: data)
        defer { server.kill() }
        let body = HostileClientTests.definition(name: "expect", runs: 1)
        let refused: [(head: String, status: Int, code: String)] = [
            ("POST /api/sweeps HTTP/1.1\r\nHost: attacker.example\r\nContent-Type: application/json", 421, "misdirected"),
            ("POST /api/sweeps HTTP/1.1\r\nHost: 127.0.0.1:99999\r\nContent-Type: application/json", 400, "bad_host"),
            ("POST /api/sweeps HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain", 415, "unsupported_media_type"),
            ("POST /api/sweeps HTTP/1.1\r\nHost: 127.0.0.1", 415, "unsupported_media_type"),
            ("POST /api/nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json", 404, "not_found"),
            ("PUT /api/sweeps HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json", 405, "method_not_allowed"),
            ("DELETE /api/sweeps/x-1 HTTP/1.1\r\nHost: 127.0.0.1", 415, "unsupported_media_type"),
            (
                "POST /api/sweeps HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nOrigin: http://attacker.example",
                403, "cross_origin"
            ),
        ]
        for (head, status, code) in refused {
            let client = try LoopbackClient(port: server.port, timeout: 10)
            client.send(head + "\r\nExpect: 100-continue\r\nContent-Length: \(body.count)\r\n\r\n")
            // The final answer comes without the body being sent, and the connection closes.
            let answer = client.read()
            #expect(answer.text.hasPrefix("HTTP/1.1 \(status) "), "\(head): \(answer.text.prefix(200))")
            #expect(!answer.text.contains("100 Continue"), "\(head)")
            #expect(answer.text.contains("\"\(code)\""), "\(head): \(answer.text)")
            #expect(answer.closed, "\(head): closed after the refusal")
        }
        #expect(try server.json("/api/sweeps")["total"] as? Int == 0, "nothing was created")
        // A chunked body may be empty, which a delete takes: it is let come, and judged then.
        let chunked = try LoopbackClient(port: server.port, timeout: 10)
        chunked.send(
            "DELETE /api/sweeps/x-1 HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n")
        let go = chunked.read(until: { $0.contains("\r\n\r\n") }).text
        #expect(go.hasPrefix("HTTP/1.1 100 Continue"), "\(go)")
        chunked.send("0\r\n\r\n")
        let deleted = go + chunked.read().text
        #expect(deleted.contains("HTTP/1.1 404 ") && deleted.contains("no such sweep"), "\(deleted)")
        // A client that sends its body anyway, without waiting, still reads the refusal.
        let eager = try LoopbackClient(port: server.port, timeout: 10)
        eager.send(
            Array("POST /api/sweeps HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body)
        let eagerAnswer = eager.read()
        #expect(eagerAnswer.text.hasPrefix("HTTP/1.1 415 "), "\(eagerAnswer.text.prefix(200))")
        // A request the head does not decide: 100 first, then the answer to the whole request.
        let accepted = try LoopbackClient(port: server.port, timeout: 10)
        accepted.send(
            "POST /api/sweeps HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n")
        let interim = accepted.read(until: { $0.contains("\r\n\r\n") }).text
        #expect(interim.hasPrefix("HTTP/1.1 100 Continue\r\n\r\n"), "\(interim)")
        accepted.send(body)
        let final = interim + accepted.read().text
        #expect(final.contains("HTTP/1.1 202 "), "\(final.prefix(300))")
        #expect(try server.json("/api/sweeps")["total"] as? Int == 1)
    }

    @Test func clientStillSendingAnOversizedBody_ReadsThe413() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let server = try ServerProcess(dataDirectory: data)
        defer { server.kill() }
        for size in [(1 << 20) + 1, 3 << 20, 6 << 20] {
            let client = try LoopbackClient(port: server.port, timeout: 10)
            let head = "POST /api/sweeps HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: \(size)\r\n\r\n"
            #expect(client.send(Array(head.utf8) + [UInt8](repeating: 0x20, count: size)), "\(size): the body was taken")
            let answer = client.read()
            #expect(answer.text.hasPrefix("HTTP/1.1 413 "), "\(size): \(answer.text.prefix(40))")
            #expect(answer.closed, "\(size): the server closed after its answer")
        }
        // Python's urllib writes the whole body, then reads.
        let script = """
            import urllib.request, urllib.error
            request = urllib.request.Request("http://127.0.0.1:\(server.port)/api/sweeps", data=b" " * (3 << 20),
                headers={"Content-Type": "application/json"})
            try:
                urllib.request.urlopen(request, timeout=10)
                print("no error")
            except urllib.error.HTTPError as error:
                print(error.code)
            """
        try script.write(toFile: data + "/post.py", atomically: true, encoding: .utf8)
        #expect(try shell("python3 \(data)/post.py").trimmingCharacters(in: .whitespacesAndNewlines) == "413")
        // Far more than is drained: the connection is cut, and nothing is held.
        Thread.sleep(forTimeInterval: 0.5)
        let baseline = server.openDescriptors
        let flood = try LoopbackClient(port: server.port, timeout: 10)
        let head = "POST /api/sweeps HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(64 << 20)\r\n\r\n"
        #expect(!flood.send(Array(head.utf8) + [UInt8](repeating: 0x20, count: 64 << 20)), "a flood is cut off")
        let deadline = Date().addingTimeInterval(10)
        while server.openDescriptors > baseline && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        #expect(server.openDescriptors <= baseline)
        #expect(try server.request("GET", "/healthz").status == 200)
    }
}
