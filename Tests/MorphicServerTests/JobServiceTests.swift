import Foundation
import MorphicServer
import TestSupport
import Testing

@testable import MorphicData

@Suite struct JobServiceTests {
    /// A sweep whose folder in the data directory is damaged (its `definition.json` a folder)
    /// is not loaded, which the log says, and submitting it again is a storage failure whose message names the
    /// file within the data directory, never where the server keeps it.
    @Test func damagedFolder_RefusesItsSweep_WithoutTheServersPath() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let definition = Array(#"{"name": "damaged", "defaults": {"grid_size": 6, "generations": 3}, "groups": [{"prefix": "r", "replicates": 2}]}"#.utf8)
        let id = try SweepDefinition.parse(definition).id
        try FileManager.default.createDirectory(
            atPath: data + "/sweeps/" + id + "/definition.json", withIntermediateDirectories: true)
        var configuration = ServerConfiguration()
        configuration.dataDirectory = data
        let log = Pipe()
        let service = try JobService(configuration: configuration, log: Log(destination: log.fileHandleForWriting))
        defer { service.shutdown() }
        #expect(throws: JobService.Failure.notFound) { try service.status(id) }
        // Said in the log, not skipped in silence.
        let said = String(decoding: log.fileHandleForReading.availableData, as: UTF8.self)
        #expect(said.contains("sweep_not_loaded") && said.contains("no readable definition.json"), "\(said)")
        do {
            _ = try service.submit(definition)
            Issue.record("a sweep whose folder is damaged was stored")
        } catch {
            guard case .storage(let message) = error else {
                Issue.record("not a storage failure: \(error)")
                return
            }
            #expect(message.contains("sweeps/\(id)/definition.json"), "\(message)")
            #expect(!message.contains(data), "\(message)")
        }
    }

