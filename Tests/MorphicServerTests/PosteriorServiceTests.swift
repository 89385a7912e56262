import Foundation
import MorphicData
import MorphicInference
@testable import MorphicServer
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

    /// A job service on `data` with a finished sweep `name` of 3 field strengths × `replicates`
    /// tiny morphic runs; the caller shuts the service down.
    static func finishedSweep(named name: String, replicates: Int, in data: String) throws -> (JobService, String) {
        var configuration = ServerConfiguration()
        configuration.dataDirectory = data
        configuration.workers = 2
        let service = try JobService(configuration: configuration, log: Log())
        let id = try service.submit(
            Array(
                #"{"name": "\#(name)", "defaults": {"grid_size": 6, "generations": 5}, "groups": [{"prefix": "r", "mode": "morphic", "replicates": \#(replicates), "grid": {"field_strength": [0.2, 0.4, 0.6]}}]}"#
                    .utf8)
        ).status["id"]!.stringValue!
        let deadline = Date().addingTimeInterval(120)
        while try service.status(id)["status"] != .string("completed") && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        return (service, id)
    }
}
