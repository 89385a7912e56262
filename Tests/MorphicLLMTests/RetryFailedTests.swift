import Foundation
import TestSupport
import Testing

/// `morphic sweep --retry-failed`: runs that failed for want of a model are computed again
/// once there is one, and nothing else is touched.
@Suite struct RetryFailedTests {
    @Test func retryFailed_RecomputesExactlyTheFailedRuns() throws {
        let model = try FakeModel(.conway)
        defer { model.stop() }
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let definition = root + "/mixed.json"
        try #"""
        {"name": "mixed", "defaults": {"grid_size": 16, "generations": 20},
         "groups": [{"prefix": "llm", "mode": "llm_control", "replicates": 2}, {"prefix": "c", "mode": "classical", "replicates": 2}]}
        """#.write(toFile: definition, atomically: true, encoding: .utf8)
        let out = root + "/out"
        // --packed keeps the packs, which show which runs each attempt computed.
        let first = try execute(ServerProcess.executable, ["sweep", definition, "--output", out, "--quiet", "--packed"])
        #expect(first.status != 0)
        #expect(FileManager.default.fileExists(atPath: out + "/llm_1.error"))
        let packed = try packFiles(out)
        #expect(try packed.flatMap { try packFrames(out + "/records/" + $0).map(\.run) }.sorted() == [2, 3])

        let llm = ["--llm-endpoint", model.endpoint, "--llm-model", "fake", "--llm-cache", root + "/cache"]
        let again = try execute(ServerProcess.executable, ["sweep", definition, "--output", out, "--quiet", "--packed"] + llm)
        #expect(again.status != 0, "without the flag the failed runs stay failed")
        #expect(again.output.contains("--retry-failed"), "and the user is told how to retry them")
        #expect(model.requests == 0)

        let retried = try execute(
            ServerProcess.executable, ["sweep", definition, "--output", out, "--quiet", "--packed", "--retry-failed"] + llm)
        #expect(retried.status == 0, "\(retried.output)")
        #expect(Set(try runRecords(out).keys) == ["llm_1.json", "llm_2.json", "c_1.json", "c_2.json"])
        for run in ["llm_1", "llm_2"] { #expect(!FileManager.default.fileExists(atPath: out + "/\(run).error")) }
        // Finished runs are not computed again: the retry's pack holds the llm runs alone.
        #expect(try packed.flatMap { try packFrames(out + "/records/" + $0).map(\.run) }.sorted() == [2, 3])
        let retry = try packFiles(out).filter { !packed.contains($0) }
        #expect(try retry.flatMap { try packFrames(out + "/records/" + $0).map(\.run) }.sorted() == [0, 1])
        let manifest = try String(contentsOfFile: out + "/manifest.json", encoding: .utf8)
        #expect(manifest.contains("\"completed\": 4"))
    }

    @Test func llmTimeout_IsValidated() throws {
        let result = try execute(ServerProcess.executable, ["sweep", "x.json", "--llm-timeout", "0"])
        #expect(result.status != 0 && result.output.contains("--llm-timeout"))
    }
}
