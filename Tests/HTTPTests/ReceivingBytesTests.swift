import Foundation
import HTTP
import TestSupport
import Testing

/// Requests not yet whole count in one bound, all connections together: clients that send a
/// large body and hold back its last byte are refused with a 503 once it is full, small
/// requests still pass, and what they held is given back when they go.
@Suite(.serialized) struct ReceivingBytesTests {
    @Test func bodiesHeldBack_AreBoundedAllTogether_AndSmallRequestsStillPass() throws {
        var limits = HTTPLimits()
        limits.maximumReceivingBytes = 4 << 20
        let server = HTTPServer(host: "127.0.0.1", port: 0, limits: limits, threads: 2, shutdownGrace: 1) { _ in
            .text(.ok, "taken")
        }
        let port = try server.start()
        defer { server.shutdown() }
        let length = 1_000_000
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: length - 1)
        // Twelve bodies of about 1 MB, each short of its last byte: three times the bound.
        var clients: [LoopbackClient] = []
        for _ in 0..<12 {
            // A short timeout: a client held in the bound gets no answer until it finishes.
            let client = try LoopbackClient(port: port, timeout: 3)
            client.send("POST /sweeps HTTP/1.1\r\nHost: a\r\nContent-Length: \(length)\r\n\r\n")
            _ = client.send(body)
            clients.append(client)
        }
        // Each client is either refused or held in the bound (read until its timeout).
        let answers = clients.map { client in
            client.read(until: { $0.contains("\r\n\r\n") }).text
        }
        let refused = answers.filter { $0.hasPrefix("HTTP/1.1 503") && $0.contains("Retry-After: 1") }
        #expect(refused.count >= 8 && refused.count < 12, "\(refused.count) refused of 12")
        #expect(server.receivingBytes <= limits.maximumReceivingBytes + 64 * 1024, "\(server.receivingBytes)")
        // A small request passes while the bound is full.
        let small = try LoopbackClient(port: port, timeout: 20)
        small.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(small.read(until: { $0.contains("taken") }).text.hasPrefix("HTTP/1.1 200"))
        // The held ones finish their bodies and are answered; what they held is given back.
        let held = clients.indices.filter { !answers[$0].hasPrefix("HTTP/1.1 503") }
        for index in held {
            _ = clients[index].send([UInt8(ascii: "x")])
            #expect(clients[index].read(until: { $0.contains("taken") }).text.hasPrefix("HTTP/1.1 200"))
        }
        clients = []
        #expect(HeldBytesTests.eventually { server.receivingBytes == 0 }, "\(server.receivingBytes)")
    }
}
