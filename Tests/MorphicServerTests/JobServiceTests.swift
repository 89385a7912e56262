import Foundation
import MorphicData
import MorphicServer
import TestSupport
import Testing

@Suite struct JobServiceTests {
    @Test func roundRobin_LetsASmallSweepFinishBeforeALargeOne() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        var configuration = ServerConfiguration()
        configuration.dataDirectory = data
        configuration.workers = 1
        let service = try JobService(configuration: configuration, log: Log())
        defer { service.shutdown() }
        let large = try service.submit(
            Array(
                #"{"name": "large", "defaults": {"grid_size": 48, "generations": 200}, "groups": [{"prefix": "l", "replicates": 40}]}"#
                    .utf8))
        let small = try service.submit(
            Array(
                #"{"name": "small", "defaults": {"grid_size": 48, "generations": 200}, "groups": [{"prefix": "s", "replicates": 2}]}"#
                    .utf8))
        let largeID = large.status["id"]!.stringValue!
        let smallID = small.status["id"]!.stringValue!
        let deadline = Date().addingTimeInterval(120)
        while try service.status(smallID)["status"] != .string("completed") && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
        #expect(try service.status(smallID)["status"] == .string("completed"))
        let largeDone = try service.status(largeID)["progress"]?["runs_completed"]?.intValue ?? 0
        #expect(largeDone < 40, "the small sweep waited for the large one")
        // Newest first.
        #expect(service.list(offset: 0, limit: 10).sweeps.map { $0["id"]!.stringValue! } == [smallID, largeID])
        #expect(service.list(offset: 1, limit: 10).sweeps.map { $0["id"]!.stringValue! } == [largeID])
        #expect(service.list(offset: 5, limit: 10).total == 2)
    }
}
