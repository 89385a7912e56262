import Dispatch
import Foundation
import HTTP
import MorphicData
import MorphicInference
@testable import MorphicServer
import Synchronization
import TestSupport
import Testing

/// A sweep of more runs than a reference may hold is refused at once, by its calibration,
/// its posteriors and its run map alike, naming the limit: not a training started (202) that
/// reads every run's features (gigabytes for a million runs) only to fail.
@Suite struct PosteriorServiceTests {
    @Test func sweepOverTheReferenceLimit_IsRefusedAtOnce_ByCalibrationPosteriorAndMap() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let (service, id) = try Self.finishedSweep(named: "over", replicates: 20, in: data)
        defer { service.shutdown() }
        var limits = InferenceLimits()
        limits.maximumRuns = 59
        let posteriors = PosteriorService(service: service, limits: limits)
        let message = "the reference has 60 runs, more than the limit of 59"
        let asks: [(String, () throws -> Int)] = [
            ("calibration", { try posteriors.calibration(id).status.code }),
            ("map", { try posteriors.map(id).status.code }),
            ("posterior", { try posteriors.posterior(id, body: Array(#"{"sweep": "\#(id)", "run": "r_1"}"#.utf8)).status.code }),
        ]
        for (name, ask) in asks {
            // Asked twice: the refusal is not a training under way the second time either.
            for _ in 0..<2 {
                do {
                    let status = try ask()
                    Issue.record("\(name) answered \(status) instead of refusing")
                } catch let error as APIError {
                    #expect(error.status.code == 422, "\(name)")
                    #expect(error.code == "invalid_reference", "\(name)")
                    #expect(error.message == message, "\(name)")
                }
            }
        }
        // One run fewer than the sweep holds is the limit it is measured against; at the
        // sweep's own count it is not refused for its size (it trains: 202 or an answer).
        limits.maximumRuns = 60
        let within = PosteriorService(service: service, limits: limits)
        do {
            _ = try within.calibration(id)
        } catch let error as APIError {
            #expect(!error.message.contains("more than the limit"), "\(error.message)")
        }
    }

    /// The run map is computed off the request (below the queries' priority): the first ask
    /// answers 202 with where to ask again, a later one the map, whose coordinates are those
    /// the runs query compares `map_x` and `map_y` with.
    @Test func runMap_Answers202WhileComputed_ThenTheMapTheRunsQueryUses() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let (service, id) = try Self.finishedSweep(named: "mapped", replicates: 10, in: data)
        defer { service.shutdown() }
        let posteriors = PosteriorService(service: service)
        let first = try posteriors.map(id)
        #expect(first.status.code == 202)
        #expect(first.headers.contains { $0.name == "Location" && $0.value == "/api/sweeps/\(id)/map" })
        var answer = first
        let deadline = Date().addingTimeInterval(120)
        while answer.status.code == 202 && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.02)
            answer = try posteriors.map(id)
        }
        #expect(answer.status.code == 200)
        guard case .bytes(let bytes) = answer.body else {
            Issue.record("the map's body is not in memory")
            return
        }
        let json = try JSONParser.parse(bytes)
        let expected = try posteriors.runMap(id).map
        #expect(json["run_id"]?.elements?.compactMap(\.stringValue) == expected.runIDs)
        #expect(json["x"]?.elements?.compactMap(\.doubleValue) == expected.x)
        #expect(json["y"]?.elements?.compactMap(\.doubleValue) == expected.y)
        #expect(expected.runIDs.count == 30)
    }

    /// A runs query on `map_x`/`map_y` and `GET …/map` asking at once share one computation
    /// of the map, whichever asks first: the runs query waits for the mapper's, and the
    /// mapper starts none while a runs query computes it.
    @Test func runsQueryAndMapAskingAtOnce_ComputeTheMapOnce() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let (service, id) = try Self.finishedSweep(named: "once", replicates: 10, in: data)
        defer { service.shutdown() }
        for mapperFirst in [true, false] {
            let computed = Atomic<Int>(0)
            let started = DispatchSemaphore(value: 0)
            let gate = DispatchSemaphore(value: 0)
            let posteriors = PosteriorService(service: service) { folder throws(APIError) in
                computed.add(1, ordering: .relaxed)
                started.signal()
                _ = gate.wait(timeout: .now() + 30)
                return try PosteriorService.computeMap(folder)
            }
            if mapperFirst { #expect(try posteriors.map(id).status.code == 202) }
            // On a thread of its own, as on the query pool.
            let placed = DispatchSemaphore(value: 0)
            let answer = Mutex<[String]?>(nil)
            Thread {
                answer.withLock { $0 = try? posteriors.runMap(id).map.runIDs }
                placed.signal()
            }.start()
            #expect(started.wait(timeout: .now() + 30) == .success, "one computation started")
            #expect(try posteriors.map(id).status.code == 202, "mapperFirst: \(mapperFirst)")
            #expect(placed.wait(timeout: .now() + 0.2) == .timedOut, "the runs query waits for the map")
            // Enough for a second computation too, so a wrong one ends rather than hangs.
            for _ in 0..<2 { gate.signal() }
            #expect(placed.wait(timeout: .now() + 30) == .success)
            #expect(answer.withLock { $0?.count } == 30)
            #expect(try Self.mapAnswer(posteriors, id) == 200)
            #expect(computed.load(ordering: .relaxed) == 1, "mapperFirst: \(mapperFirst)")
        }
    }

