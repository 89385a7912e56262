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

    /// Trained references are kept within a bound on their runs together, besides their
    /// number: past it the least recently used is dropped (and trained again when asked),
    /// within it both stay.
    @Test func trainedReferences_AreKeptWithinABoundOnTheirRunsTogether() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let service = try Self.service(in: data)
        defer { service.shutdown() }
        let ids = try ["kept-a", "kept-b"].map { name in
            try Self.finished(
                #"{"name": "\#(name)", "seed": 1, "defaults": {"grid_size": 6, "generations": 5}, "groups": [{"prefix": "r", "mode": "morphic", "sample": {"count": 200, "method": "random", "params": {"field_strength": {"uniform": [0.1, 1.0]}}}}]}"#,
                in: service)
        }
        for (bound, keepsBoth) in [(300, false), (400, true)] {
            var limits = InferenceLimits()
            limits.trees = 10
            limits.cachedReferenceRuns = bound
            let posteriors = PosteriorService(service: service, limits: limits)
            func trained(_ id: String) throws -> Int {
                let deadline = Date().addingTimeInterval(60)
                var status = try posteriors.calibration(id).status.code
                while status == 202 && Date() < deadline {
                    Thread.sleep(forTimeInterval: 0.05)
                    status = try posteriors.calibration(id).status.code
                }
                return status
            }
            #expect(try trained(ids[0]) == 200 && trained(ids[1]) == 200, "\(bound)")
            // The first, least recently used, is still there only within the bound.
            #expect(try posteriors.calibration(ids[0]).status.code == (keepsBoth ? 200 : 202), "\(bound)")
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

    /// A query on `map_x`/`map_y` never computes the map on its own thread nor waits for it:
    /// until the map is computed it answers 503 with `Retry-After` at once, having started the
    /// one computation `GET …/map` then reports (202) and shares, whichever asks first.
    @Test func mapQuery_Answers503AtOnce_AndSharesTheOneComputation() throws {
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
            for _ in 0..<3 {
                let asked = Date()
                do {
                    _ = try posteriors.runMap(id)
                    Issue.record("a query had the map before it was computed")
                } catch let error as APIError {
                    #expect(error.status == .serviceUnavailable)
                    #expect(error.message.hasPrefix("the run map of sweep \(id) is being computed; ask again"))
                    #expect(error.headers.contains { $0.name == "Retry-After" })
                }
                #expect(Date().timeIntervalSince(asked) < 5, "answered without waiting for the map")
            }
            #expect(started.wait(timeout: .now() + 30) == .success, "one computation started")
            #expect(try posteriors.map(id).status.code == 202, "mapperFirst: \(mapperFirst)")
            // Enough for a second computation too, so a wrong one ends rather than hangs.
            for _ in 0..<2 { gate.signal() }
            #expect(try Self.mapAnswer(posteriors, id) == 200)
            #expect(try posteriors.runMap(id).map.runIDs.count == 30)
            #expect(computed.load(ordering: .relaxed) == 1, "mapperFirst: \(mapperFirst)")
        }
    }

    /// A map refused because its features cannot be read names the file within the sweep,
    /// never where the server keeps its data.
    @Test func refusedMap_NamesTheFileWithoutTheServersPath() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let (service, id) = try Self.finishedSweep(named: "unread", replicates: 10, in: data)
        defer { service.shutdown() }
        let folder = (try service.datasetFile(id, name: "manifest.json") as NSString).deletingLastPathComponent
        try Data("not features\n".utf8).write(to: URL(fileURLWithPath: folder + "/features.csv"))
        let posteriors = PosteriorService(service: service)
        #expect(try Self.mapAnswer(posteriors, id) == 422)
        do {
            _ = try posteriors.map(id)
            Issue.record("the map of unreadable features was answered")
        } catch let error as APIError {
            #expect(error.message.contains("features.csv"), "\(error.message)")
            #expect(!error.message.contains(data), "\(error.message)")
            #expect(!error.message.contains(folder), "\(error.message)")
        }
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
        limits.cachedMaps = 1
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

    /// Maps being computed do not count against the cache's bound: other sweeps' maps asked
    /// for do not evict a computed one before it is read (five views open on five sweeps
    /// evicted each other's maps, and none was ever answered), and a map just computed is kept
    /// over older ones.
    @Test func mapsAskedFor_DoNotEvictAComputedMap() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let (service, first) = try Self.finishedSweep(named: "kept", replicates: 10, in: data)
        let others = try ["asked-a", "asked-b"].map { try Self.finishedSweep(named: $0, replicates: 10, in: service) }
        defer { service.shutdown() }
        var limits = InferenceLimits()
        limits.cachedMaps = 1
        let gate = DispatchSemaphore(value: 0)
        let posteriors = PosteriorService(service: service, limits: limits) { folder throws(APIError) in
            if !folder.contains(first) { _ = gate.wait(timeout: .now() + 30) }
            return try PosteriorService.computeMap(folder)
        }
        #expect(try Self.mapAnswer(posteriors, first) == 200)
        for other in others { #expect(try posteriors.map(other).status.code == 202) }
        #expect(try posteriors.map(first).status.code == 200, "kept while the others are computed")
        #expect(try posteriors.runMap(first).map.runIDs.count == 30)
        gate.signal()
        #expect(try Self.mapAnswer(posteriors, others[0]) == 200)
        #expect(try posteriors.map(others[0]).status.code == 200, "the map just computed is kept")
        gate.signal()
        #expect(try Self.mapAnswer(posteriors, others[1]) == 200)
        #expect(posteriors.mapsHeld == 1)
    }

    /// Deleting a sweep through the API forgets its refused map.
    @Test func deletingASweep_ForgetsItsRefusedMap() throws {
        let served = try Served(named: "deleted")
        defer { served.shutdown() }
        let id = served.id
        // Features that cannot be read make the map a refusal.
        let folder = (try served.service.datasetFile(id, name: "manifest.json") as NSString).deletingLastPathComponent
        try Data("not features\n".utf8).write(to: URL(fileURLWithPath: folder + "/features.csv"))
        #expect(try Self.mapAnswer(served.api.posteriors, id) == 422)
        #expect(served.api.posteriors.mapsHeld == 1)
        #expect(served.ask("DELETE", "/api/sweeps/\(id)").status == 204)
        #expect(served.api.posteriors.mapsHeld == 0)
    }

    /// A brushed map filters the charts as it does the table: `columns`, `aggregate` and
    /// `importance` with a filter on `map_x`/`map_y` answer 503 until the map is computed, then
    /// match the runs the runs page matches. They answered 200 with no run matched (and kept
    /// that answer's tag) until a runs query had placed the map.
    @Test func explorerFilters_OnTheMap_MatchTheRunsPage() throws {
        let served = try Served(named: "brushed")
        defer { served.shutdown() }
        let id = served.id
        func get(_ target: String) -> (status: Int, json: JSON?) {
            let answer = served.ask("GET", target)
            return (answer.status, try? JSONParser.parse(answer.body))
        }
        let filter = "filter=map_x%20%3E%3D%200"
        let targets = [
            "/api/sweeps/\(id)/columns?fields=field_strength&\(filter)",
            "/api/sweeps/\(id)/aggregate?y=final_population&x=field_strength&\(filter)",
            "/api/sweeps/\(id)/importance?y=final_population&\(filter)",
        ]
        for target in targets { #expect(get(target).status == 503, "\(target) before the map") }
        #expect(try Self.mapAnswer(served.api.posteriors, id) == 200)
        let runs = get("/api/sweeps/\(id)/runs?limit=1&\(filter)")
        #expect(runs.status == 200)
        let matched = runs.json?["matched"]?.intValue ?? -1
        #expect(matched > 0 && matched < 30, "the brush keeps some runs: \(matched)")
        for target in targets.prefix(2) {
            let answer = get(target)
            #expect(answer.status == 200)
            #expect(answer.json?["matched"]?.intValue == matched, "\(target)")
        }
        #expect(get(targets[2]).status == 200)
    }

    /// A finished sweep `name` (``finishedSweep(named:replicates:in:)``, 10 replicates) behind
    /// the API, asked as the event loops ask it.
    struct Served {
        let service: JobService
        let id: String
        let api: API
        private let pool = BlockingPool(threads: 1, queueDepth: 8)
        private let query = FairPool(limits: FairPool.Limits(threads: 1, queueDepth: 8, queuedCost: 1 << 40, perClient: 8))
        private let data: String

        init(named name: String) throws {
            data = try temporaryFolder()
            var configuration = ServerConfiguration()
            configuration.dataDirectory = data
            service = try JobService(configuration: configuration, log: Log(destination: nil))
            id = try PosteriorServiceTests.finishedSweep(named: name, replicates: 10, in: service)
            api = API(
                service: service, configuration: configuration, log: Log(destination: nil), pool: pool,
                query: query, heavy: query, connections: { 0 })
        }

        /// The status and the whole body of `method target`.
        func ask(_ method: String, _ target: String) -> (status: Int, body: [UInt8]) {
            let answered = DispatchSemaphore(value: 0)
            let answer = Mutex<(Int, [UInt8])?>(nil)
            var request = HTTPRequest(method: method, target: target, headers: [("Host", "127.0.0.1")])
            request.peer = "a"
            let responder = Responder { response in
                var bytes: [UInt8] = []
                switch response.body {
                case .bytes(let body): bytes = body
                case .producer(let producer):
                    while let piece = try? producer.next(maximum: 1 << 16), !piece.isEmpty { bytes += piece }
                default: break
                }
                answer.withLock { $0 = (response.status.code, bytes) }
                answered.signal()
            }
            if let response = api.handle(request, responder) { responder.send(response) }
            #expect(answered.wait(timeout: .now() + 30) == .success, "\(method) \(target)")
            return answer.withLock { $0 } ?? (0, [])
        }

        func shutdown() {
            query.shutdown()
            pool.shutdown()
            service.shutdown()
            try? FileManager.default.removeItem(atPath: data)
        }
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
        let service = try Self.service(in: data)
        return (service, try finishedSweep(named: name, replicates: replicates, in: service))
    }

    /// A job service over `data`, with two workers.
    static func service(in data: String) throws -> JobService {
        var configuration = ServerConfiguration()
        configuration.dataDirectory = data
        configuration.workers = 2
        return try JobService(configuration: configuration, log: Log())
    }

    /// The id of a finished sweep `name` of 3 field strengths × `replicates` tiny morphic runs
    /// submitted to `service`.
    static func finishedSweep(named name: String, replicates: Int, in service: JobService) throws -> String {
        try finished(
            #"{"name": "\#(name)", "defaults": {"grid_size": 6, "generations": 5}, "groups": [{"prefix": "r", "mode": "morphic", "replicates": \#(replicates), "grid": {"field_strength": [0.2, 0.4, 0.6]}}]}"#,
            in: service)
    }

    /// The id of the sweep of `definition` submitted to `service`, once it has completed.
    static func finished(_ definition: String, in service: JobService) throws -> String {
        let id = try service.submit(Array(definition.utf8)).status["id"]!.stringValue!
        let deadline = Date().addingTimeInterval(120)
        while try service.status(id)["status"] != .string("completed") && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        return id
    }
}
