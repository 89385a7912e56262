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
