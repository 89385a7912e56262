import Foundation
import MorphicCore
import MorphicData
import TestSupport
import Testing

/// Datasets are pure functions of their definitions: whatever the workers, shards or
/// interruptions, the files are the same bytes.
@Suite struct DatasetTests {
    static let definitionText = #"""
        {"name": "tiny", "seed": 9, "defaults": {"generations": 30, "grid_size": 12},
         "groups": [{"prefix": "control", "mode": "classical", "replicates": 3},
                    {"prefix": "morphic", "grid": {"field_strength": [0.3, 0.9], "temporal_decay": [0.0, 0.5]}},
                    {"prefix": "coupled", "replicates": 2, "params": {"cross_system_coupling": 0.5}}]}
        """#

    static func definition() throws -> SweepDefinition { try SweepDefinition.parse(Array(definitionText.utf8)) }

    static func files(_ folder: String) throws -> [String: Data] {
        var result: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder)
        where name != "definition.json" && name != ChecksumJournal.folderName {
            result[name] = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))
        }
        return result
    }

    static func sweep(into path: String, workers: Int, shard: Shard? = nil) throws {
        let definition = try definition()
        let folder = SweepFolder(path: path)
        try folder.prepare(for: definition, shard: shard)
        _ = try SweepRunner(definition: definition, folder: folder, workers: workers, shard: shard).run()
        if shard == nil { try Dataset.assemble(definition, in: folder) }
    }

    @Test func dataset_IsIdentical_ForWorkersAndShards() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.sweep(into: root + "/many", workers: 4)
        try Self.sweep(into: root + "/one", workers: 1)
        for index in 0..<3 { try Self.sweep(into: root + "/shard\(index)", workers: 2, shard: Shard("\(index)/3")) }
        try DatasetMerge.merge(
            (0..<3).map { SweepFolder(path: root + "/shard\($0)") }, into: SweepFolder(path: root + "/merged"))

        let reference = try Self.files(root + "/many")
        #expect(reference.count == Dataset.files(try Self.definition()).count + 1 + 9)
        #expect(reference["features.csv"] != nil)
        #expect(try Self.files(root + "/one") == reference)
        #expect(try Self.files(root + "/merged") == reference)
        // Each shard holds only its own runs.
        let shardRuns = try (0..<3).map {
            try Self.files(root + "/shard\($0)").keys.filter { $0.hasSuffix(".json") }.count
        }
        #expect(shardRuns.reduce(0, +) == 9)
        #expect(shardRuns.allSatisfy { $0 > 0 })
    }

    @Test func manifest_DescribesEveryRun() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.sweep(into: root, workers: 2)
        let manifest = try JSONParser.parse(try Data(contentsOf: URL(fileURLWithPath: root + "/manifest.json")))
        #expect(manifest["format"] == .string("morphic-dataset/1"))
        #expect(manifest["sweep_id"] == .string(try Self.definition().id))
        #expect(manifest["counts"]?["by_mode"] == .object(["classical": .int(3), "morphic": .int(6)]))
        #expect(manifest["parameters"]?["field_strength"] == .array([.number("0.3"), .number("0.6"), .number("0.9")]))
        let runs = try #require(manifest["runs"]?.elements)
        #expect(runs.count == 9)
        for run in runs {
            let file = try #require(run["file"]?.stringValue)
            let bytes = try Data(contentsOf: URL(fileURLWithPath: root + "/" + file))
            #expect(run["sha256"] == .string(SHA256.hex(Array(bytes))))
        }
        #expect(manifest["validation"]?["controls_zero_influence"]?["holds"] == .bool(true))
        let csv = try String(contentsOfFile: root + "/runs.csv", encoding: .utf8).split(separator: "\n")
        #expect(csv.count == 10)
        #expect(csv[0].hasPrefix("run_id,mode,grid_size,"))
        let series = try String(contentsOfFile: root + "/timeseries.csv", encoding: .utf8).split(separator: "\n")
        #expect(series.count == 1 + 9 * 30)
    }

    @Test func interruptedSweep_ResumesWithoutRecomputingFinishedRuns() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let definition = try Self.definition()
        let folder = SweepFolder(path: root)
        try folder.prepare(for: definition)
        // Stop once three runs have been written.
        let written: @Sendable () -> Int = {
            (try? FileManager.default.contentsOfDirectory(atPath: root))?.filter {
                $0.hasSuffix(".json") && $0 != "definition.json"
            }.count ?? 0
        }
        let stopped = try SweepRunner(definition: definition, folder: folder, workers: 1).run(isCancelled: {
            written() >= 3
        })
        #expect(stopped.runsCompleted < 9)
        let before = try FileManager.default.contentsOfDirectory(atPath: root).filter {
            $0.hasSuffix(".json") && $0 != "definition.json"
        }
        #expect(before.count >= 3)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root).allSatisfy { !$0.contains(".tmp") })
        var stamps: [String: Date] = [:]
        for name in before {
            stamps[name] =
                try FileManager.default.attributesOfItem(atPath: root + "/" + name)[.modificationDate] as? Date
        }
        // One finished record damaged (a digit changed, as bad storage would) and one left
        // unjournaled (as a process killed between the rename and the journal's commit would):
        // both are computed again, every other one is kept.
        let (damaged, unjournaled) = (before[0], before[1])
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: root + "/" + damaged)))
        let digit = try #require(bytes.lastIndex { (UInt8(ascii: "1")...UInt8(ascii: "8")).contains($0) })
        bytes[digit] += 1
        try Data(bytes).write(to: URL(fileURLWithPath: root + "/" + damaged))
        let journals = root + "/" + ChecksumJournal.folderName
        for name in try FileManager.default.contentsOfDirectory(atPath: journals) {
            let path = journals + "/" + name
            let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n")
            try (lines.filter { !$0.hasSuffix(" " + unjournaled) }.joined(separator: "\n") + "\n")
                .write(toFile: path, atomically: true, encoding: .utf8)
        }
        Thread.sleep(forTimeInterval: 0.05)
        let resumed = try SweepRunner(definition: definition, folder: folder, workers: 2).run()
        #expect(resumed.runsCompleted == 9)
        for name in before {
            let stamp = try FileManager.default.attributesOfItem(atPath: root + "/" + name)[.modificationDate] as? Date
            if name == damaged || name == unjournaled {
                #expect(stamp != stamps[name], "\(name) was not computed again")
            } else {
                #expect(stamp == stamps[name], "\(name) was written again")
            }
        }
        try Dataset.assemble(definition, in: folder)
        let reference = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: reference) }
        try Self.sweep(into: reference, workers: 2)
        #expect(try Self.files(root) == (try Self.files(reference)))
    }

    @Test func folderOfEarlierLayout_WithoutJournals_IsAdopted_AndTornRecordsRecomputed() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let definition = try Self.definition()
        try Self.sweep(into: root + "/reference", workers: 2)
        let folder = SweepFolder(path: root + "/old")
        try folder.prepare(for: definition)
        _ = try SweepRunner(definition: definition, folder: folder, workers: 2).run()
        // As an earlier version left it: whole records, no journals. Assembling it needs no
        // run computed again.
        try FileManager.default.removeItem(atPath: folder.path + "/" + ChecksumJournal.folderName)
        try Dataset.assemble(definition, in: folder)
        #expect(try Self.files(folder.path) == (try Self.files(root + "/reference")))

        // Without journals again, one record torn: only that one is computed again.
        try FileManager.default.removeItem(atPath: folder.path + "/" + ChecksumJournal.folderName)
        let torn = folder.runPath("morphic_2")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: torn))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: torn))
        let kept = folder.runPath("morphic_3")
        let stamp = try FileManager.default.attributesOfItem(atPath: kept)[.modificationDate] as? Date
        Thread.sleep(forTimeInterval: 0.05)
        let resumed = try SweepRunner(definition: definition, folder: folder, workers: 2).run()
        #expect(resumed.runsCompleted == 9)
        #expect(try FileManager.default.attributesOfItem(atPath: kept)[.modificationDate] as? Date == stamp)
        try Dataset.assemble(definition, in: folder)
        #expect(try Self.files(folder.path) == (try Self.files(root + "/reference")))
    }

    @Test func folder_OfAnotherSweep_IsRefused() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try SweepFolder(path: root).prepare(for: try Self.definition())
        let other = try SweepDefinition.parse(Array(#"{"groups": [{"prefix": "x"}]}"#.utf8))
        #expect(throws: FileError.self) { try SweepFolder(path: root).prepare(for: other) }
    }

    @Test func merge_RefusesMissingDuplicatedAndMismatchedRuns() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        for index in 0..<2 { try Self.sweep(into: root + "/s\(index)", workers: 1, shard: Shard("\(index)/2")) }
        let shards = (0..<2).map { SweepFolder(path: root + "/s\($0)") }

        let missing = #expect(throws: FileError.self) {
            try DatasetMerge.merge([shards[0]], into: SweepFolder(path: root + "/m1"))
        }
        #expect(missing?.description.contains("missing") == true)
        let duplicated = #expect(throws: FileError.self) {
            try DatasetMerge.merge([shards[0], shards[1], shards[0]], into: SweepFolder(path: root + "/m2"))
        }
        #expect(duplicated?.description.contains("in both") == true)

        let other = try SweepDefinition.parse(Array(#"{"groups": [{"prefix": "control"}]}"#.utf8))
        let otherFolder = SweepFolder(path: root + "/other")
        try otherFolder.prepare(for: other)
        let mismatched = #expect(throws: FileError.self) {
            try DatasetMerge.merge([shards[0], otherFolder], into: SweepFolder(path: root + "/m3"))
        }
        #expect(mismatched?.description.contains("holds sweep") == true)

        // A run record edited by hand no longer matches the digest its shard journaled.
        let runFile = try #require(
            try FileManager.default.contentsOfDirectory(atPath: shards[1].path).first { $0.hasPrefix("morphic_") })
        let path = shards[1].path + "/" + runFile
        let edited = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(
            of: "\"grid_size\": 12", with: "\"grid_size\": 13")
        try edited.write(toFile: path, atomically: true, encoding: .utf8)
        let tampered = #expect(throws: FileError.self) {
            try DatasetMerge.merge(shards, into: SweepFolder(path: root + "/m4"))
        }
        #expect(tampered?.description.contains("changed or damaged") == true)
        #expect(!FileManager.default.fileExists(atPath: root + "/m4"))
    }

    @Test func archive_ExtractsWithGNUTarAndPython_ToTheSameBytes() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let definition = try Self.definition()
        try Self.sweep(into: root + "/data", workers: 2)
        let archive = root + "/data/" + Dataset.archiveName
        try shell("mkdir -p \(root)/gnu \(root)/py && tar -xzf \(archive) -C \(root)/gnu")
        try shell(
            "python3 -c 'import tarfile,sys; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' \(archive) \(root)/py")
        let original = try Self.files(root + "/data").filter { $0.key != Dataset.archiveName }
        #expect(try Self.files(root + "/gnu/" + definition.id) == original)
        #expect(try Self.files(root + "/py/" + definition.id) == original)
        #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/gnu") == [definition.id])
    }
}
