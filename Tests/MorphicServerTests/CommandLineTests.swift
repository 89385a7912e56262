import Foundation
import TestSupport
import Testing

/// The `morphic` command as a user types it.
@Suite struct CommandLineTests {
    func morphic(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try execute(ServerProcess.executable, arguments)
    }

    @Test func invalidSweep_IsRefusedNamingTheField_AndWritesNothing() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try #"{"groups": [{"prefix": "a", "grid": {"temporal_decay": [0.1, 11]}}]}"#
            .write(toFile: root + "/bad.json", atomically: true, encoding: .utf8)
        let result = try morphic(["sweep", root + "/bad.json", "--output", root + "/out"])
        #expect(result.status != 0)
        #expect(result.output.contains("groups[0].grid.temporal_decay[1]"))
        #expect(result.output.contains("[0, 10]"))
        #expect(!FileManager.default.fileExists(atPath: root + "/out"))
    }

    @Test func runFlags_OutOfRange_NameTheFlagAndRange() throws {
        let result = try morphic(["run", "--grid-size=2"])
        #expect(result.status != 0)
        #expect(result.output.contains("--grid-size must be an integer in 3...4096, not 2"))
        let unknown = try morphic(["run", "--field-strenght=0.5"])
        #expect(unknown.status != 0)
        #expect(unknown.output.contains("field-strenght"))
    }

    @Test func run_WritesItsRecordIntoTheOutputFolder() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let result = try morphic(["run", "--mode=classical", "--generations=10", "--run-id=demo", "--output", root])
        #expect(result.status == 0)
        let record =
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: root + "/demo.json")))
            as! [String: Any]
        #expect(record["run_id"] as? String == "demo")
        #expect(((record["timeseries"] as! [String: Any])["population"] as! [Any]).count == 10)
    }
}
