import Foundation
import TestSupport
import Testing

/// DNS rebinding against a server without a token: a page on a name the attacker owns,
/// rebound to 127.0.0.1, sends its own name as Host. Only loopback spelled exactly (a
/// 127.0.0.0/8 dotted quad, `[::1]`, `localhost`, `*.localhost`) is answered, and an Origin
/// must match the Host in scheme, name and port.
@Suite(.serialized) struct HostRebindingTests {
    static let loopback = [
        "127.0.0.1", "127.0.0.1:PORT", "127.1.2.3", "127.255.255.255:80", "127.0.0.0", "localhost", "LOCALHOST:PORT",
        "app.localhost", "a.b-c.localhost:1", "[::1]", "[::1]:PORT",
        // An empty port is the default one (RFC 3986 `port = *DIGIT`).
        "127.0.0.1:", "localhost:", "LOCALHOST:", "app.localhost:", "[::1]:",
        // So are leading zeros in it.
        "127.0.0.1:0PORT", "[::1]:000PORT", "localhost:00",
    ]
    static let foreign = [
        "127.attacker.example", "127.0.0.1.attacker.example", "127.0.0.1.attacker.example:PORT", "127.x", "127.",
        "127.999.999.999", "127.0.0.256", "127.0.0.1.", "127.1", "127.0.1", "0x7f.0.0.1", "0177.0.0.1", "127.0.0.01",
        "127.0.0.1.nip.io", "localhost.attacker.example", "localhost.", "attacker.localhost.example", "a..localhost",
        "-.localhost.evil", "attacker.example", "128.0.0.1", "10.0.0.1", "0.0.0.0", "[::2]", "[::ffff:127.0.0.1]",
        "[0:0:0:0:0:0:0:1]", "127.0.0.1%00.evil",
        // An empty port changes nothing about the name.
        "127.attacker.example:", "127.0.0.1.attacker.example:", "127.1:", "127.999.999.999:", "attacker.example:",
        "[::2]:", "localhost.:",
    ]
    static let malformed = [
        "", " ", "127.0.0.1@evil.example", "127.0.0.1:http", "127.0.0.1:99999", "127.0.0.1:0099999", "127.0.0.1:1+1", "[::1", "[::1]x", ":PORT", ":",
        "127.0.0.1::", "127.0.0.1::PORT", "[::1]::", "127.0.0.1:PORT:",
    ]

