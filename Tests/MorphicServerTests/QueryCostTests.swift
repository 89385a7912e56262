import Foundation
import HTTP
import MorphicData
import Synchronization
import TestSupport
import Testing

@testable import MorphicServer

/// Queries that scan a sweep's runs are admitted by their estimated cost, and a refused
/// client is told to come back when the admitted work is likely done.
@Suite(.serialized) struct QueryCostTests {
    /// Gives `pool` (of one thread) a measured rate of 20,000 cost a second (three items of
    /// 1,000 taking about 50 ms each), then holds its thread until `gate` is signalled;
    /// `done` is left when it is let go. Returns the rate measured, every item counted.
    static func measuredThenHeld(_ pool: FairPool, done: DispatchGroup, gate: DispatchSemaphore) throws -> Double? {
        for _ in 0..<3 {
            done.enter()
            try pool.submit(client: "seed", cost: 1000) {
                Thread.sleep(forTimeInterval: 0.05)
                done.leave()
            }
        }
        done.wait()
        // The one thread takes the blocker only once the items before it are counted.
        let holding = DispatchSemaphore(value: 0)
        done.enter()
        try pool.submit(client: "blocker", cost: 0) {
            holding.signal()
            gate.wait()
            done.leave()
        }
        holding.wait()
        return pool.rate
    }

    @Test func cost_IsTheRunsScannedTimesWhatIsComputedOnEach() throws {
        func cost(_ target: String, runs: Int) throws -> Int {
            API.queryCost(try Route(method: "GET", target: target), runs: runs)
        }
        #expect(try cost("/api/sweeps/s/runs", runs: 10_000) == 10_000)
        #expect(try cost("/api/sweeps/s/runs.csv", runs: 10_000) == 10_000)
        #expect(try cost("/api/sweeps/s/runs?filter=seed%20%3E%3D%201%20and%20mode%20%3D%20morphic", runs: 500) == 1500)
        #expect(try cost("/api/sweeps/s/runs?sort=-seed,run_id&limit=5", runs: 500) == 1500)
        #expect(try cost("/api/sweeps/s/columns?fields=seed,final_population,max_population", runs: 100) == 400)
        #expect(try cost("/api/sweeps/s/map", runs: 100) == 100)
        // A sweep with no runs known still costs something; a huge one does not overflow.
        #expect(try cost("/api/sweeps/s/runs", runs: 0) == 1)
        #expect(try cost("/api/sweeps/s/columns?fields=a,b", runs: .max) == .max)
    }

