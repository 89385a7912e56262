import Foundation
import MorphicData
import TestSupport
import Testing

@testable import MorphicServer

/// The status bytes the API sends are kept between requests: they must always be the
/// status as it is now, through every change a sweep goes through.
@Suite struct StatusDocumentTests {
    @Test func keptStatusBytes_AlwaysMatchTheStatusNow_WhileRunningCancelledRetriedAndFinished() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        var configuration = ServerConfiguration()
        configuration.dataDirectory = data
        configuration.workers = 1
        let service = try JobService(configuration: configuration, log: Log())
        defer { service.shutdown() }
        let id = try service.submit(
            Array(
                #"{"name": "kept", "defaults": {"grid_size": 48, "generations": 300}, "groups": [{"prefix": "k", "replicates": 100}]}"#
                    .utf8)
        ).status["id"]!.stringValue!

        var seen = Set<[UInt8]>()
        /// The kept bytes, checked against the status built afresh just around them. Only
        /// `eta_seconds` may differ, as the time moves between the reads.
        func check() throws {
            let before = try service.status(id)
            let document = try service.statusDocument(id)
            let after = try service.status(id)
            let parsed = try JSONParser.parse(document.bytes)
            #expect(document.tag == EntityTag.of(bytes: document.bytes))
            func withoutETA(_ value: JSON) -> JSON {
                guard case .object(let members) = value else { return value }
                return .object(members.filter { $0.key != "eta_seconds" })
            }
            #expect(
                withoutETA(parsed) == withoutETA(before) || withoutETA(parsed) == withoutETA(after),
                "kept: \(String(decoding: document.bytes, as: UTF8.self))")
            seen.insert(document.bytes)
        }

        let deadline = Date().addingTimeInterval(120)
        while try service.status(id)["progress"]?["runs_completed"]?.intValue ?? 0 < 2 && Date() < deadline {
            try check()
            Thread.sleep(forTimeInterval: 0.005)
        }
        try check()
        _ = try service.cancel(id)
        while try service.status(id)["status"]?.stringValue == "cancelling" && Date() < deadline {
            try check()
            Thread.sleep(forTimeInterval: 0.01)
        }
        try check()
        #expect(try JSONParser.parse(service.statusDocument(id).bytes)["status"] == .string("cancelled"))
        // A cancelled local sweep's last run may still be finishing: retry as the answer says.
        var retried = false
        while !retried {
            switch Result(catching: { () throws(JobService.Failure) -> JSON in try service.retry(id) }) {
            case .success: retried = true
            case .failure(.conflict(let message)) where message.contains("still stopping") && Date() < deadline:
                try check()
                Thread.sleep(forTimeInterval: 0.02)
            case .failure(let failure): throw failure
            }
        }
        try check()
        while try service.status(id)["status"]?.stringValue != "completed" && Date() < deadline {
            try check()
            Thread.sleep(forTimeInterval: 0.01)
        }
        try check()
        let finished = try service.statusDocument(id)
        #expect(try JSONParser.parse(finished.bytes)["status"] == .string("completed"))
        #expect(try JSONParser.parse(finished.bytes)["eta_seconds"] == .null)
        // Progress, cancel, retry and the end each changed what was sent.
        #expect(seen.count >= 4)
        #expect(try service.statusDocument(id).bytes == finished.bytes)
        #expect(throws: JobService.Failure.notFound) { try service.statusDocument("no-such-sweep") }
    }
}
