import HTTP
import Testing

/// The connection state machine driven with literal bytes and a hand-moved clock.
@Suite struct HTTPConnectionTests {
    static let echo: HTTPConnection.Handler = { request in
        .text(.ok, request.method + " " + request.target + " " + String(decoding: request.body, as: UTF8.self))
    }
    static let refuse: HTTPConnection.ErrorResponder = { .text($0.status, $0.message) }

    func make(_ limits: HTTPLimits = HTTPLimits()) -> HTTPConnection { HTTPConnection(limits: limits, now: 0) }

    func expire(_ connection: inout HTTPConnection, at now: Double) -> Bool { connection.expire(now: now) }

    /// Everything queued, marked as written.
    func drain(_ connection: inout HTTPConnection, now: Double = 0) -> String {
        var text = ""
        while !connection.pendingOutput.isEmpty {
            let chunk = connection.pendingOutput
            text += String(decoding: chunk, as: UTF8.self)
            connection.wrote(chunk.count, now: now, handler: Self.echo, errorResponder: Self.refuse)
        }
        return text
    }

    @Test func pipelinedRequests_AreAnsweredInOrder() {
        var connection = make()
        connection.receive(
            Array(
                "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nGET /3 HTTP/1.1\r\nHost: a\r\n\r\n"
                    .utf8),
            now: 0, handler: Self.echo, errorResponder: Self.refuse)
        let output = drain(&connection)
        let bodies = output.components(separatedBy: "\r\n\r\n").dropFirst().map { $0.prefix(6) }
        #expect(bodies == ["GET /1", "GET /2", "GET /3"])
        #expect(!connection.isClosing)
    }

    @Test func expectContinue_IsAnsweredBeforeTheBody() {
        var connection = make()
        connection.receive(
            Array("POST /s HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n".utf8), now: 0,
            handler: Self.echo, errorResponder: Self.refuse)
        #expect(drain(&connection) == "HTTP/1.1 100 Continue\r\n\r\n")
        connection.receive(Array("hi".utf8), now: 0, handler: Self.echo, errorResponder: Self.refuse)
        #expect(drain(&connection).hasSuffix("POST /s hi"))
    }

    @Test func bodyOverTheLimit_IsRefusedBeforeItIsSent() {
        var limits = HTTPLimits()
        limits.maximumBodyBytes = 10
        var connection = make(limits)
        connection.receive(
            Array("POST /s HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n".utf8), now: 0,
            handler: Self.echo, errorResponder: Self.refuse)
        let output = drain(&connection)
        #expect(output.hasPrefix("HTTP/1.1 413 "))
        #expect(output.contains("Connection: close"))
        #expect(connection.isClosing)
    }

    @Test func smuggling_IsRefusedAndTheConnectionClosed() {
        var connection = make()
        connection.receive(
            Array(
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /x HTTP/1.1\r\nHost: a\r\n\r\n"
                    .utf8),
            now: 0, handler: Self.echo, errorResponder: Self.refuse)
        let output = drain(&connection)
        #expect(output.hasPrefix("HTTP/1.1 400 "))
        #expect(!output.contains("GET /x"))
        #expect(connection.isClosing && connection.isDrained)
    }

    @Test func connectionClose_IsHonoured() {
        var connection = make()
        connection.receive(
            Array("GET /1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n".utf8),
            now: 0,
            handler: Self.echo, errorResponder: Self.refuse)
        let output = drain(&connection)
        #expect(output.contains("Connection: close"))
        #expect(!output.contains("GET /2"))
        #expect(connection.isClosing)
    }

    @Test func head_HasTheLengthButNoBody() {
        var connection = make()
        connection.receive(
            Array("HEAD /abc HTTP/1.1\r\nHost: a\r\n\r\n".utf8), now: 0, handler: Self.echo, errorResponder: Self.refuse
        )
        let output = drain(&connection)
        #expect(output.contains("Content-Length: 10\r\n"))
        #expect(output.hasSuffix("\r\n\r\n"))
    }

    @Test func slowHeaders_GetA408ThenTheConnectionIsDropped() {
        var limits = HTTPLimits()
        limits.headerTimeout = 5
        var connection = make(limits)
        connection.receive(Array("GET / HTTP/1.1\r\nHo".utf8), now: 1, handler: Self.echo, errorResponder: Self.refuse)
        #expect(expire(&connection, at: 5.9) == false)
        #expect(expire(&connection, at: 6.1) == false)
        let answer = drain(&connection, now: 6.1)
        #expect(answer.hasPrefix("HTTP/1.1 408 "))
        #expect(answer.contains("Content-Length: 18\r\n") && answer.hasSuffix("\r\n\r\nrequest timed out\n"))
        #expect(expire(&connection, at: 6.2) == true)
    }

    @Test func idleKeepAlive_IsDroppedAfterTheIdleTimeout() {
        var limits = HTTPLimits()
        limits.idleTimeout = 30
        var connection = make(limits)
        connection.receive(
            Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8), now: 10, handler: Self.echo, errorResponder: Self.refuse)
        _ = drain(&connection, now: 10)
        #expect(expire(&connection, at: 39) == false)
        #expect(expire(&connection, at: 41) == true)
    }

    @Test func slowBody_HitsTheRequestDeadline() {
        var limits = HTTPLimits()
        limits.requestTimeout = 20
        var connection = make(limits)
        connection.receive(
            Array("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nabc".utf8), now: 0, handler: Self.echo,
            errorResponder: Self.refuse)
        #expect(expire(&connection, at: 19) == false)
        #expect(expire(&connection, at: 21) == false)
        #expect(drain(&connection, now: 21).hasPrefix("HTTP/1.1 408 "))
    }

    @Test func unreadResponse_IsDroppedAfterTheWriteTimeout() {
        var limits = HTTPLimits()
        limits.writeTimeout = 60
        var connection = make(limits)
        connection.receive(
            Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8), now: 0, handler: Self.echo, errorResponder: Self.refuse)
        #expect(expire(&connection, at: 59) == false)
        #expect(expire(&connection, at: 61) == true)
    }
}
