import Foundation
import Glibc
import TestSupport
import Testing

/// `morphic serve` listens before its sweeps are loaded (an unfinished sweep's records are
/// all read first), and a request about sweeps meanwhile waits for them, or is refused
/// with 503 and `Retry-After` after a second: never a 404, a list or count of some of
/// them, or a second copy of a sweep on disk.
@Suite(.serialized) struct StartUpTests {
    @Test func server_AnswersHealth_WhileASweepLoads_AndAboutSweepsOnlyOnceItIsLoaded() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let data = root + "/data"
        // A request that waits for the sweeps is refused after a second, not five.
        let config = root + "/server.json"
        try Data(#"{"limits": {"max_queue_delay_seconds": 1}}"#.utf8).write(to: URL(fileURLWithPath: config))
        let definition = Array(try Data(contentsOf: URL(fileURLWithPath: ServerEndToEndTests.smoke)))

        var server = try ServerProcess(dataDirectory: data, config: config)
        let submitted = try server.request("POST", "/api/sweeps", body: definition)
        let id = (try JSONSerialization.jsonObject(with: Data(submitted.body)) as! [String: Any])["id"] as! String
        let completed = try server.wait(for: id, status: "completed")
        let runs = try server.request("GET", "/api/sweeps/\(id)/runs")
        #expect(server.terminate() == 0)

        // Stopped while its dataset was written: loading it reads its records, and one more
        // pack, a pipe, holds the loader at its opening until the test lets it go.
        let folder = data + "/sweeps/" + id
        let manifest = try Data(contentsOf: URL(fileURLWithPath: folder + "/manifest.json"))
        try FileManager.default.removeItem(atPath: folder + "/manifest.json")
        let pipe = folder + "/records/0.\(try FileManager.default.contentsOfDirectory(atPath: folder + "/records").count).pack"
        #expect(mkfifo(pipe, 0o600) == 0)
        // A server that loads its sweeps before it listens is held at the pipe, silent: let
        // go after a minute, it starts, and the test fails below rather than waiting for ever.
        let rescue = DispatchWorkItem { try? Self.release(pipe) }
        DispatchQueue.global().asyncAfter(deadline: .now() + 60, execute: rescue)
        server = try ServerProcess(dataDirectory: data, config: config)
        defer { server.kill() }

        #expect(try server.request("GET", "/healthz").status == 200)
        for path in ["/api/sweeps", "/api/sweeps/\(id)", "/api/sweeps/\(id)/runs", "/metrics", "/api/sweeps/nope-0"] {
            let answer = try server.request("GET", path)
            #expect(answer.status == 503, "\(path) while the sweep loads")
            #expect(answer.headers["retry-after"] != nil, "\(path)")
            #expect(String(decoding: answer.body, as: UTF8.self).contains("loading its sweeps (0 of 1 read)"), "\(path)")
        }
        let resubmitted = try server.request("POST", "/api/sweeps", body: definition)
        #expect(resubmitted.status == 503, "the same definition while the sweep on disk loads")
        // Whether the sweep exists is asked on an event loop, which answers at once.
        let conditional = try server.request("DELETE", "/api/sweeps/\(id)", headers: ["If-None-Match": "*"])
        #expect(conditional.status == 503 && conditional.headers["retry-after"] != nil)

        rescue.cancel()
        try Self.release(pipe)
        // Asked at once: the request waits for the sweep, which resumes and is written again.
        let resumed = try server.wait(for: id, status: "completed")
        #expect(resumed["progress"] as? NSDictionary == completed["progress"] as? NSDictionary)
        #expect(try Data(contentsOf: URL(fileURLWithPath: folder + "/manifest.json")) == manifest)
        #expect(try server.request("GET", "/api/sweeps/\(id)/runs").body == runs.body)
        let list = try server.json("/api/sweeps")
        #expect(list["total"] as? Int == 1)
        #expect(try server.request("GET", "/api/sweeps/nope-0").status == 404)
        #expect(try server.request("POST", "/api/sweeps", body: definition).status == 200, "known, not created")
        #expect(server.terminate() == 0)
    }

    /// Lets the reader waiting at the pipe's opening go on (it reads nothing) and removes
    /// the pipe, so that nothing waits at it again.
    private static func release(_ pipe: String) throws {
        let deadline = Date().addingTimeInterval(30)
        var descriptor: Int32 = -1
        // Without a reader, a non-blocking open fails (ENXIO) rather than waiting for one.
        while Date() < deadline {
            descriptor = open(pipe, O_WRONLY | O_NONBLOCK)
            guard descriptor < 0 && errno == ENXIO else { break }
            Thread.sleep(forTimeInterval: 0.01)
        }
        unlink(pipe)
        try #require(descriptor >= 0, "nothing opened the pipe")
        close(descriptor)
    }
}
