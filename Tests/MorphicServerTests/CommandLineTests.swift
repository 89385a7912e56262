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

    @Test func resumedSweep_RemovesWhatACrashedAssemblyLeft_AndNothingOfALiveWriter() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try #"{"defaults": {"grid_size": 8, "generations": 5}, "groups": [{"prefix": "a", "replicates": 4}]}"#
            .write(toFile: root + "/sweep.json", atomically: true, encoding: .utf8)
        let out = root + "/out"
        #expect(try morphic(["sweep", root + "/sweep.json", "--output", out, "--quiet"]).status == 0)
        let archive = try Data(contentsOf: URL(fileURLWithPath: out + "/dataset.tar.gz"))
        // What kill -9 in the middle of assembling leaves: half-written tables under the
        // hidden names of a process of this host that is gone, next to one of a live writer.
        var name = [UInt8](repeating: 0, count: 256)
        name.withUnsafeMutableBufferPointer { _ = gethostname(UnsafeMutableRawPointer($0.baseAddress!).assumingMemoryBound(to: CChar.self), 255) }
        let host = String(decoding: name.prefix { $0 != 0 }, as: UTF8.self)
        let gone = Process()
        gone.executableURL = URL(fileURLWithPath: "/bin/true")
        try gone.run()
        gone.waitUntilExit()
        let dead = ".runs.csv.tmp-\(host)-\(gone.processIdentifier)"
        let live = ".features.csv.tmp-\(host)-\(getpid())"
        for name in [dead, live] { try Data("half".utf8).write(to: URL(fileURLWithPath: out + "/" + name)) }
        #expect(try morphic(["sweep", root + "/sweep.json", "--output", out, "--quiet"]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: out + "/" + dead))
        #expect(FileManager.default.fileExists(atPath: out + "/" + live))
        #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/dataset.tar.gz")) == archive)
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
