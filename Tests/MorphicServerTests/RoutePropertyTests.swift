import Foundation
import HTTP
import MorphicData
import Synchronization
import TestSupport
import Testing

@testable import MorphicServer

/// Every route driven with generated path and query values, extremes of `Int` among them:
/// no value may crash the server or earn a 5xx, and every refusal has the API's shape.
@Suite(.serialized) struct RoutePropertyTests {
    /// A small deterministic generator, so a failure names a case that can be replayed.
    struct Generator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func pick<T>(_ values: [T]) -> T { values[Int(next() % UInt64(values.count))] }
        mutating func text(_ alphabet: String, upTo length: Int) -> String {
            let characters = Array(alphabet)
            return String((0..<Int(next() % UInt64(length + 1))).map { _ in pick(characters) })
        }
    }

    static let numbers = [
        "0", "1", "-1", "10000", "10001", "1000000000", "1000000001", "9223372036854775807", "9223372036854775808",
        "-9223372036854775808", "99999999999999999999999", "1e3", "0x10", "", "abc", "%00", "%ZZ", "%", "+1", " 1",
        "1.5", "٣", "%F0%9F%98%80", "0000000000001",
    ]

    static func value(_ generator: inout Generator) -> String {
        generator.next() % 3 == 0
            ? generator.text("0123456789-+%azAZ.&=/?#_~", upTo: 24) : generator.pick(numbers)
    }

    @Test func query_IsPercentDecoded_WithPlusAsSpace_AndMalformedEscapesRefused() throws {
        #expect(try Route.query("a=1&b=%2F+x&c") == ["a": "1", "b": "/ x", "c": ""])
        #expect(throws: Route.Failure.self) { try Route.query("a=%zz") }
        #expect(throws: Route.Failure.self) { try Route.query("a=%ff") }
        #expect(try Route(method: "GET", target: "/api/sweeps/s-1/runs?filter=mode+%3D+morphic")
            == .runs(sweep: "s-1", Route.Page(offset: 0, limit: 1000), Route.Selection(["filter": "mode = morphic"])))
    }

    /// RFC 3986 §6.2.2.2: an escaped unreserved character is the character itself, in any
    /// segment and in either case of hex; any other escape is kept, so it never splits a path.
    @Test func pathEscapes_OfUnreservedCharacters_AreTheCharacters() throws {
        let plain = try Route(method: "GET", target: "/api/sweeps/seed-1f/runs/r_1")
        for spelled in [
            "/api/sweeps/%73eed-1f/runs/r_1", "/%61pi/sweeps/seed-1%66/runs/r%5F1", "/api/%73weeps/seed%2d1f/runs/r_%31",
            "/api/sweeps/seed-1f/%72uns/r_1",
        ] {
            #expect(try Route(method: "GET", target: spelled) == plain, "\(spelled)")
        }
        #expect(try Route(method: "GET", target: "/api/sweeps/%73eed-1f") == Route(method: "GET", target: "/api/sweeps/seed-1f"))
        #expect(try Route(method: "GET", target: "/h%65althz") == .health)
        #expect(Route.unreservedDecoded("a%7e%7E%2D%2e%5f") == "a~~-._")
        // Reserved and other bytes stay escaped, and a broken escape stays as sent.
        #expect(Route.unreservedDecoded("a%2Fb%3F%25%20%zz%4") == "a%2Fb%3F%25%20%zz%4")
        for target in ["/api/sweeps/seed-1f%2Fruns", "/api/sweeps/seed%2D1f%2Fruns%2Fr_1", "/api/sweeps/%"] {
            let error = #expect(throws: Route.Failure.self, "\(target)") { try Route(method: "GET", target: target) }
            #expect(error?.status == 404, "\(target)")
        }
    }

    @Test func unknownParameters_AreRefused_NamingThem_OnEveryRoute() throws {
        let targets: [(String, String, Set<String>)] = [
            ("GET", "/healthz", []), ("GET", "/metrics", []), ("GET", "/api/sweeps", ["offset", "limit"]),
            ("POST", "/api/sweeps", []), ("GET", "/api/sweeps/s-1", []), ("DELETE", "/api/sweeps/s-1", []),
            ("GET", "/api/sweeps/s-1/runs", ["offset", "limit", "filter", "sort", "fields"]),
            ("GET", "/api/sweeps/s-1/runs.csv", ["offset", "limit", "filter", "sort", "fields"]),
            ("GET", "/api/sweeps/s-1/columns", ["fields", "filter"]),
            ("GET", "/api/sweeps/s-1/aggregate", ["y", "x", "by", "series", "filter"]),
            ("GET", "/api/sweeps/s-1/importance", ["y", "filter"]),
            ("GET", "/api/sweeps/s-1/runs/r_1", []), ("GET", "/api/sweeps/s-1/runs/r_1/frames", ["from", "to", "every"]),
            ("GET", "/api/sweeps/s-1/manifest.json", ["runs"]), ("GET", "/api/sweeps/s-1/dataset.tar.gz", []),
            ("POST", "/api/sweeps/s-1/cancel", []), ("POST", "/api/sweeps/s-1/retry", []),
            ("GET", "/api/sweeps/s-1/validation", []), ("GET", "/", []), ("GET", "/js/main.js", []),
        ]
        for (method, path, known) in targets {
            for name in ["bogus", "v", "_", "Limit", "callback"] {
                let error = #expect(throws: Route.Failure.self, "\(method) \(path)?\(name)=1") {
                    try Route(method: method, target: "\(path)?\(name)=1")
                }
                #expect(error?.status == 400 && error?.field == name, "\(method) \(path)?\(name)=1")
            }
            // Every parameter the route reads still passes this check (a value may be refused later on its own).
            for name in known {
                do { _ = try Route(method: method, target: "\(path)?\(name)=1") } catch {
                    #expect(error.field == name && !error.message.contains("unknown"), "\(path)?\(name)=1")
                }
            }
        }
    }

    /// A sweep's own target is told from its bytes without the general match; with an empty
    /// query (`?`) it takes the general match, and both must read it alike, refusals included.
    @Test func sweepTarget_ReadsAlike_WithAndWithoutTheGeneralMatch() {
        var generator = Generator(state: 7)
        let ids = ["a-1", "seed-sweep-7f41200d7684a6fb", "", "A", "a_b", "a#b", "%61", String(repeating: "a", count: 80),
            String(repeating: "a", count: 81), "é", "a.b", "..", "-"]
        for index in 0..<5_000 {
            let id = index < ids.count ? ids[index] : generator.text("az09-_.%#AZé~", upTo: 90)
            let method = generator.pick(["GET", "HEAD", "POST", "DELETE", "PUT", "get"])
            let fast = Result { () throws(Route.Failure) in try Route(method: method, target: "/api/sweeps/" + id) }
            let general = Result { () throws(Route.Failure) in try Route(method: method, target: "/api/sweeps/" + id + "?") }
            #expect(fast == general, "\(method) /api/sweeps/\(id)")
        }
    }

    @Test func routeParsing_NeverFails_ExceptWithA4xx() {
        var generator = Generator(state: 1)
        let templates = [
            "/healthz", "/metrics", "/api/sweeps", "/api/sweeps/ID", "/api/sweeps/ID/runs", "/api/sweeps/ID/runs/RUN",
            "/api/sweeps/ID/runs/RUN/frames", "/api/sweeps/ID/manifest.json", "/api/sweeps/ID/dataset.tar.gz", "/api/sweeps/ID/cancel",
            "/api/sweeps/ID/retry", "/api/sweeps/ID/posterior", "/api/sweeps/ID/calibration", "/api/sweeps/ID/map", "/api/sweeps/ID/importance", "/",
            "/index.html", "/PATH",
        ]
        for _ in 0..<20_000 {
            var path = generator.pick(templates)
            path = path.replacingOccurrences(of: "ID", with: generator.pick(["a-1", Self.value(&generator), "x"]))
            path = path.replacingOccurrences(of: "RUN", with: generator.pick(["r_1", Self.value(&generator)]))
            path = path.replacingOccurrences(of: "PATH", with: generator.text("abc./%2e\\0", upTo: 12))
            let query = (0..<Int(generator.next() % 4)).map { _ in
                generator.pick(["offset", "limit", "x", Self.value(&generator)]) + "=" + Self.value(&generator)
            }.joined(separator: "&")
            let method = generator.pick(["GET", "HEAD", "POST", "DELETE", "PUT", "PATCH", "OPTIONS", "BREW"])
            let target = query.isEmpty ? path : path + "?" + query
            do {
                let route = try Route(method: method, target: target)
                if case .runs(_, let page, _) = route {
                    #expect((0...Route.Page.maximumOffset).contains(page.offset) && (1...10_000).contains(page.limit))
                }
                if case .file(let file) = route { #expect(!file.split(separator: "/").contains { $0.hasPrefix(".") }) }
            } catch {
                #expect((400..<500).contains(error.status), "\(method) \(target)")
            }
        }
    }

    @Test func everyRoute_OfTheLiveAPI_AnswersBelow500() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        var configuration = ServerConfiguration()
        configuration.dataDirectory = data
        configuration.workers = 1
        configuration.publicDirectory = ServerProcess.packageFolder + "/Public"
        let log = Log(destination: nil)
        let service = try JobService(configuration: configuration, log: log)
        let pool = BlockingPool(threads: 2, queueDepth: 64)
        let query = FairPool(limits: FairPool.Limits(threads: 1, queueDepth: 64, queuedCost: 1 << 40, perClient: 64))
        let heavy = FairPool(limits: FairPool.Limits(threads: 1, queueDepth: 8, queuedCost: 1 << 40, perClient: 8))
        defer {
            heavy.shutdown()
            query.shutdown()
            pool.shutdown()
            service.shutdown()
        }
        let api = API(
            service: service, configuration: configuration, log: log, pool: pool, query: query, heavy: heavy,
            connections: { 0 })
        func send(_ request: HTTPRequest) -> HTTPResponse {
            let answer = Mutex<HTTPResponse?>(nil)
            let done = DispatchSemaphore(value: 0)
            let responder = Responder { response in
                answer.withLock { $0 = response }
                done.signal()
            }
            if let response = api.handle(request, responder) { return response }
            done.wait()
            return answer.withLock { $0! }
        }
        let created = send(
            HTTPRequest(
                method: "POST", target: "/api/sweeps", headers: [("Host", "127.0.0.1"), ("Content-Type", "application/json")],
                body: HostileClientTests.definition(name: "property", runs: 4)))
        #expect(created.status.code == 202)
        guard case .bytes(let body) = created.body, let id = try JSONParser.parse(body)["id"]?.stringValue else {
            Issue.record("no sweep id")
            return
        }
        var generator = Generator(state: 7)
        let paths = [
            "/healthz", "/metrics", "/api/sweeps", "/api/sweeps/ID", "/api/sweeps/ID/runs", "/api/sweeps/ID/runs/RUN",
            "/api/sweeps/ID/runs/RUN/frames", "/api/sweeps/ID/manifest.json", "/api/sweeps/ID/dataset.tar.gz", "/api/sweeps/ID/cancel",
            "/api/sweeps/ID/retry", "/api/sweeps/ID/posterior", "/api/sweeps/ID/calibration", "/api/sweeps/ID/map", "/api/sweeps/ID/importance", "/",
            "/js/main.js", "/inference.js", "/openapi.json", "/nothing-here",
        ]
        for _ in 0..<3_000 {
            var path = generator.pick(paths)
            path = path.replacingOccurrences(of: "ID", with: generator.pick([id, id, "no-such-sweep", Self.value(&generator)]))
            path = path.replacingOccurrences(of: "RUN", with: generator.pick(["r_1", "r_4", "r_5", Self.value(&generator)]))
            let query = (0..<Int(generator.next() % 3)).map { _ in
                generator.pick(["offset", "limit", "q", "from", "to", "every"]) + "=" + Self.value(&generator)
            }.joined(separator: "&")
            // No DELETE: the sweep must stay for later cases.
            let method = generator.pick(["GET", "HEAD", "GET", "POST", "PUT"])
            let body: [UInt8] = generator.next() % 2 == 0 ? [] : Array(Self.value(&generator).utf8)
            let request = HTTPRequest(
                method: method, target: query.isEmpty ? path : path + "?" + query,
                headers: [("Host", "127.0.0.1"), ("Content-Type", "application/json")], body: body)
            let response = send(request)
            #expect(response.status.code < 500, "\(method) \(request.target)")
            if response.status.code >= 400, case .bytes(let bytes) = response.body {
                let error = try? JSONParser.parse(bytes)["error"]
                #expect(error?["code"]?.stringValue != nil && error?["message"]?.stringValue != nil)
            }
        }
    }
}