    /// A runs query does not wait past its bound for a map computed elsewhere: it answers 503
    /// with `Retry-After`, and the computation goes on for the next ask.
    @Test func runsQuery_Answers503_WhenTheMapIsStillComputedAtItsWait() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let (service, id) = try Self.finishedSweep(named: "slow", replicates: 10, in: data)
        defer { service.shutdown() }
        let started = DispatchSemaphore(value: 0)
        let gate = DispatchSemaphore(value: 0)
        let posteriors = PosteriorService(service: service, mapWait: 0.2) { folder throws(APIError) in
            started.signal()
            _ = gate.wait(timeout: .now() + 30)
            return try PosteriorService.computeMap(folder)
        }
        #expect(try posteriors.map(id).status.code == 202)
        #expect(started.wait(timeout: .now() + 30) == .success)
        do {
            _ = try posteriors.runMap(id)
            Issue.record("the runs query did not wait for the map being computed")
        } catch let error as APIError {
            #expect(error.status == .serviceUnavailable)
            #expect(error.message == "the run map of sweep \(id) is still being computed; ask again")
            #expect(error.headers.contains { $0.name == "Retry-After" })
        }
        gate.signal()
        #expect(try Self.mapAnswer(posteriors, id) == 200)
        #expect(try posteriors.runMap(id).map.runIDs.count == 30)
    }

    /// A map that cannot be computed is kept as a map would be: answered again at once, to the
    /// runs query too, without reading the features again; held within the cache's bound; and
    /// forgotten, like the map, when its sweep is deleted.
    @Test func refusedMap_IsKeptLikeAMap_BoundedAndForgottenWithItsSweep() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let (service, first) = try Self.finishedSweep(named: "refused", replicates: 10, in: data)
        let second = try Self.finishedSweep(named: "refused-too", replicates: 10, in: service)
        defer { service.shutdown() }
        var limits = InferenceLimits()
        limits.cachedReferences = 1
        let computed = Atomic<Int>(0)
        let posteriors = PosteriorService(service: service, limits: limits) { _ throws(APIError) in
            computed.add(1, ordering: .relaxed)
            throw APIError(status: .unprocessableContent, code: "invalid_reference", message: "unreadable features")
        }
        #expect(try Self.mapAnswer(posteriors, first) == 422)
        #expect(try Self.mapAnswer(posteriors, first) == 422)
        #expect(throws: APIError.self) { try posteriors.runMap(first) }
        #expect(computed.load(ordering: .relaxed) == 1)
        #expect(try Self.mapAnswer(posteriors, second) == 422)
        #expect(posteriors.mapsHeld == 1, "one sweep's map or refusal, the limit")
        try service.delete(second)
        posteriors.forget(second)
        #expect(posteriors.mapsHeld == 0)
    }

    /// Deleting a sweep through the API forgets its refused map.
    @Test func deletingASweep_ForgetsItsRefusedMap() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        var configuration = ServerConfiguration()
        configuration.dataDirectory = data
        let service = try JobService(configuration: configuration, log: Log(destination: nil))
        let id = try Self.finishedSweep(named: "deleted", replicates: 10, in: service)
        let pool = BlockingPool(threads: 1, queueDepth: 8)
        let query = FairPool(limits: FairPool.Limits(threads: 1, queueDepth: 8, queuedCost: 1 << 40, perClient: 8))
        defer {
            query.shutdown()
            pool.shutdown()
            service.shutdown()
        }
        let api = API(
            service: service, configuration: configuration, log: Log(destination: nil), pool: pool,
            query: query, heavy: query, connections: { 0 })
        // Features that cannot be read make the map a refusal.
        let folder = (try service.datasetFile(id, name: "manifest.json") as NSString).deletingLastPathComponent
        try Data("not features\n".utf8).write(to: URL(fileURLWithPath: folder + "/features.csv"))
        #expect(try Self.mapAnswer(api.posteriors, id) == 422)
        #expect(api.posteriors.mapsHeld == 1)
        let answered = DispatchSemaphore(value: 0)
        let status = Mutex<Int?>(nil)
        var request = HTTPRequest(method: "DELETE", target: "/api/sweeps/\(id)", headers: [("Host", "127.0.0.1")])
        request.peer = "a"
        let responder = Responder { response in
            status.withLock { $0 = response.status.code }
            answered.signal()
        }
        if let response = api.handle(request, responder) { responder.send(response) }
        #expect(answered.wait(timeout: .now() + 30) == .success)
        #expect(status.withLock { $0 } == 204)
        #expect(api.posteriors.mapsHeld == 0)
    }

    /// The status of `GET …/map` once the map is computed or refused.
    static func mapAnswer(_ posteriors: PosteriorService, _ id: String) throws -> Int {
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            do {
                let answer = try posteriors.map(id)
                if answer.status.code != 202 { return answer.status.code }
            } catch let error as APIError {
                return error.status.code
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return 202
    }

    /// A job service on `data` with a finished sweep `name` of 3 field strengths × `replicates`
    /// tiny morphic runs; the caller shuts the service down.
    static func finishedSweep(named name: String, replicates: Int, in data: String) throws -> (JobService, String) {
        var configuration = ServerConfiguration()
        configuration.dataDirectory = data
        configuration.workers = 2
        let service = try JobService(configuration: configuration, log: Log())
        return (service, try finishedSweep(named: name, replicates: replicates, in: service))
    }

    /// The id of a finished sweep `name` of 3 field strengths × `replicates` tiny morphic runs
    /// submitted to `service`.
    static func finishedSweep(named name: String, replicates: Int, in service: JobService) throws -> String {
        let id = try service.submit(
            Array(
                #"{"name": "\#(name)", "defaults": {"grid_size": 6, "generations": 5}, "groups": [{"prefix": "r", "mode": "morphic", "replicates": \#(replicates), "grid": {"field_strength": [0.2, 0.4, 0.6]}}]}"#
                    .utf8)
        ).status["id"]!.stringValue!
        let deadline = Date().addingTimeInterval(120)
        while try service.status(id)["status"] != .string("completed") && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        return id
    }
}
