import HTTP
import Testing

@Suite struct HTTPDecoderTests {
    func make(_ limits: HTTPLimits = HTTPLimits()) -> HTTPDecoder { HTTPDecoder(limits: limits) }

    /// Feeds `text` whole, or byte by byte, and collects the requests.
    func decode(_ text: String, limits: HTTPLimits = HTTPLimits(), byteAtATime: Bool = false) throws(HTTPError)
        -> [HTTPRequest]
    {
        var decoder = make(limits)
        var requests: [HTTPRequest] = []
        let bytes = Array(text.utf8)
        let pieces = byteAtATime ? bytes.map { [$0] } : [bytes]
        for piece in pieces {
            decoder.feed(piece)
            while let event = try decoder.next() {
                if case .request(let request) = event { requests.append(request) }
            }
        }
        return requests
    }

    func status(_ text: String, limits: HTTPLimits = HTTPLimits()) -> Int? {
        do {
            _ = try decode(text, limits: limits)
            return nil
        } catch {
            return error.status.code
        }
    }

    @Test(arguments: [false, true])
    func simpleRequest_IsDecoded(byteAtATime: Bool) throws {
        let requests = try decode(
            "GET /healthz?x=1 HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n", byteAtATime: byteAtATime)
        #expect(requests.count == 1)
        #expect(requests[0].method == "GET")
        #expect(requests[0].path == "/healthz")
        #expect(requests[0].target.hasSuffix("?x=1"))
        #expect(requests[0].header("accept") == "*/*")
        #expect(requests[0].keepAlive)
    }

    @Test(arguments: [false, true])
    func pipelinedRequests_AreDecodedInOrder(byteAtATime: Bool) throws {
        let text =
            "GET /a HTTP/1.1\r\nHost: a\r\n\r\nPOST /b HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET /c HTTP/1.1\r\nHost: a\r\n\r\n"
        let requests = try decode(text, byteAtATime: byteAtATime)
        #expect(requests.map(\.path) == ["/a", "/b", "/c"])
        #expect(requests[1].body == Array("hello".utf8))
    }

    @Test(arguments: [false, true])
    func chunkedBody_IsDecodedWithExtensionsAndTrailers(byteAtATime: Bool) throws {
        let text =
            "POST /s HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n"
        let requests = try decode(text, byteAtATime: byteAtATime)
        #expect(requests.first?.body == Array("hello world".utf8))
    }

    @Test func emptyLinesBeforeARequest_AreIgnored() throws {
        #expect(try decode("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n").count == 1)
    }

    @Test func http10_NeedsNoHostAndClosesByDefault() throws {
        let request = try #require(try decode("GET / HTTP/1.0\r\n\r\n").first)
        #expect(!request.keepAlive)
        let kept = try #require(try decode("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").first)
        #expect(kept.keepAlive)
    }

    @Test func expectContinue_IsAnnouncedBeforeTheBody() throws {
        var decoder = make()
        decoder.feed(Array("POST /s HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n".utf8))
        guard case .continueExpected = try decoder.next() else {
            Issue.record("no continue event")
            return
        }
        #expect(try decoder.next() == nil)
        decoder.feed(Array("ok".utf8))
        guard case .request(let request) = try decoder.next() else {
            Issue.record("no request")
            return
        }
        #expect(request.body == Array("ok".utf8))
        #expect(status("POST /s HTTP/1.1\r\nHost: a\r\nExpect: magic\r\nContent-Length: 2\r\n\r\nok") == 417)
    }

    // RFC 9112 §6.1 and §6.3: framing that two parties could read differently.
    @Test(arguments: [
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\nabc",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\nabc",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x3\r\n\r\nabc",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nContent-Length : 3\r\n\r\nabc",
        "POST / HTTP/1.1\r\nHost: a\r\n Content-Length: 3\r\n\r\nabc",
        "POST / HTTP/1.1\r\nHost: a\r\nX: y\r\n folded\r\n\r\n",
        "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "GET / HTTP/1.1\nHost: a\n\n",
        "GET / HTTP/1.1\r\nHost: a\nX: y\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\rX: y\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nz\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n123456789\r\n",
    ])
    func ambiguousFraming_IsRefusedWith400(_ text: String) {
        #expect(status(text) == 400)
    }

