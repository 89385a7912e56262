import Foundation
import HTTP
import Testing

/// The connection state machine driven with literal bytes and a hand-moved clock.
@Suite struct HTTPConnectionTests {
    static func echo(_ request: HTTPRequest) -> HTTPResponse {
        .text(.ok, request.method + " " + request.target + " " + String(decoding: request.body, as: UTF8.self))
    }

    func make(_ limits: HTTPLimits = HTTPLimits()) -> HTTPConnection { HTTPConnection(limits: limits, now: 0) }

    func expire(_ connection: inout HTTPConnection, at now: Double) -> Bool { connection.expire(now: now) }

    /// Feeds bytes and answers every request the connection is ready for, as an event loop
    /// with an immediate handler does.
    func receive(_ connection: inout HTTPConnection, _ bytes: [UInt8], now: Double) {
        connection.receive(bytes, now: now)
        answer(&connection, now: now)
    }

    func answer(_ connection: inout HTTPConnection, now: Double) {
        while let (serial, request) = connection.nextRequest(now: now) {
            connection.complete(Self.echo(request), serial: serial, now: now)
        }
    }

    /// Everything queued, marked as written, answering requests and reading file chunks
    /// as room appears.
    func drain(_ connection: inout HTTPConnection, now: Double = 0) -> String {
        var text = ""
        while true {
            while let read = connection.nextChunkRead() { connection.received(chunk: read.perform(), now: now) }
            guard !connection.pendingOutput.isEmpty else { return text }
            let chunk = connection.pendingOutput
            text += String(decoding: chunk, as: UTF8.self)
            connection.wrote(chunk.count, now: now)
            answer(&connection, now: now)
        }
    }

    @Test func pipelinedRequests_AreAnsweredInOrder() {
        var connection = make()
        receive(&connection, Array(
                "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nGET /3 HTTP/1.1\r\nHost: a\r\n\r\n"
                    .utf8), now: 0)
        let output = drain(&connection)
        let bodies = output.components(separatedBy: "\r\n\r\n").dropFirst().map { $0.prefix(6) }
        #expect(bodies == ["GET /1", "GET /2", "GET /3"])
        #expect(!connection.isClosing)
    }

    @Test func expectContinue_IsAnsweredBeforeTheBody() {
        var connection = make()
        receive(&connection, Array("POST /s HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n".utf8), now: 0)
        #expect(drain(&connection) == "HTTP/1.1 100 Continue\r\n\r\n")
        receive(&connection, Array("hi".utf8), now: 0)
        #expect(drain(&connection).hasSuffix("POST /s hi"))
    }

    @Test func expectContinue_RefusedByTheScreen_IsAnsweredFromTheHead() {
        var connection = HTTPConnection(limits: HTTPLimits(), now: 0, screen: { head in
            head.target == "/refused" ? .text(.unsupportedMediaType, "no " + head.method) : nil
        })
        receive(&connection, Array("POST /refused HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n".utf8), now: 0)
        let output = drain(&connection)
        #expect(output.hasPrefix("HTTP/1.1 415 ") && output.hasSuffix("no POST"), "\(output)")
        #expect(output.contains("Connection: close") && !output.contains("100 Continue"))
        #expect(connection.isClosing && connection.drainsBeforeClose)
        // The body, sent anyway, is no request.
        receive(&connection, Array("hi".utf8), now: 0)
        #expect(drain(&connection).isEmpty)
    }

    /// A HEAD refused in its head (a malformed Host, two lengths) is answered with the head
    /// alone, as every answer to a HEAD is.
    @Test func headRefusedByTheDecoder_IsAnsweredWithoutABody() {
        for (target, fields) in [
            ("/x", "Host: [::1"), ("/x", "Host: a\r\nHost: b"), ("/x", "Host: a\r\nContent-Length: 1\r\nContent-Length: 2"),
            ("http://a:abc/x", "Host: a"), ("http://[::1/x", "Host: a"),
        ] {
            var connection = make()
            receive(&connection, Array("HEAD \(target) HTTP/1.1\r\n\(fields)\r\n\r\n".utf8), now: 0)
            let output = drain(&connection)
            #expect(output.hasPrefix("HTTP/1.1 400 ") && output.hasSuffix("\r\n\r\n"), "\(fields): \(output)")
            #expect(output.contains("Content-Length: ") && !output.contains("Content-Length: 0\r\n"), "\(fields)")
        }
        // A GET so refused keeps its body.
        var connection = make()
        receive(&connection, Array("GET /x HTTP/1.1\r\nHost: [::1\r\n\r\n".utf8), now: 0)
        #expect(!drain(&connection).hasSuffix("\r\n\r\n"))
    }

