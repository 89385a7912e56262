import Foundation
import MorphicData
@testable import MorphicServer
import TestSupport
import Testing

/// The runs indexes held together stay within `limits.max_indexed_runs`: asking many sweeps
/// in turn holds the most recent ones' indexes, and a sweep whose index was let go answers
/// as before, from an index made again.
@Suite struct RunIndexBudgetTests {
    @Test func indexesOfSweepsAskedLeastRecently_AreDropped_AndMadeAgainAlike() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        var configuration = ServerConfiguration()
        configuration.dataDirectory = data
        configuration.workers = 2
        configuration.maximumIndexedRuns = 250  // two sweeps of 100 runs, not three
        let service = try JobService(configuration: configuration, log: Log())
        defer { service.shutdown() }
        let ids = try (0..<3).map { number in
            try service.submit(
                Array(
                    #"{"name": "budget\#(number)", "seed": \#(number), "defaults": {"grid_size": 6, "generations": 5}, "groups": [{"prefix": "r", "replicates": 100}]}"#
                        .utf8)
            ).status["id"]!.stringValue!
        }
        let deadline = Date().addingTimeInterval(120)
        for id in ids {
            while try service.status(id)["status"] != .string("completed") && Date() < deadline {
                Thread.sleep(forTimeInterval: 0.02)
            }
        }
        let sorted = try RunQuery(filter: nil, sort: "-final_population", fields: nil)
        let first = try service.runs(ids[0], query: sorted, offset: 0, limit: 5)
        let held = try service.index(of: ids[0])
        #expect(try service.index(of: ids[0]) === held, "an index is kept while within the budget")
        _ = try service.runs(ids[1], query: sorted, offset: 0, limit: 5)
        #expect(try service.index(of: ids[0]) === held, "two sweeps of 100 runs fit in 250")
        _ = try service.runs(ids[1], query: sorted, offset: 0, limit: 5)
        _ = try service.runs(ids[2], query: sorted, offset: 0, limit: 5)
        // ids[0] was asked least recently (the index(of:) calls above count as asking).
        let again = try service.index(of: ids[0])
        #expect(again !== held, "the least recently asked sweep's index was let go")
        #expect(try service.runs(ids[0], query: sorted, offset: 0, limit: 5) == first)
    }
}
