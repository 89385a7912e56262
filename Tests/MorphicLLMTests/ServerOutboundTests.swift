import Foundation
import HTTP
import MorphicLLM
import Synchronization
import TestSupport
import Testing

@testable import MorphicData
@testable import MorphicServer

/// llm_control runs and notifications inside the job server.
@Suite(.serialized) struct ServerOutboundTests {
    static func wait(_ condition: () throws -> Bool, timeout: Double = 60) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return false
    }

    @Test func unreachableModel_FailsItsRuns_TheRestGoesOn_AndRetryRecovers() throws {
        let model = try FakeModel(.failing(401))
        defer { model.stop() }
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        var configuration = ServerConfiguration()
        configuration.dataDirectory = data
        configuration.workers = 2
        configuration.llm = LLMSettings(endpoint: model.endpoint, model: "fake")
        let service = try JobService(configuration: configuration, log: Log())
        defer { service.shutdown() }

        let definition = #"""
            {"name": "llm", "defaults": {"grid_size": 16, "generations": 30},
             "groups": [{"prefix": "llm", "mode": "llm_control", "replicates": 2}, {"prefix": "m", "mode": "morphic"},
                        {"prefix": "a", "mode": "llm_control"}]}
            """#
        let id = try service.submit(Array(definition.utf8)).status["id"]!.stringValue!
        #expect(try Self.wait { try service.status(id)["status"] == .string("failed") })
        let runs = try service.runs(id, offset: 0, limit: 10)["runs"]!.elements!
        #expect(runs.map { $0["status"]!.stringValue! } == ["failed", "failed", "completed", "failed"])
        #expect(runs[0]["error"]?.stringValue?.contains("answered 401") == true)
        // The sweep's error, which notifications carry, says why, not only how many, quoting
        // the first failed run in the sweep's order.
        let error = try service.status(id)["error"]?.stringValue ?? ""
        #expect(error.hasPrefix("3 run(s) failed; the first, llm_1: ") && error.contains("answered 401"), "\(error)")
        let manifest = try JSONParser.parse(
            try Data(contentsOf: URL(fileURLWithPath: service.datasetFile(id, name: "manifest.json"))))
        #expect(manifest["counts"]?["by_status"] == .object(["completed": .int(1), "failed": .int(3)]))

        model.behave(.conway)
        _ = try service.retry(id)
        #expect(try Self.wait { try service.status(id)["status"] == .string("completed") })
        let record = try JSONParser.parse(try service.runRecord(id, run: "llm_1"))
        #expect(record["llm_table"]?.stringValue?.count == 512)
        let source = record["llm_source"]
        #expect(source?["host"]?.stringValue == "127.0.0.1:\(model.port)")
        #expect(source?["model"]?.stringValue == "fake" && source?["prompt_version"]?.stringValue == LLMPrompt.version)
        #expect(source?["table_sha256"]?.stringValue == SHA256.hex(Array(record["llm_table"]!.stringValue!.utf8)))
        // The failed runs shared one request (401 is not retried, and the failure is
        // remembered); the retry fetched the table once for every llm run.
        #expect(model.requests == 1 + 512 / LLMPrompt.batchSize)
    }

    /// A receiver of notifications that fails the first `failures` deliveries.
    final class Receiver: Sendable {
        let server: HTTPServer
        let port: Int

        /// `slowFirst`: the first delivery is answered only after `delay` seconds; `status`:
        /// what is answered once the failures are over (200 by default).
        init(failures: Int, slowFirst: Bool = false, delay: Double = 1, status: HTTPStatus = .ok) throws {
            let attempts = Mutex(0)
            let box = Box()
            server = HTTPServer(host: "127.0.0.1", port: 0, threads: 1, shutdownGrace: 1) { request, responder in
                let attempt = attempts.withLock { count in
                    count += 1
                    return count
                }
                let answer: HTTPResponse = attempt <= failures ? .text(.serviceUnavailable, "busy") : .text(status, "thanks")
                let body = String(decoding: request.body, as: UTF8.self)
                guard slowFirst && attempt == 1 else {
                    box.bodies.withLock { $0.append(body) }
                    return answer
                }
                Thread.detachNewThread {
                    Thread.sleep(forTimeInterval: delay)
                    box.bodies.withLock { $0.append(body) }
                    responder.send(answer)
                }
                return nil
            }
            port = try server.start()
            self.box = box
        }

        final class Box: Sendable { let bodies = Mutex<[String]>([]) }
        let box: Box
        var received: [String] { box.bodies.withLock { $0 } }
    }

    @Test func notification_IsDeliveredOnce() throws {
        let receiver = try Receiver(failures: 0)
        defer { receiver.server.shutdown() }
        let notifier = SweepNotifier(allowedHosts: ["127.0.0.1"], log: Log())
        notifier.send(
            .object(["id": .string("s-1"), "status": .string("completed")]),
            to: "http://127.0.0.1:\(receiver.port)/hook")
        #expect(Self.wait({ receiver.received.count == 1 }, timeout: 10))
        Thread.sleep(forTimeInterval: 0.3)
        #expect(receiver.received.count == 1)
        #expect(receiver.received.first?.contains("\"status\":\"completed\"") == true)
    }

    @Test func notification_IsRetriedOnFailure() throws {
        let receiver = try Receiver(failures: 2)
        defer { receiver.server.shutdown() }
        let notifier = SweepNotifier(allowedHosts: ["127.0.0.1"], log: Log())
        notifier.send(.object(["id": .string("s-2")]), to: "http://127.0.0.1:\(receiver.port)/hook")
        #expect(Self.wait({ receiver.received.count == 3 }, timeout: 20))
    }

    @Test func notification_ToAHostNotOnTheList_IsRefused() throws {
        let receiver = try Receiver(failures: 0)
        defer { receiver.server.shutdown() }
        let notifier = SweepNotifier(allowedHosts: ["hooks.example.org"], log: Log())
        #expect(!notifier.allows("http://127.0.0.1:\(receiver.port)/hook"))
        notifier.send(.object(["id": .string("s-3")]), to: "http://127.0.0.1:\(receiver.port)/hook")
        Thread.sleep(forTimeInterval: 0.5)
        #expect(receiver.received.isEmpty)

        // And a definition naming such a host is refused at submission.
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        var configuration = ServerConfiguration()
        configuration.dataDirectory = data
        configuration.workers = 1
        let service = try JobService(configuration: configuration, log: Log())
        defer { service.shutdown() }
        let definition = #"{"notify_url": "http://127.0.0.1:9/hook", "groups": [{"prefix": "a"}]}"#
        #expect(throws: JobService.Failure.self) { try service.submit(Array(definition.utf8)) }
        #expect((try? FileManager.default.contentsOfDirectory(atPath: data + "/sweeps"))?.isEmpty ?? true)
    }

    @Test func finishedSweep_NotifiesItsURL() throws {
        let receiver = try Receiver(failures: 0)
        defer { receiver.server.shutdown() }
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        var configuration = ServerConfiguration()
        configuration.dataDirectory = data
        configuration.workers = 1
        configuration.notifyHosts = ["127.0.0.1"]
        let service = try JobService(configuration: configuration, log: Log())
        defer { service.shutdown() }
        let definition =
            #"{"notify_url": "http://127.0.0.1:\#(receiver.port)/done", "defaults": {"grid_size": 8, "generations": 5}, "groups": [{"prefix": "a"}]}"#
        let id = try service.submit(Array(definition.utf8)).status["id"]!.stringValue!
        #expect(Self.wait({ receiver.received.count == 1 }, timeout: 20))
        #expect(receiver.received.first?.contains("\"status\":\"completed\"") == true)

        // The dataset, which anyone who may read can download, records the definition
        // without the receiver's URL; the folder's definition.json keeps it, and a reader of
        // the manifest alone knows the sweep by the id the manifest records.
        let folder = data + "/sweeps/" + id
        #expect(Self.wait({ !FileManager.default.fileExists(atPath: folder + "/" + SweepNotifier.pendingFile) }, timeout: 5))
        let manifest = try String(contentsOfFile: folder + "/manifest.json", encoding: .utf8)
        let card = try String(contentsOfFile: folder + "/DATASET.md", encoding: .utf8)
        #expect(!manifest.contains("notify_url") && !manifest.contains("/done") && !card.contains("/done"))
        #expect(try String(contentsOfFile: folder + "/definition.json", encoding: .utf8).contains("/done"))
        let unpacked = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: unpacked) }
        for name in ["manifest.json", "features.csv"] {
            try FileManager.default.copyItem(atPath: folder + "/" + name, toPath: unpacked + "/" + name)
        }
        #expect(try ReferenceSweep.read(unpacked, needsSplit: false).0.id == id)
    }

    /// A receiver that takes its time holds back its own sweep's status, not another's.
    @Test func slowReceiver_DoesNotHoldBackAnotherSweepsStatus() throws {
        let slow = try Receiver(failures: 0, slowFirst: true, delay: 5)
        defer { slow.server.shutdown() }
        let fast = try Receiver(failures: 0)
        defer { fast.server.shutdown() }
        let notifier = SweepNotifier(allowedHosts: ["127.0.0.1"], log: Log(destination: nil))
        defer { notifier.shutdown() }
        notifier.send(.object(["id": .string("slow-1"), "status": .string("completed")]), to: "http://127.0.0.1:\(slow.port)/hook")
        Thread.sleep(forTimeInterval: 0.2)  // the slow one is being delivered
        notifier.send(.object(["id": .string("fast-1"), "status": .string("completed")]), to: "http://127.0.0.1:\(fast.port)/hook")
        #expect(Self.wait({ fast.received.count == 1 }, timeout: 10))
        #expect(slow.received.isEmpty, "the fast one was delivered while the slow one waited")
        #expect(Self.wait({ slow.received.count == 1 }, timeout: 10))
    }

    /// More receivers that hang than threads once delivered statuses: another sweep's status
    /// is delivered at once all the same.
    @Test func hangingReceivers_DoNotHoldBackAnotherSweepsStatus() throws {
        let hanging = try (0..<6).map { _ in try Receiver(failures: 0, slowFirst: true, delay: 30) }
        defer { for receiver in hanging { receiver.server.shutdown() } }
        let fast = try Receiver(failures: 0)
        defer { fast.server.shutdown() }
        let notifier = SweepNotifier(allowedHosts: ["127.0.0.1"], log: Log(destination: nil))
        defer { notifier.shutdown() }
        for (index, receiver) in hanging.enumerated() {
            notifier.send(
                .object(["id": .string("hang-\(index)"), "status": .string("completed")]),
                to: "http://127.0.0.1:\(receiver.port)/hook")
        }
        Thread.sleep(forTimeInterval: 0.3)
        let start = Date()
        notifier.send(.object(["id": .string("fast"), "status": .string("completed")]), to: "http://127.0.0.1:\(fast.port)/hook")
        #expect(Self.wait({ fast.received.count == 1 }, timeout: 5))
        #expect(Date().timeIntervalSince(start) < 3)
    }

    /// Only a 2xx answer is a delivery: a redirect and a 4xx are logged as failures, not
    /// retried; a 5xx is retried. Logs name the receiver's scheme, host and port, never its
    /// path or query, which may hold a webhook's token.
    @Test func redirectsAndClientErrors_AreFailures_AndLogsKeepTheURLsSecret() throws {
        let logPath = try temporaryFolder() + "/log"
        defer { try? FileManager.default.removeItem(atPath: logPath.parentFolder) }
        FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = Log(destination: FileHandle(forWritingAtPath: logPath))
        let notifier = SweepNotifier(allowedHosts: ["127.0.0.1"], log: log)
        defer { notifier.shutdown() }
        let secret = "/hook/PATHSECRET?token=QUERYSECRET"
        var receivers: [Receiver] = []
        defer { for receiver in receivers { receiver.server.shutdown() } }
        for (index, status) in [HTTPStatus(302, "Found"), .unauthorized, .notFound].enumerated() {
            let receiver = try Receiver(failures: 0, status: status)
            receivers.append(receiver)
            notifier.send(.object(["id": .string("c-\(index)")]), to: "http://127.0.0.1:\(receiver.port)\(secret)")
        }
        let flaky = try Receiver(failures: 1)
        receivers.append(flaky)
        notifier.send(.object(["id": .string("flaky")]), to: "http://127.0.0.1:\(flaky.port)\(secret)")
        // Nothing listens on a port just closed: a refused connection, said without the path.
        let closed = try Receiver(failures: 0)
        let closedPort = closed.port
        closed.server.shutdown()
        notifier.send(.object(["id": .string("refused")]), to: "http://127.0.0.1:\(closedPort)\(secret)")
        #expect(Self.wait({ flaky.received.count == 2 }, timeout: 10))
        Thread.sleep(forTimeInterval: 1)
        for receiver in receivers.prefix(3) { #expect(receiver.received.count == 1) }
        notifier.shutdown()
        Thread.sleep(forTimeInterval: 0.5)
        let lines = try String(contentsOfFile: logPath, encoding: .utf8).split(separator: "\n")
        #expect(!lines.isEmpty && !lines.contains { $0.contains("SECRET") }, "\(lines)")
        for (index, code) in [302, 401, 404].enumerated() {
            let failed = lines.filter { $0.contains("\"notification_failed\"") && $0.contains("\"c-\(index)\"") }
            #expect(failed.count == 1 && failed[0].contains("answered \(code)") && failed[0].contains("given up"), "\(failed)")
            #expect(!lines.contains { $0.contains("\"notification_sent\"") && $0.contains("\"c-\(index)\"") })
        }
        #expect(lines.contains { $0.contains("\"notification_failed\"") && $0.contains("\"flaky\"") && $0.contains("retried in") })
        #expect(lines.contains { $0.contains("\"notification_sent\"") && $0.contains("\"flaky\"") })
        #expect(lines.contains { $0.contains("\"notification_failed\"") && $0.contains("\"refused\"") && $0.contains("127.0.0.1:\(closedPort)/…") })
    }

    /// A status not yet delivered when the server stops is kept in its sweep's folder, and
    /// delivered by the next server; a delivered one's file is gone.
    @Test func statusNotYetDelivered_IsKeptAcrossAStop_AndDeliveredAfter() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let receiver = try Receiver(failures: 0, slowFirst: true, delay: 30)
        defer { receiver.server.shutdown() }
        let url = "http://127.0.0.1:\(receiver.port)/hook"
        let first = SweepNotifier(allowedHosts: ["127.0.0.1"], log: Log(destination: nil))
        first.send(.object(["id": .string("kept"), "status": .string("completed")]), to: url, keptIn: folder)
        Thread.sleep(forTimeInterval: 0.5)  // its first attempt hangs
        first.shutdown()
        let kept = folder + "/" + SweepNotifier.pendingFile
        #expect(FileManager.default.fileExists(atPath: kept))
        let second = SweepNotifier(allowedHosts: ["127.0.0.1"], log: Log(destination: nil))
        defer { second.shutdown() }
        second.resume(keptIn: folder)
        #expect(Self.wait({ receiver.received.contains { $0.contains("\"kept\"") } }, timeout: 10))
        #expect(Self.wait({ !FileManager.default.fileExists(atPath: kept) }, timeout: 5))
    }

    @Test func notifications_ArriveInOrder_AndASupersededOneIsDropped() throws {
        let receiver = try Receiver(failures: 0, slowFirst: true)
        defer { receiver.server.shutdown() }
        let notifier = SweepNotifier(allowedHosts: ["127.0.0.1"], log: Log(destination: nil))
        defer { notifier.shutdown() }
        let url = "http://127.0.0.1:\(receiver.port)/hook"
        notifier.send(.object(["id": .string("s-4"), "status": .string("failed")]), to: url)
        Thread.sleep(forTimeInterval: 0.2)  // the first is being delivered, slowly
        notifier.send(.object(["id": .string("s-4"), "status": .string("cancelled")]), to: url)
        notifier.send(.object(["id": .string("s-4"), "status": .string("completed")]), to: url)
        #expect(Self.wait({ receiver.received.count == 2 }, timeout: 10))
        Thread.sleep(forTimeInterval: 0.3)
        #expect(receiver.received.map { $0.contains("failed") ? "failed" : $0.contains("completed") ? "completed" : "?" } == ["failed", "completed"])
    }

    @Test(arguments: [
        ("http://127.0.0.1:9/hook", true), ("http://127.0.0.1@evil.example/hook", false),
        ("http://evil.example#@127.0.0.1/hook", false), ("http://user:pw@127.0.0.1/hook", false),
        ("http://127.0.0.1.evil.example/", false), ("http://[::1]/hook", false), ("ftp://127.0.0.1/", false),
        ("http://127.0.0.1:8443/hook", false), ("HTTP://127.0.0.1:9/x", true), ("http://evil.example\\@127.0.0.1/", false),
    ])
    func allowList_IsReadAsLibcurlReadsTheURL(_ url: String, _ allowed: Bool) {
        let notifier = SweepNotifier(allowedHosts: ["127.0.0.1"], allowedPorts: [9, 80], log: Log(destination: nil))
        defer { notifier.shutdown() }
        #expect(notifier.allows(url) == allowed, "\(url)")
    }
}