    @Test func bodyOverTheLimit_IsRefusedBeforeItIsSent() {
        var limits = HTTPLimits()
        limits.maximumBodyBytes = 10
        var connection = make(limits)
        receive(&connection, Array("POST /s HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n".utf8), now: 0)
        let output = drain(&connection)
        #expect(output.hasPrefix("HTTP/1.1 413 "))
        #expect(output.contains("Connection: close"))
        #expect(connection.isClosing)
    }

    @Test func smuggling_IsRefusedAndTheConnectionClosed() {
        var connection = make()
        receive(&connection, Array(
                "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /x HTTP/1.1\r\nHost: a\r\n\r\n"
                    .utf8), now: 0)
        let output = drain(&connection)
        #expect(output.hasPrefix("HTTP/1.1 400 "))
        #expect(!output.contains("GET /x"))
        #expect(connection.isClosing && connection.isDrained)
    }

    @Test func connectionClose_IsHonoured() {
        var connection = make()
        receive(&connection, Array("GET /1 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n".utf8), now: 0)
        let output = drain(&connection)
        #expect(output.contains("Connection: close"))
        #expect(!output.contains("GET /2"))
        #expect(connection.isClosing)
    }

    @Test func head_HasTheLengthButNoBody() {
        var connection = make()
        receive(&connection, Array("HEAD /abc HTTP/1.1\r\nHost: a\r\n\r\n".utf8), now: 0)
        let output = drain(&connection)
        #expect(output.contains("Content-Length: 10\r\n"))
        #expect(output.hasSuffix("\r\n\r\n"))
    }

    @Test func slowHeaders_GetA408ThenTheConnectionIsDropped() {
        var limits = HTTPLimits()
        limits.headerTimeout = 5
        var connection = make(limits)
        receive(&connection, Array("GET / HTTP/1.1\r\nHo".utf8), now: 1)
        #expect(expire(&connection, at: 5.9) == false)
        #expect(expire(&connection, at: 6.1) == false)
        let answer = drain(&connection, now: 6.1)
        #expect(answer.hasPrefix("HTTP/1.1 408 "))
        #expect(answer.hasSuffix("\r\n\r\nthe request was not received in time\n"))
        #expect(answer.contains("Content-Length: 37\r\n"))
        #expect(expire(&connection, at: 6.2) == true)
    }

