import Foundation
import Synchronization
import TestSupport
import Testing

/// Frames are recomputed on their own pool, admitted per client: clients looping on them
/// get their turns, and reads of records, manifests and archives and submissions are not
/// kept waiting behind them.
@Suite(.serialized) struct HeavyAdmissionTests {
    /// The requests that must never wait behind heavy work, each a whole HTTP/1.1 exchange
    /// with `Connection: close`: a run's record, the manifest, the archive and a submission.
    static func cheapRequests(sweep id: String, run: String, definition: [UInt8]) -> [(name: String, request: String)] {
        let get = { (path: String) in "GET /api/sweeps/\(id)/\(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" }
        return [
            ("record", get("runs/" + run)), ("manifest", get("manifest.json")), ("archive", get("dataset.tar.gz")),
            (
                "POST",
                "POST /api/sweeps HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: \(definition.count)\r\n\r\n"
                    + String(decoding: definition, as: UTF8.self)
            ),
        ]
    }

    /// One GET or POST from `source`, answered in full; its status.
    static func exchange(_ port: Int, _ request: String, source: String) -> Int {
        guard let client = try? LoopbackClient(port: port, timeout: 60, source: source) else { return 0 }
        client.send(request)
        // Read to the end without decoding as it arrives: an archive is several MB.
        let head = String(decoding: client.read(bytes: Int.max).prefix(12), as: UTF8.self)
        return Int(head.split(separator: " ", maxSplits: 2).dropFirst().first ?? "") ?? 0
    }

    static func percentile(_ values: [Double], _ p: Double) -> Double {
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
    }

    @Test func cheapReadsAndSubmissions_DoNotWaitBehind16ClientsLoopingOnFrames() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let server = try ServerProcess(dataDirectory: data)
        defer { server.kill() }
        let definition = Array(
            #"""
            {"name": "heavy", "defaults": {"grid_size": 64, "generations": 300},
             "groups": [{"prefix": "m", "mode": "morphic", "replicates": 4}]}
            """#.utf8)
        let id = HostileClientTests.id(try server.request("POST", "/api/sweeps", body: definition))
        _ = try server.wait(for: id, status: "completed", timeout: 300)
        let port = server.port
        let stop = Atomic<Bool>(false)
        let served = Mutex<[Int]>(Array(repeating: 0, count: 16))
        let refused = Atomic<Int>(0)
        let group = DispatchGroup()
        for client in 0..<16 {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                var round = 0
                while !stop.load(ordering: .relaxed) {
                    round += 1
                    // A different range each time, so no answer is a repeat.
                    let path = "/api/sweeps/\(id)/runs/m_\(client % 4 + 1)/frames?to=\(200 + (round * 7 + client) % 100)"
                    let status = Self.exchange(
                        port, "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
                        source: "127.0.0.\(client + 2)")
                    if status == 200 {
                        served.withLock { $0[client] += 1 }
                    } else {
                        refused.add(1, ordering: .relaxed)
                        Thread.sleep(forTimeInterval: 0.05)
                    }
                }
            }
        }
        Thread.sleep(forTimeInterval: 2)
        let cheap = Self.cheapRequests(sweep: id, run: "m_2", definition: definition)
        var worst: [String: Double] = [:]
        for (name, request) in cheap {
            var latencies: [Double] = []
            for _ in 0..<40 {
                let started = Date()
                let status = Self.exchange(port, request, source: "127.0.0.1")
                latencies.append(Date().timeIntervalSince(started) * 1000)
                #expect(status == 200, "\(name)")
            }
            let p50 = Self.percentile(latencies, 0.5)
            let p99 = Self.percentile(latencies, 0.99)
            worst[name] = p99
            print("\(name) while 16 clients loop on frames: p50 \(String(format: "%.1f", p50)) ms, p99 \(String(format: "%.1f", p99)) ms")
        }
        // Every looping client gets its turn.
        let deadline = Date().addingTimeInterval(120)
        while served.withLock({ $0.contains(0) }) && Date() < deadline { Thread.sleep(forTimeInterval: 0.2) }
        stop.store(true, ordering: .relaxed)
        group.wait()
        let counts = served.withLock { $0 }
        print("frames answered per client: \(counts); refused with 503: \(refused.load(ordering: .relaxed))")
        #expect(!counts.contains(0), "every client looping on frames was served: \(counts)")
        // 100 ms is the aim on an idle machine (see the printed figures); the bound asserted
        // leaves room for a debug build on a shared one, and is far below the seconds these
        // requests waited when frames shared their pool.
        for (name, p99) in worst { #expect(p99 < 1500, "\(name) p99 \(p99) ms") }
    }
}