    @Test func rebindingMatrix_OnlyExactLoopbackNamesAreAnswered_ForEveryMethod() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let server = try ServerProcess(dataDirectory: data)
        defer { server.kill() }
        let body = HostileClientTests.definition(name: "rebind", runs: 1)
        let port = String(server.port)
        var refused = 0
        for template in Self.foreign + Self.malformed {
            let host = template.replacingOccurrences(of: "PORT", with: port)
            let expected = Self.malformed.contains(template) ? 400 : 421
            for (method, path) in [("GET", "/api/sweeps"), ("POST", "/api/sweeps"), ("DELETE", "/api/sweeps/x-1"), ("GET", "/")] {
                let answer = try server.request(method, path, body: method == "POST" ? body : nil, headers: ["Host": host])
                #expect(answer.status == expected, "\(method) \(path) with Host '\(host)'")
                // A Host that is there but malformed is said to be malformed, not missing.
                if expected == 400 {
                    let text = String(decoding: answer.body, as: UTF8.self)
                    let said = host.trimmingCharacters(in: .whitespaces).isEmpty ? "needs a Host field" : "not a valid host[:port]"
                    #expect(text.contains(said), "\(method) \(path) with Host '\(host)': \(text)")
                    // One code for every way a Host can be wrong (a port out of range was
                    // bad_host, other malformed ones bad_request).
                    let error = (try JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any])?["error"] as? [String: Any]
                    #expect(error?["code"] as? String == "bad_host", "\(method) \(path) with Host '\(host)': \(text)")
                    #expect(error?["field"] as? String == "Host", "\(method) \(path) with Host '\(host)': \(text)")
                }
                refused += 1
            }
        }
        #expect(try server.json("/api/sweeps")["total"] as? Int == 0, "nothing was created")
        for template in Self.loopback {
            let host = template.replacingOccurrences(of: "PORT", with: port)
            #expect(try server.request("GET", "/api/sweeps", headers: ["Host": host]).status == 200, "Host '\(host)'")
        }
        // No Host at all, in HTTP/1.1 and 1.0.
        for version in ["1.1", "1.0"] {
            let client = try LoopbackClient(port: server.port)
            client.send("GET /api/sweeps HTTP/\(version)\r\nConnection: close\r\n\r\n")
            let answer = client.read().text
            #expect(answer.hasPrefix("HTTP/1.1 400 ") && answer.contains("Host field"), "HTTP/\(version) without Host")
        }
        print("rebinding matrix: \(refused) requests with foreign or malformed hosts refused, \(Self.loopback.count) loopback spellings answered")
    }

    @Test func origin_MustMatchSchemeHostAndPort() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let server = try ServerProcess(dataDirectory: data)
        defer { server.kill() }
        let port = server.port
        let host = "127.0.0.1:\(port)"
        let refused = [
            "https://127.0.0.1:\(port)", "http://127.0.0.1:\(port + 1)", "http://127.0.0.1", "http://localhost:\(port)",
            "http://127.0.0.1:\(port).attacker.example", "http://127.0.0.1:\(port)/", "ws://127.0.0.1:\(port)",
            "http://127.0.0.1:\(port)@evil.example", "null", "", "http://", "HTTPS://127.0.0.1:\(port)",
            "http://127.0.0.1:", "http://:\(port)", "http://127.0.0.1::\(port)",
        ]
        for (index, origin) in refused.enumerated() {
            let body = HostileClientTests.definition(name: "origin\(index)", runs: 1)
            let status = try server.request("POST", "/api/sweeps", body: body, headers: ["Host": host, "Origin": origin]).status
            #expect(status == 403, "Origin '\(origin)'")
        }
        #expect(try server.json("/api/sweeps")["total"] as? Int == 0)
        // A Host with an empty port names the default port, not this one.
        let defaultPort = try server.request(
            "POST", "/api/sweeps", body: HostileClientTests.definition(name: "empty-port", runs: 1),
            headers: ["Host": "127.0.0.1:", "Origin": "http://127.0.0.1:\(port)"]
        ).status
        #expect(defaultPort == 403, "Host '127.0.0.1:' and Origin 'http://127.0.0.1:\(port)'")
        let accepted: [(String, String)] = [
            (host, "http://127.0.0.1:\(port)"), ("LOCALHOST:\(port)", "http://localhost:\(port)"),
            ("127.0.0.1", "http://127.0.0.1:80"), ("[::1]:\(port)", "http://[::1]:\(port)"),
            // An empty port is the default, in the Host and in the Origin.
            ("127.0.0.1:", "http://127.0.0.1"), ("127.0.0.1:", "http://127.0.0.1:80"), ("127.0.0.1", "http://127.0.0.1:"),
        ]
        for (index, (hostField, origin)) in accepted.enumerated() {
            let body = HostileClientTests.definition(name: "same\(index)", runs: 1)
            let status = try server.request("POST", "/api/sweeps", body: body, headers: ["Host": hostField, "Origin": origin]).status
            #expect(status == 202, "Host '\(hostField)', Origin '\(origin)'")
        }
        // Two Origin fields, whether they agree or not and whatever their case, are refused
        // as two Host fields are, on every method.
        let own = "http://127.0.0.1:\(port)"
        for (first, second) in [(own, own), (own, "http://evil.example"), ("http://evil.example", own)] {
            for (method, path) in [("GET", "/api/sweeps"), ("POST", "/api/sweeps/x-1/cancel"), ("DELETE", "/api/sweeps/x-1")] {
                let client = try LoopbackClient(port: port)
                client.send(
                    "\(method) \(path) HTTP/1.1\r\nHost: \(host)\r\nOrigin: \(first)\r\norigin: \(second)\r\n"
                        + "Content-Length: 0\r\nConnection: close\r\n\r\n")
                let answer = client.read().text
                #expect(answer.hasPrefix("HTTP/1.1 400 ") && answer.contains("Origin"), "\(method) \(path), Origin '\(first)' and '\(second)'")
            }
        }
        #expect(try server.json("/api/sweeps")["total"] as? Int == accepted.count, "nothing more was created")
    }
}
