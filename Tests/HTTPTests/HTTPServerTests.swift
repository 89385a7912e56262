import Foundation
import HTTP
import TestSupport
import Testing

/// The whole HTTP server on a loopback port 0, with raw clients.
@Suite(.serialized) struct HTTPServerTests {
    static func withServer(_ limits: HTTPLimits = HTTPLimits(), _ body: (Int, HTTPServer) throws -> Void) throws {
        let server = HTTPServer(host: "127.0.0.1", port: 0, limits: limits, threads: 2, shutdownGrace: 2) { request in
            .text(.ok, "hello " + request.path)
        }
        let port = try server.start()
        defer { server.shutdown() }
        try body(port, server)
    }

    @Test func pipelinedRequests_OverOneSocket_AreAnsweredInOrder() throws {
        try Self.withServer { port, _ in
            let client = try LoopbackClient(port: port)
            client.send((1...20).map { "GET /\($0) HTTP/1.1\r\nHost: a\r\n\r\n" }.joined())
            let answer = client.read { $0.components(separatedBy: "hello /").count > 20 }.text
            let order = answer.components(separatedBy: "hello /").dropFirst().map { Int($0.prefix { $0.isNumber })! }
            #expect(order == Array(1...20))
        }
    }

    @Test func aThousandIdleConnections_DoNotStopOthersBeingServed() throws {
        try Self.withServer { port, server in
            let idle = try (0..<1000).map { _ in try LoopbackClient(port: port) }
            let client = try LoopbackClient(port: port)
            client.send("GET /alive HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(client.read { $0.contains("hello /alive") }.text.contains("200 OK"))
            #expect(server.openConnections >= 1000)
            _ = idle
        }
    }

    @Test func slowloris_IsCutOffAtTheHeaderDeadline() throws {
        var limits = HTTPLimits()
        limits.headerTimeout = 1
        try Self.withServer(limits) { port, _ in
            let slow = try LoopbackClient(port: port)
            slow.send("GET / HTTP/1.1\r\n")
            let start = Date()
            for _ in 0..<3 {
                Thread.sleep(forTimeInterval: 0.3)
                slow.send("X-Slow: 1\r\n")
            }
            let answer = slow.read()
            #expect(answer.text.hasPrefix("HTTP/1.1 408 "))
            #expect(answer.closed)
            #expect(Date().timeIntervalSince(start) < 5)
            let other = try LoopbackClient(port: port)
            other.send("GET /x HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(other.read { $0.contains("hello /x") }.text.contains("200 OK"))
        }
    }

    @Test func hugeBody_IsRefusedWith413AndClosed() throws {
        try Self.withServer { port, _ in
            let client = try LoopbackClient(port: port)
            client.send("POST /s HTTP/1.1\r\nHost: a\r\nContent-Length: 20000000\r\n\r\n")
            _ = client.send([UInt8](repeating: 0x41, count: 1 << 20))
            let answer = client.read()
            #expect(answer.text.hasPrefix("HTTP/1.1 413 "))
        }
    }

    @Test func binaryGarbage_IsRefusedWith400AndClosed() throws {
        try Self.withServer { port, _ in
            let client = try LoopbackClient(port: port)
            var generator = SystemRandomNumberGenerator()
            client.send((0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) } + Array("\r\n\r\n".utf8))
            let answer = client.read()
            #expect(answer.text.hasPrefix("HTTP/1.1 4"))
            let other = try LoopbackClient(port: port)
            other.send("GET /still HTTP/1.1\r\nHost: a\r\n\r\n")
            #expect(other.read { $0.contains("hello /still") }.text.contains("200 OK"))
        }
    }

    @Test func shutdown_ClosesIdleConnectionsAndReturns() throws {
        let server = HTTPServer(host: "127.0.0.1", port: 0, threads: 2, shutdownGrace: 2) { _ in .text(.ok, "x") }
        let port = try server.start()
        let client = try LoopbackClient(port: port)
        client.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        _ = client.read { $0.hasSuffix("x") }
        let start = Date()
        server.shutdown()
        #expect(Date().timeIntervalSince(start) < 2)
        #expect(client.read().closed)
        #expect(throws: (any Error).self) { try LoopbackClient(port: port) }
    }
}