    @Test func idleKeepAlive_IsDroppedAfterTheIdleTimeout() {
        var limits = HTTPLimits()
        limits.idleTimeout = 30
        var connection = make(limits)
        receive(&connection, Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8), now: 10)
        _ = drain(&connection, now: 10)
        #expect(expire(&connection, at: 39) == false)
        #expect(expire(&connection, at: 41) == true)
    }

    @Test func slowBody_HitsTheRequestDeadline() {
        var limits = HTTPLimits()
        limits.requestTimeout = 20
        var connection = make(limits)
        receive(&connection, Array("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nabc".utf8), now: 0)
        #expect(expire(&connection, at: 19) == false)
        #expect(expire(&connection, at: 21) == false)
        #expect(drain(&connection, now: 21).hasPrefix("HTTP/1.1 408 "))
    }

    @Test func unreadResponse_IsDroppedAfterTheWriteTimeout() {
        var limits = HTTPLimits()
        limits.writeTimeout = 60
        var connection = make(limits)
        receive(&connection, Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8), now: 0)
        #expect(expire(&connection, at: 59) == false)
        #expect(expire(&connection, at: 61) == true)
    }

    // MARK: One request in flight, and output watermarks

    static let threeGets = Array(
        "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\nGET /3 HTTP/1.1\r\nHost: a\r\n\r\n".utf8)

    @Test func pipelinedRequest_IsNotTaken_WhileTheOneBeforeIsInFlight() {
        var connection = make()
        connection.receive(Self.threeGets, now: 0)
        let first = connection.nextRequest(now: 0)
        #expect(first?.request.target == "/1")
        #expect(connection.nextRequest(now: 0) == nil)
        #expect(!connection.wantsInput)
        connection.complete(.text(.ok, "one"), serial: first!.serial, now: 0)
        #expect(connection.nextRequest(now: 0)?.request.target == "/2")
    }

    @Test func answerForAnotherRequest_IsIgnored() {
        var connection = make()
        connection.receive(Self.threeGets, now: 0)
        let first = connection.nextRequest(now: 0)!
        let stale = connection.complete(.text(.ok, "stale"), serial: first.serial + 1, now: 0)
        let right = connection.complete(.text(.ok, "one"), serial: first.serial, now: 0)
        let twice = connection.complete(.text(.ok, "twice"), serial: first.serial, now: 0)
        #expect(!stale && right && !twice)
        #expect(drain(&connection).contains("one") && !connection.pendingOutput.contains(UInt8(ascii: "s")))
    }

    /// A response whose bytes make the unsent output exactly `size` long.
    func output(ofSize size: Int) -> HTTPResponse {
        var length = size
        while true {
            let response = HTTPResponse.text(.ok, String(repeating: "x", count: length))
            if response.headBytes(length: length) + length <= size { return response }
            length -= 1
        }
    }

    @Test func nextRequest_WaitsBelowTheHighWaterMark_AtTheMarkAndOneBelow() {
        var limits = HTTPLimits()
        limits.outputHighWater = 1000
        for (size, taken) in [(999, true), (1000, false)] {
            var connection = make(limits)
            connection.receive(Self.threeGets, now: 0)
            let first = connection.nextRequest(now: 0)!
            connection.complete(output(ofSize: size), serial: first.serial, now: 0)
            #expect(connection.pendingOutput.count == size)
            #expect(connection.wantsInput == taken)
            #expect((connection.nextRequest(now: 0) != nil) == taken, "output \(size)")
        }
    }

    @Test func clientThatNeverReads_HoldsOneResponse_NotOnePerRequest() {
        var limits = HTTPLimits()
        limits.outputHighWater = 64 * 1024
        var connection = make(limits)
        let gets = (1...40).map { "GET /\($0) HTTP/1.1\r\nHost: a\r\n\r\n" }.joined()
        connection.receive(Array(gets.utf8), now: 0)
        let big = HTTPResponse.text(.ok, String(repeating: "r", count: 1 << 20))
        while let (serial, _) = connection.nextRequest(now: 0) { connection.complete(big, serial: serial, now: 0) }
        #expect(connection.pendingOutput.count < (1 << 20) + 1024)
        #expect(!connection.wantsInput)
    }

    @Test func unansweredRequest_Gets503AfterTheHandlerTimeout_AndALateAnswerIsDropped() {
        var limits = HTTPLimits()
        limits.handlerTimeout = 10
        var connection = make(limits)
        connection.receive(Array("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n".utf8), now: 0)
        let pending = connection.nextRequest(now: 0)!
        #expect(expire(&connection, at: 10) == false)
        #expect(connection.pendingOutput.isEmpty)
        #expect(expire(&connection, at: 10.5) == false)
        let late = connection.complete(.text(.ok, "late"), serial: pending.serial, now: 11)
        #expect(!late)
        let output = drain(&connection, now: 11)
        #expect(output.hasPrefix("HTTP/1.1 503 ") && output.contains("Retry-After: 5\r\n"))
        #expect(!output.contains("late"))
        #expect(connection.isClosing)
    }

    // MARK: Standards

    @Test func everyResponse_HasADateField() {
        var connection = make()
        receive(&connection, Array("GET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8), now: 0)
        let output = drain(&connection)
        let date = output.components(separatedBy: "\r\n").first { $0.hasPrefix("Date: ") }
        #expect(date?.range(of: #"^Date: \w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$"#, options: .regularExpression) != nil)
    }

    @Test func noContent_HasNoContentLength() {
        var connection = make()
        connection.receive(Array("DELETE /x HTTP/1.1\r\nHost: a\r\n\r\n".utf8), now: 0)
        let pending = connection.nextRequest(now: 0)!
        connection.complete(HTTPResponse(status: .noContent), serial: pending.serial, now: 0)
        let output = drain(&connection)
        #expect(output.hasPrefix("HTTP/1.1 204 "))
        #expect(!output.lowercased().contains("content-length"))
    }

    @Test func head_UnderGzip_HasTheHeadersOfGet() {
        let big = HTTPResponse(
            status: .ok, headers: [("Content-Type", "application/json")],
            body: .bytes(Array(String(repeating: "{\"a\": 1}", count: 200).utf8)), compressible: true)
        var heads: [String] = []
        for method in ["GET", "HEAD"] {
            var connection = make()
            connection.receive(Array("\(method) /x HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\n".utf8), now: 0)
            let pending = connection.nextRequest(now: 0)!
            connection.complete(big, serial: pending.serial, now: 0)
            let output = drain(&connection)
            heads.append(String(output[..<output.range(of: "\r\n\r\n")!.upperBound]))
            if method == "HEAD" { #expect(output.hasSuffix("\r\n\r\n")) }
        }
        #expect(heads[0] == heads[1])
        #expect(heads[0].contains("Content-Encoding: gzip"))
    }

    @Test func fileBody_SendsExactlyTheSizeItWasOpenedWith_EvenIfTheFileGrows() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("body-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(repeating: 0x61, count: 200_000).write(to: URL(fileURLWithPath: path))
        let body = try FileBody.open(path)
        let handle = FileHandle(forWritingAtPath: path)!
        handle.seekToEndOfFile()
        handle.write(Data(repeating: 0x62, count: 5000))
        try handle.close()
        var connection = make()
        connection.receive(Array("GET /f HTTP/1.1\r\nHost: a\r\n\r\n".utf8), now: 0)
        let pending = connection.nextRequest(now: 0)!
        connection.complete(HTTPResponse(status: .ok, body: .file(body)), serial: pending.serial, now: 0)
        let output = drain(&connection)
        let split = output.range(of: "\r\n\r\n")!
        #expect(output[..<split.lowerBound].contains("Content-Length: 200000"))
        #expect(output[split.upperBound...].utf8.count == 200_000)
        #expect(!output.contains("b"))
        #expect(!connection.isClosing)
    }

    @Test func fileThatShrinks_CutsTheConnection() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("body-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(repeating: 0x61, count: 300_000).write(to: URL(fileURLWithPath: path))
        let body = try FileBody.open(path)
        truncate(path, 1000)
        var connection = make()
        connection.receive(Array("GET /f HTTP/1.1\r\nHost: a\r\n\r\n".utf8), now: 0)
        let pending = connection.nextRequest(now: 0)!
        connection.complete(HTTPResponse(status: .ok, body: .file(body)), serial: pending.serial, now: 0)
        _ = drain(&connection)
        #expect(connection.isClosing && connection.isDrained)
    }

    @Test func missingFile_IsNotFound_BeforeAnyHeader() {
        #expect(throws: FileBody.Failure.notFound) { try FileBody.open("/nonexistent/\(UUID().uuidString)") }
        #expect(throws: FileBody.Failure.notFound) { try FileBody.open("/tmp") }
    }

    @Test func fileChunks_AreReadOneAtATime_AndOnlyBelowTheHighWaterMark() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("body-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data(repeating: 0x61, count: 300_000).write(to: URL(fileURLWithPath: path))
        var limits = HTTPLimits()
        limits.outputHighWater = 100_000
        limits.fileChunkBytes = 64 * 1024
        var connection = make(limits)
        connection.receive(Array("GET /f HTTP/1.1\r\nHost: a\r\n\r\n".utf8), now: 0)
        let pending = connection.nextRequest(now: 0)!
        connection.complete(HTTPResponse(status: .ok, body: .file(try FileBody.open(path))), serial: pending.serial, now: 0)
        let first = connection.nextChunkRead()
        #expect(first != nil)
        #expect(connection.nextChunkRead() == nil, "one read at a time")
        connection.received(chunk: first!.perform(), now: 0)
        connection.received(chunk: first!.perform(), now: 0)  // a duplicate is ignored
        let second = connection.nextChunkRead()!
        connection.received(chunk: second.perform(), now: 0)
        #expect(connection.pendingOutput.count > limits.outputHighWater)
        #expect(connection.nextChunkRead() == nil, "nothing more is read above the mark")
        #expect(!connection.wantsInput)
        let output = drain(&connection)
        #expect(output.utf8.count - output.utf8.split(separator: 0x0D).first!.count > 300_000)
        #expect(!connection.isClosing)
    }
}