    @Test func queriesPastTheQueuedCost_Get503_WithRetryAfterFromTheMeasuredRate() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        var configuration = ServerConfiguration()
        configuration.dataDirectory = data
        configuration.workers = 1
        let log = Log(destination: nil)
        let service = try JobService(configuration: configuration, log: log)
        let pool = BlockingPool(threads: 2, queueDepth: 64)
        // Room for two queries over 2,000 runs with a filter (4,000 run visits each).
        let query = FairPool(limits: FairPool.Limits(threads: 1, queueDepth: 64, queuedCost: 8_000, perClient: 64))
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
        let answers = Mutex<[HTTPResponse]>([])
        func send(_ target: String, from peer: String, method: String = "GET", body: [UInt8] = []) -> HTTPResponse? {
            var request = HTTPRequest(
                method: method, target: target, headers: [("Host", "127.0.0.1"), ("Content-Type", "application/json")],
                body: body)
            request.peer = peer
            return api.handle(request, Responder { response in answers.withLock { $0.append(response) } })
        }
        // Submitted is enough: its runs are known from the definition.
        _ = send("/api/sweeps", from: "c", method: "POST", body: HostileClientTests.definition(name: "cost", runs: 2000))
        #expect(Polling.until { answers.withLock { $0.count } == 1 })
        guard case .bytes(let body) = answers.withLock({ $0[0].body }),
            let id = try JSONParser.parse(body)["id"]?.stringValue
        else {
            Issue.record("no sweep id")
            return
        }
        // The pool's rate: 1,000 run visits in about 50 ms, 20,000 a second; then its one
        // thread held, so what is admitted waits.
        let done = DispatchGroup()
        let gate = DispatchSemaphore(value: 0)
        let rate = try #require(try Self.measuredThenHeld(query, done: done, gate: gate))
        let target = "/api/sweeps/\(id)/runs?filter=seed%20%3E%3D%200"
        #expect(send(target, from: "a") == nil, "queued")
        #expect(send(target, from: "b") == nil, "queued")
        #expect(query.waitingCost == 8_000)
        // A third, from a client with nothing queued, would pass the bound on queued cost.
        let refused = try #require(send(target, from: "d"))
        #expect(refused.status == .serviceUnavailable)
        let expected = min(60, Int(configuration.http.maximumQueueDelay.rounded(.up)), max(1, Int((8_000 / rate).rounded(.up))))
        #expect(refused.header("Retry-After") == String(expected), "8,000 run visits at \(rate) a second")
        #expect(query.waitingCost == 8_000, "the refused query holds nothing")
        gate.signal()
        done.wait()
    }

    @Test func framesPastTheQueuedCost_Get503_WithRetryAfterFromTheMeasuredRate() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        var configuration = ServerConfiguration()
        configuration.dataDirectory = data
        configuration.workers = 1
        let log = Log(destination: nil)
        let service = try JobService(configuration: configuration, log: log)
        let pool = BlockingPool(threads: 2, queueDepth: 64)
        let query = FairPool(limits: FairPool.Limits(threads: 1, queueDepth: 64, queuedCost: 1 << 40, perClient: 64))
        // Room for two frames requests of a 16 × 16 grid over 50 generations (12,800 cell updates each).
        let heavy = FairPool(limits: FairPool.Limits(threads: 1, queueDepth: 8, queuedCost: 25_600, perClient: 8))
        defer {
            heavy.shutdown()
            query.shutdown()
            pool.shutdown()
            service.shutdown()
        }
        let api = API(
            service: service, configuration: configuration, log: log, pool: pool, query: query, heavy: heavy,
            connections: { 0 })
        let answers = Mutex<[String: HTTPResponse]>([:])
        func send(_ target: String, from peer: String, method: String = "GET", body: [UInt8] = []) {
            var request = HTTPRequest(
                method: method, target: target, headers: [("Host", "127.0.0.1"), ("Content-Type", "application/json")],
                body: body)
            request.peer = peer
            let responder = Responder { response in answers.withLock { $0[peer] = response } }
            if let response = api.handle(request, responder) { answers.withLock { $0[peer] = response } }
        }
        send(
            "/api/sweeps", from: "submit", method: "POST",
            body: HostileClientTests.definition(name: "frames-cost", runs: 1, grid: 16, generations: 50))
        #expect(Polling.until { answers.withLock { $0["submit"] } != nil })
        guard case .bytes(let body) = answers.withLock({ $0["submit"]!.body }),
            let id = try JSONParser.parse(body)["id"]?.stringValue
        else {
            Issue.record("no sweep id")
            return
        }
        #expect(Polling.until(60) { (try? service.status(id))?["status"]?.stringValue == "completed" })
        // The pool's rate: 1,000 cell updates in about 50 ms, 20,000 a second.
        let done = DispatchGroup()
        let gate = DispatchSemaphore(value: 0)
        let rate = try #require(try Self.measuredThenHeld(heavy, done: done, gate: gate))
        let target = "/api/sweeps/\(id)/runs/r_1/frames"
        send(target, from: "a")
        send(target, from: "b")
        #expect(Polling.until { heavy.waitingCost == 25_600 }, "both queued: \(heavy.waitingCost)")
        send(target, from: "d")
        #expect(Polling.until { answers.withLock { $0["d"] } != nil })
        let refused = try #require(answers.withLock { $0["d"] })
        #expect(refused.status == .serviceUnavailable)
        let expected = min(60, Int(configuration.http.maximumQueueDelay.rounded(.up)), max(1, Int((25_600 / rate).rounded(.up))))
        #expect(refused.header("Retry-After") == String(expected), "25,600 cell updates at \(rate) a second")
        gate.signal()
        done.wait()
        #expect(Polling.until(30) { answers.withLock { $0["a"]?.status == .ok && $0["b"]?.status == .ok } })
    }
}

/// Polling with a deadline, for answers posted from other threads.
enum Polling {
    static func until(_ seconds: Double = 10, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !condition() {
            if Date() > deadline { return false }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return true
    }
}