    /// A submission stopped before its definition was written leaves a folder with an empty
    /// records folder (and a temporary of a writer now gone): never answered 202, it is
    /// removed at the next start, not reported at every one; a folder holding records is kept.
    @Test func folderOfASubmissionStoppedBeforeItsDefinition_IsRemovedAtStart() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        let host = StreamingFile.writer[..<StreamingFile.writer.lastIndex(of: "-")!]
        try FileManager.default.createDirectory(atPath: data + "/sweeps/stopped-1/records", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: data + "/sweeps/stopped-1/.definition.json.1.tmp-\(host)-999999999", contents: Data("{".utf8))
        try FileManager.default.createDirectory(atPath: data + "/sweeps/kept-1/records", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: data + "/sweeps/kept-1/records/0.0.pack", contents: Data("x".utf8))
        var configuration = ServerConfiguration()
        configuration.dataDirectory = data
        let log = Pipe()
        let service = try JobService(configuration: configuration, log: Log(destination: log.fileHandleForWriting))
        defer { service.shutdown() }
        _ = try service.list(offset: 0, limit: 10)
        #expect(!FileManager.default.fileExists(atPath: data + "/sweeps/stopped-1"))
        #expect(FileManager.default.fileExists(atPath: data + "/sweeps/kept-1/records/0.0.pack"))
        Thread.sleep(forTimeInterval: 0.5)
        let said = String(decoding: log.fileHandleForReading.availableData, as: UTF8.self)
        #expect(said.contains("submission_abandoned") && said.contains("sweep_not_loaded") && said.contains("kept-1"), "\(said)")
    }

    /// A data directory that cannot hold folders is refused at start, naming the setting and
    /// why, not with Foundation's error dump.
    @Test func dataDirectoryThatIsAFile_IsRefusedNamingTheSetting() throws {
        let base = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: base) }
        #expect(FileManager.default.createFile(atPath: base + "/file", contents: Data()))
        var configuration = ServerConfiguration()
        configuration.dataDirectory = base + "/file"
        let error = #expect(throws: FileError.self) { try JobService(configuration: configuration, log: Log()) }
        #expect(error?.description == "the data directory (data_dir, --data-dir) '\(base)/file' cannot hold the sweeps: "
            + "\(base)/file/sweeps: Not a directory", "\(error?.description ?? "")")
    }

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
        // A run the sweep does not have is named as such, not as a missing sweep.
        #expect(throws: JobService.Failure.noSuchRun("sweep \(smallID) has no run s_9")) {
            try service.runRecord(smallID, run: "s_9")
        }
        #expect(throws: JobService.Failure.notFound) { try service.runRecord("no-such-sweep", run: "s_1") }
        let largeDone = try service.status(largeID)["progress"]?["runs_completed"]?.intValue ?? 0
        #expect(largeDone < 40, "the small sweep waited for the large one")
        // Newest first.
        #expect(try service.list(offset: 0, limit: 10).sweeps.map { $0["id"]!.stringValue! } == [smallID, largeID])
        #expect(try service.list(offset: 1, limit: 10).sweeps.map { $0["id"]!.stringValue! } == [largeID])
        #expect(try service.list(offset: 5, limit: 10).total == 2)
    }

    /// A retry of a completed sweep whose records were lost, stopped by the server's stop
    /// before it ends, goes on when the next server starts (its old manifest vouches for none
    /// of the runs being computed again) and ends with the same dataset.
    @Test func retryOfACompletedSweep_StoppedMidway_GoesOnAfterARestart() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        var configuration = ServerConfiguration()
        configuration.dataDirectory = data
        configuration.workers = 1
        let definition = Array(
            #"{"name": "lost", "defaults": {"grid_size": 48, "generations": 300}, "groups": [{"prefix": "l", "replicates": 40}]}"#
                .utf8)
        let wait = { (service: JobService, id: String, status: String) throws in
            let deadline = Date().addingTimeInterval(300)
            // Until it ends, one way or another.
            while try ["queued", "running"].contains(service.status(id)["status"]?.stringValue) && Date() < deadline {
                Thread.sleep(forTimeInterval: 0.02)
            }
            return try service.status(id)["status"] == .string(status)
        }
        var service = try JobService(configuration: configuration, log: Log(destination: nil))
        let id = try service.submit(definition).status["id"]!.stringValue!
        #expect(try wait(service, id, "completed"))
        let folder = data + "/sweeps/" + id
        let archive = try Data(contentsOf: URL(fileURLWithPath: folder + "/dataset.tar.gz"))
        for name in try FileManager.default.contentsOfDirectory(atPath: folder + "/records") {
            try FileManager.default.removeItem(atPath: folder + "/records/" + name)
        }
        _ = try service.retry(id)
        Thread.sleep(forTimeInterval: 0.2)
        service.shutdown()
        let done = try JSONParser.parse(try Data(contentsOf: URL(fileURLWithPath: folder + "/status.json")))
        #expect(done["status"] != .string("completed"), "the retry was stopped before it ended")

        service = try JobService(configuration: configuration, log: Log(destination: nil))
        defer { service.shutdown() }
        #expect(try wait(service, id, "completed"), "\((try? service.status(id)) ?? .null)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: folder + "/dataset.tar.gz")) == archive)
    }

    @Test func cancelOnceEveryRunHasFinished_SaysTheDatasetIsBeingWritten_AndACancelledSweepRunsNothing() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        var configuration = ServerConfiguration()
        configuration.dataDirectory = data
        configuration.workers = 2
        let service = try JobService(configuration: configuration, log: Log())
        defer { service.shutdown() }
        // Many tiny runs: computing them is quick, writing their dataset takes a while.
        let id = try service.submit(
            Array(
                #"{"name": "many", "defaults": {"grid_size": 3, "generations": 1}, "groups": [{"prefix": "m", "mode": "classical", "replicates": 2000}]}"#
                    .utf8)
        ).status["id"]!.stringValue!
        var answers: [String] = []
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            let status = try service.status(id)
            let progress = status["progress"]!
            let finished = progress["runs_completed"]!.intValue! == progress["runs_total"]!.intValue!
            guard finished else {
                Thread.sleep(forTimeInterval: 0.002)
                continue
            }
            let answer = Result { () throws(JobService.Failure) -> JSON in try service.cancel(id) }
            switch answer {
            case .success: answers.append("cancelled")
            case .failure(.conflict(let message)): answers.append(message)
            case .failure(let failure): answers.append("\(failure)")
            }
            // Any end, not only the one expected: a cancel that won would otherwise loop here.
            if try service.status(id)["status"] != .string("running") { break }
        }
        #expect(try service.status(id)["status"] == .string("completed"))
        #expect(answers.contains { $0.contains("being written") }, "a cancel came while the dataset was written")
        for answer in answers {
            #expect(
                answer.contains("its dataset is being written") || answer.contains("the sweep is completed"),
                "\(answer)")
        }

        // A cancelled sweep counts no run as running.
        let long = try service.submit(
            Array(
                #"{"name": "long", "defaults": {"grid_size": 64, "generations": 3000}, "groups": [{"prefix": "l", "replicates": 4}]}"#
                    .utf8)
        ).status["id"]!.stringValue!
        while try service.status(long)["progress"]?["runs_running"]?.intValue == 0 && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.01)
        }
        let cancelled = try service.cancel(long)
        #expect(cancelled["status"] == .string("cancelled"))
        #expect(cancelled["progress"]?["runs_running"]?.intValue == 0)
        Thread.sleep(forTimeInterval: 0.3)
        #expect(try service.status(long)["progress"]?["runs_running"]?.intValue == 0)
    }
}
