import Foundation
import TestSupport
import Testing

/// `GET …/runs/{run_id}/frames` and `morphic frames`: the same states, from a server and
/// from a record, with their limits named when refused.
@Suite(.serialized) struct FramesEndpointTests {
    @Test func frames_OverHTTP_EqualTheCommandLine_AndAreBounded() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let server = try ServerProcess(dataDirectory: data)
        defer { server.kill() }
        let id = try RunsQueryTests.sweep(server)
        let path = "/api/sweeps/\(id)/runs/m_5/frames?from=3&to=30&every=9"
        let response = try server.request("GET", path)
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "application/octet-stream")
        let tag = try #require(response.headers["etag"])
        #expect(try server.request("GET", path, headers: ["If-None-Match": tag]).status == 304)
        let body = response.body
        #expect(Array(body[0..<4]) == Array("MLFR".utf8))
        let word = { (offset: Int) in (0..<4).reduce(0) { $0 | Int(body[offset + $1]) << (8 * $1) } }
        #expect(word(8) == 12 && word(12) == 4, "grid 12, frames 3, 12, 21, 30")
        let bitmap = 18  // ⌈144 / 8⌉
        #expect(body.count == 16 + 4 * (4 + 3 * bitmap))

        // The same frames from the run's record on the command line.
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let record = try server.request("GET", "/api/sweeps/\(id)/runs/m_5")
        try Data(record.body).write(to: URL(fileURLWithPath: folder + "/m_5.json"))
        try shell(
            "'\(ServerProcess.executable)' frames '\(folder)/m_5.json' --from 3 --to 30 --every 9 --output '\(folder)/m_5.npz' 2>/dev/null"
        )
        let script = """
            import numpy as np, sys
            z = np.load(sys.argv[1], allow_pickle=False)
            body = open(sys.argv[2], 'rb').read()
            ok = list(z['generation']) == [3, 12, 21, 30]
            for i in range(4):
                start = 16 + i * (4 + 3 * 18)
                for j, name in enumerate(['state', 'taken', 'overridden']):
                    bits = np.unpackbits(np.frombuffer(body[start + 4 + 18 * j:start + 4 + 18 * (j + 1)], dtype=np.uint8))[:144]
                    ok &= np.array_equal(bits.reshape(12, 12), np.unpackbits(z[name][i], axis=-1)[:, :12])
            print('same' if ok else 'different')
            """
        try Data(body).write(to: URL(fileURLWithPath: folder + "/frames.bin"))
        try script.write(toFile: folder + "/check.py", atomically: true, encoding: .utf8)
        #expect(try shell("python3 '\(folder)/check.py' '\(folder)/m_5.npz' '\(folder)/frames.bin'").contains("same"))

        func error(_ path: String) throws -> (Int, String?, String) {
            let response = try server.request("GET", path)
            let error = (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])?["error"]
                as? [String: Any]
            return (response.status, error?["field"] as? String, error?["message"] as? String ?? "")
        }
        // A `to` past the run's end means its end.
        let past = try server.request("GET", "/api/sweeps/\(id)/runs/m_5/frames?from=3&to=100000&every=9")
        #expect(past.status == 200 && past.body == body)
        let late = try error("/api/sweeps/\(id)/runs/m_5/frames?from=31")
        #expect(late.0 == 400 && late.1 == "from")
        let backwards = try error("/api/sweeps/\(id)/runs/m_5/frames?from=9&to=3")
        #expect(backwards.0 == 400 && backwards.1 == "to")
        let huge = try error("/api/sweeps/\(id)/runs/m_5/frames?every=abc")
        #expect(huge.0 == 400 && huge.1 == "every")
        #expect(try server.request("GET", "/api/sweeps/\(id)/runs/nope_1/frames").status == 404)
    }

    @Test func frames_OverTheLimit_AreRefusedNamingIt() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        try #"{"limits": {"max_frame_cells": 1000}}"#.write(toFile: data + "/server.json", atomically: true, encoding: .utf8)
        let server = try ServerProcess(dataDirectory: data, config: data + "/server.json")
        defer { server.kill() }
        let id = try RunsQueryTests.sweep(server)
        let refused = try server.request("GET", "/api/sweeps/\(id)/runs/m_1/frames?every=2")
        let error = (try JSONSerialization.jsonObject(with: Data(refused.body)) as! [String: Any])["error"] as! [String: Any]
        #expect(refused.status == 422 && (error["message"] as? String)?.contains("max_frame_cells") == true)
        #expect(try server.request("GET", "/api/sweeps/\(id)/runs/m_1/frames?from=0&to=5").status == 200)
    }
}
