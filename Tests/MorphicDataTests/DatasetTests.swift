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

    /// The dataset's files and every run's record as `<run_id>.json` (packs are how a folder
    /// keeps records, in the order they were written, not part of the dataset).
    static func files(_ folder: String) throws -> [String: Data] {
        var result: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: folder)
        where name != "definition.json" && name != RecordStore.folderName && name != RunIndexFile.fileName {
            result[name] = try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))
        }
        if FileManager.default.fileExists(atPath: folder + "/definition.json") {
            for (name, bytes) in try runRecords(folder) { result[name] = Data(bytes) }
        }
        return result
    }

    /// The folder's `runs-index.bin`, which ``files(_:)`` leaves out as no dataset file.
    static func runsIndex(_ folder: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: folder + "/" + RunIndexFile.fileName))
    }

    static func sweep(into path: String, workers: Int, shard: Shard? = nil) throws {
        try Fixtures.computeSweep(try definition(), into: path, workers: workers, shard: shard)
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
        // Merged again, as after a crash: nothing is written twice, the dataset is the same.
        let packs = { try FileManager.default.contentsOfDirectory(atPath: root + "/merged/" + RecordStore.folderName).sorted() }
        let sizes = { try packs().map { try FileManager.default.attributesOfItem(atPath: root + "/merged/records/" + $0)[.size] as? Int } }
        let before = try sizes()
        try DatasetMerge.merge(
            (0..<3).map { SweepFolder(path: root + "/shard\($0)") }, into: SweepFolder(path: root + "/merged"))
        #expect(try packs().count == before.count)
        #expect(try sizes() == before)
        #expect(try Self.files(root + "/merged") == reference)
        // The runs index, which is no dataset file, alike too.
        let index = try Self.runsIndex(root + "/many")
        #expect(try Self.runsIndex(root + "/one") == index && Self.runsIndex(root + "/merged") == index)
        // Each shard holds only its own runs.
        let shardRuns = try (0..<3).map {
            try Self.files(root + "/shard\($0)").keys.filter { $0.hasSuffix(".json") }.count
        }
        #expect(shardRuns.reduce(0, +) == 9)
        #expect(shardRuns.allSatisfy { $0 > 0 })
        // Not into one of its shard folders, however it is written: the shard stays as it was.
        let shard1 = try Self.files(root + "/shard1")
        for output in ["/shard1", "/./shard1/", "/shard0/../shard1"] {
            let into = #expect(throws: FileError.self) {
                try DatasetMerge.merge(
                    (0..<3).map { SweepFolder(path: root + "/shard\($0)") }, into: SweepFolder(path: root + output))
            }
            #expect(into?.description.contains("is the shard folder \(root)/shard1") == true, "\(output): \(String(describing: into))")
        }
        #expect(try Self.files(root + "/shard1") == shard1)
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
        let records = try runRecords(root)
        for run in runs {
            let file = try #require(run["file"]?.stringValue)
            let bytes = try #require(records[file])
            #expect(run["sha256"] == .string(SHA256.hex(bytes)))
            #expect(run["bytes"] == .int(bytes.count))
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
            RecordStore(folder).finishedRuns(of: definition, groups: 0..<definition.runs.groupCount).count
        }
        let stopped = try SweepRunner(definition: definition, folder: folder, workers: 1).run(isCancelled: {
            written() >= 3
        })
        #expect(stopped.runsCompleted < 9)
        let pack = root + "/" + RecordStore.folderName + "/0.0.pack"
        let before = try packFrames(pack).map(\.run)
        #expect(before.count >= 3)
        // One finished record damaged (a digit changed, as bad storage would) and the last
        // torn (as a process killed while appending it leaves it): both are computed again,
        // every other one is kept.
        let (damaged, torn) = (before[0], before[before.count - 1])
        try damageRecord(run: damaged, in: root)
        let tornFrame = try #require(try packFrames(pack).last)
        try FileHandle(forWritingAtPath: pack)!.truncate(atOffset: UInt64(tornFrame.offset + tornFrame.length / 2))
        var found: [String] = []
        let resumed = try SweepRunner(definition: definition, folder: folder, workers: 2).run(foundDamaged: { found = $0 })
        #expect(resumed.runsCompleted == 9)
        // The changed record is said to be computed again; the torn one is the pack's tail.
        #expect(found == [definition.runs[damaged].id])
        // The resumed process appended to packs of its own.
        let later = try packFiles(root).filter { $0 != "0.0.pack" }
        let computedAgain = Set(
            try later.flatMap { try packFrames(root + "/" + RecordStore.folderName + "/" + $0).map(\.run) })
        #expect(computedAgain == Set(0..<9).subtracting(before).union([damaged, torn]))
        try Dataset.assemble(definition, in: folder)
        let reference = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: reference) }
        try Self.sweep(into: reference, workers: 2)
        #expect(try Self.files(root) == (try Self.files(reference)))
    }

    @Test func folderOfEarlierLayout_OneFilePerRun_IsAdopted_AndTornRecordsRecomputed() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let definition = try Self.definition()
        try Self.sweep(into: root + "/reference", workers: 2)
        // As an earlier version left it: one `<run_id>.json` per run, no packs. Assembling it
        // needs no run computed again.
        let folder = SweepFolder(path: root + "/old")
        try FileManager.default.createDirectory(atPath: folder.path, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: root + "/reference/definition.json", toPath: folder.definitionPath)
        for (name, bytes) in try runRecords(root + "/reference") {
            try Data(bytes).write(to: URL(fileURLWithPath: folder.path + "/" + name))
        }
        try Dataset.assemble(definition, in: folder)
        #expect(try Self.files(folder.path) == (try Self.files(root + "/reference")))
        #expect(!FileManager.default.fileExists(atPath: folder.path + "/" + RecordStore.folderName))

        // One record torn: only that one is computed again, into a pack.
        let torn = folder.runPath("morphic_2")
        let bytes = try Data(contentsOf: URL(fileURLWithPath: torn))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: torn))
        var found: [String] = []
        let resumed = try SweepRunner(definition: definition, folder: folder, workers: 2).run(foundDamaged: { found = $0 })
        #expect(resumed.runsCompleted == 9)
        #expect(found == ["morphic_2"])
        let computed = try packFiles(folder.path).flatMap {
            try packFrames(folder.path + "/" + RecordStore.folderName + "/" + $0).map(\.run)
        }
        #expect(computed == [definition.index(ofRun: "morphic_2")!])
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
        // One folder given twice, however it is written, is said to be one folder.
        for again in [root + "/s0", root + "/s0//", root + "/s1/../s0"] {
            let twice = #expect(throws: FileError.self) {
                try DatasetMerge.merge([shards[0], shards[1], SweepFolder(path: again)], into: SweepFolder(path: root + "/m2"))
            }
            let said = again.contains("..") ? "are the same folder" : "s0 is given twice"
            #expect(twice?.description.contains(said) == true, "\(again): \(twice.map(String.init(describing:)) ?? "")")
        }
        // A copy of a shard folder holds the same runs again.
        _ = try shell("cp -r '\(root)/s0' '\(root)/s0-copy'")
        let duplicated = #expect(throws: FileError.self) {
            try DatasetMerge.merge(
                [shards[0], shards[1], SweepFolder(path: root + "/s0-copy")], into: SweepFolder(path: root + "/m2"))
        }
        #expect(duplicated?.description.contains("in both") == true)
        #expect(!FileManager.default.fileExists(atPath: root + "/m2"))
        #expect(shards[0].isShard && SweepFolder(path: root + "/s0-copy").isShard)

        let other = try SweepDefinition.parse(Array(#"{"groups": [{"prefix": "control"}]}"#.utf8))
        let otherFolder = SweepFolder(path: root + "/other")
        try otherFolder.prepare(for: other)
        let mismatched = #expect(throws: FileError.self) {
            try DatasetMerge.merge([shards[0], otherFolder], into: SweepFolder(path: root + "/m3"))
        }
        #expect(mismatched?.description.contains("holds sweep") == true)

        // A run record edited by hand in its pack no longer matches the digest of its frame.
        let edited = try #require(try runRecords(shards[1].path).first { $0.key.hasPrefix("morphic_") })
        let index = try #require(try Self.definition().index(ofRun: String(edited.key.dropLast(5))))
        try damageRecord(run: index, in: shards[1].path)
        let tampered = #expect(throws: FileError.self) {
            try DatasetMerge.merge(shards, into: SweepFolder(path: root + "/m4"))
        }
        #expect(tampered?.description.contains("damaged") == true)
        #expect(tampered?.description.contains(String(edited.key.dropLast(5))) == true)
        #expect(!FileManager.default.fileExists(atPath: root + "/m4"))
    }

    /// A frame whose header names another run (its run index changed: the CRC-32 covers the
    /// record alone) is no record of that run: the run keeps its own, the run whose record
    /// it holds is computed again, and the dataset is as it was.
    @Test func frameRelabelledAsAnotherRun_IsNoRecordOfIt() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let definition = try Self.definition()
        try Self.sweep(into: root + "/reference", workers: 1)
        try Self.sweep(into: root + "/edited", workers: 1)
        let pack = root + "/edited/" + RecordStore.folderName + "/" + (try #require(try packFiles(root + "/edited").first))
        let frames = try packFrames(pack)
        let (relabelled, named) = (frames[0], frames[1])
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: pack)))
        for byte in 0..<8 { bytes[relabelled.offset - 16 + byte] = UInt8(truncatingIfNeeded: named.run >> (8 * byte)) }
        try Data(bytes).write(to: URL(fileURLWithPath: pack))
        #expect(try packFrames(pack).filter { $0.run == named.run }.count == 2)

        let folder = SweepFolder(path: root + "/edited")
        let finished = RecordStore(folder).finishedRuns(of: definition, groups: 0..<definition.runs.groupCount)
        #expect(finished.contains(named.run) && !finished.contains(relabelled.run))
        _ = try SweepRunner(definition: definition, folder: folder, workers: 1).run()
        try Dataset.assemble(definition, in: folder)
        #expect(try Self.files(folder.path) == (try Self.files(root + "/reference")))
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