    @Test func unknownTransferCoding_IsNotImplemented() {
        #expect(status("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n") == 501)
        #expect(
            status("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n")
                == 501)
    }

    @Test(arguments: [
        "GET\r\n\r\n", "GET / HTTP/1.1 extra\r\nHost: a\r\n\r\n", "GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.1\r\n\r\n", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "GET example.com HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET / HTP/1.1\r\nHost: a\r\n\r\n", "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", "GET /a b HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: a\r\nNo colon here\r\n\r\n", "GET / HTTP/1.1\r\nHost: a\r\nX: a\u{01}b\r\n\r\n",
        "\u{00}\u{01}\u{02}\u{03}\r\n\r\n", "GET / http/1.1\r\nHost: a\r\n\r\n",
    ])
    func malformedRequests_AreRefusedWith400(_ text: String) {
        #expect(status(text) == 400)
    }

    @Test func otherVersions_AreNotSupported() {
        #expect(status("GET / HTTP/2.0\r\nHost: a\r\n\r\n") == 505)
        #expect(status("GET / HTTP/1.2\r\nHost: a\r\n\r\n") == 505)
    }

    @Test func requestLine_IsLimited_AtAndBeyond() {
        var limits = HTTPLimits()
        limits.maximumRequestLineBytes = 30
        let atLimit = "GET /" + String(repeating: "a", count: 16) + " HTTP/1.1"  // 30 bytes
        #expect(atLimit.utf8.count == 30)
        #expect(status(atLimit + "\r\nHost: a\r\n\r\n", limits: limits) == nil)
        #expect(
            status("GET /" + String(repeating: "a", count: 17) + " HTTP/1.1\r\nHost: a\r\n\r\n", limits: limits) == 414)
        // Without a line end the limit still applies, so a client cannot grow the buffer forever.
        #expect(status("GET /" + String(repeating: "a", count: 100), limits: limits) == 414)
    }

    @Test func headerSection_IsLimited_AtAndBeyond() {
        var limits = HTTPLimits()
        limits.maximumHeaderBytes = 40
        // "Host: a\r\n" is 9 bytes, the final CRLF 2: 29 bytes of padding field reach 40 exactly.
        let field = "X: " + String(repeating: "b", count: 24)  // 27 + 2 = 29
        #expect(status("GET / HTTP/1.1\r\nHost: a\r\n\(field)\r\n\r\n", limits: limits) == nil)
        #expect(status("GET / HTTP/1.1\r\nHost: a\r\n\(field)b\r\n\r\n", limits: limits) == 431)
    }

    @Test func headerCount_IsLimited_AtAndBeyond() {
        var limits = HTTPLimits()
        limits.maximumHeaderCount = 3
        #expect(status("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n", limits: limits) == nil)
        #expect(status("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", limits: limits) == 431)
    }

    @Test func body_IsLimited_AtAndBeyond() {
        var limits = HTTPLimits()
        limits.maximumBodyBytes = 4
        #expect(status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nabcd", limits: limits) == nil)
        #expect(status("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nabcde", limits: limits) == 413)
        let chunked = "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
        #expect(status(chunked + "2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n", limits: limits) == nil)
        #expect(status(chunked + "2\r\nab\r\n3\r\ncde\r\n0\r\n\r\n", limits: limits) == 413)
    }

    @Test func afterAnError_TheDecoderStaysFailed() {
        var decoder = make()
        decoder.feed(Array("BAD\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n".utf8))
        #expect(throws: HTTPError.self) { try decoder.next() }
        #expect(throws: HTTPError.self) { try decoder.next() }
    }

    @Test func phase_FollowsTheRequest() throws {
        var decoder = make()
        #expect(decoder.phase == .idle)
        decoder.feed(Array("POST / HTTP/1.1\r\nHost".utf8))
        _ = try decoder.next()
        #expect(decoder.phase == .head)
        decoder.feed(Array(": a\r\nContent-Length: 2\r\n\r\na".utf8))
        _ = try decoder.next()
        #expect(decoder.phase == .body)
        decoder.feed(Array("b".utf8))
        _ = try decoder.next()
        #expect(decoder.phase == .idle)
    }

    @Test func percentDecoding_RefusesMalformedEscapesAndInvalidUTF8() {
        #expect(HTTPRequest.percentDecoded("a%2Fb%20c") == "a/b c")
        #expect(HTTPRequest.percentDecoded("%zz") == nil)
        #expect(HTTPRequest.percentDecoded("%ff") == nil)
        // Two hex digits of either case, each a byte's value; a sign is not a digit (an integer
        // parser takes "+5" and "-0"), nor is a space, and an escape cut short is malformed.
        #expect(HTTPRequest.percentDecoded("%4a%4A%c3%A9") == "JJé")
        for malformed in ["%+5", "%-0", "% 5", "%5 ", "%0x", "%4", "%", "a%2"] {
            #expect(HTTPRequest.percentDecoded(malformed) == nil, "\(malformed)")
        }
    }

    @Test func acceptEncoding_IsRead() {
        #expect(HTTPRequest(method: "GET", target: "/", headers: [("Accept-Encoding", "gzip, deflate")]).acceptsGzip)
        #expect(!HTTPRequest(method: "GET", target: "/", headers: [("Accept-Encoding", "gzip;q=0")]).acceptsGzip)
        #expect(!HTTPRequest(method: "GET", target: "/", headers: [("Accept-Encoding", "br")]).acceptsGzip)
    }

    @Test func acceptEncoding_ReadsQualityValuesAsNumbers() {
        func accepts(_ value: String) -> Bool {
            HTTPRequest(method: "GET", target: "/", headers: [("Accept-Encoding", value)]).acceptsGzip
        }
        #expect(!accepts("gzip;q=0.0") && !accepts("gzip; q=0.000") && !accepts("gzip;q=0, *"))
        #expect(accepts("gzip;q=0.001") && accepts("*") && accepts("GZIP;Q=1"))
        #expect(!accepts("*;q=0") && !accepts("identity"))
    }

    @Test func expect_InAnHTTP10Request_IsIgnored() throws {
        let requests = try decode("POST /s HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok")
        #expect(requests.first?.body == Array("ok".utf8))
        #expect(status("POST /s HTTP/1.0\r\nExpect: magic\r\nContent-Length: 2\r\n\r\nok") == nil)
    }

    @Test func absoluteFormTargets_AreAccepted_WithTheirAuthority() throws {
        let request = try decode("GET http://Example.org:8080/api/sweeps?limit=2 HTTP/1.1\r\nHost: other\r\n\r\n")[0]
        #expect(request.target == "/api/sweeps?limit=2")
        #expect(request.host == "Example.org:8080")
        #expect(try decode("GET https://h HTTP/1.1\r\nHost: h\r\n\r\n")[0].target == "/")
        #expect(status("GET ftp://h/x HTTP/1.1\r\nHost: h\r\n\r\n") == 400)
        #expect(status("GET http://us@er@h/x HTTP/1.1\r\nHost: h\r\n\r\n") == 400)
        #expect(status("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n") == 400)
    }

    @Test(arguments: [
        ("a b", 400), ("a/b", 400), ("host:port", 400), ("h:12345678901234567", 400), ("[::1", 400), ("h@x", 400),
        ("h:1-2", 400), ("localhost:08080", nil), ("localhost:8080", nil), ("127.0.0.1", nil), ("[::1]:80", nil), ("xn--bcher-kva.example", nil), ("", nil),
    ] as [(String, Int?)])
    func hostField_MustBeHostAndPort(_ host: String, _ expected: Int?) {
        #expect(status("GET / HTTP/1.1\r\nHost: \(host)\r\n\r\n") == expected, "\(host)")
    }
}

