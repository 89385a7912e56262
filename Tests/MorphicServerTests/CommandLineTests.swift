import Foundation
import MorphicData
import Gzip
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
        // So does features, which writes into the same folder.
        let killedFeatures = ".features.csv.1.tmp-\(host)-\(gone.processIdentifier)"
        try Data("half".utf8).write(to: URL(fileURLWithPath: out + "/" + killedFeatures))
        #expect(try morphic(["features", out]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: out + "/" + killedFeatures))
        #expect(FileManager.default.fileExists(atPath: out + "/" + live))
    }

    @Test func sweep_WritesTheRunsIndexTheServerWrites_AndAServerAnswersFromIt() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let definition = #"""
            {"name": "indexed", "seed": 7, "defaults": {"grid_size": 10, "generations": 20},
             "groups": [{"prefix": "control", "mode": "classical", "replicates": 3},
                        {"prefix": "m", "grid": {"field_strength": [0.2, 0.9], "temporal_decay": [0.0, 0.5]}, "replicates": 2}]}
            """#
        try definition.write(toFile: root + "/sweep.json", atomically: true, encoding: .utf8)
        for (folder, flags) in [("packed", ["--packed"]), ("loose", [])] {
            let result = try morphic(["sweep", root + "/sweep.json", "--output", root + "/" + folder, "--quiet"] + flags)
            #expect(result.status == 0, "\(result.output)")
        }
        // The same sweep through the server: its assembler's index and dataset.
        let served = try ServerProcess(dataDirectory: root + "/data")
        defer { served.kill() }
        let response = try served.request("POST", "/api/sweeps", body: Array(definition.utf8))
        let id = try #require((try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])?["id"] as? String)
        _ = try served.wait(for: id, status: "completed")
        let queries = [
            "columns?fields=avg_population,field_strength,stability_score", "aggregate?y=avg_population&x=field_strength",
            "runs?sort=-avg_influence_rate&fields=avg_influence_rate&limit=100",
        ]
        let answers = try queries.map { try served.request("GET", "/api/sweeps/\(id)/\($0)") }
        #expect(answers.allSatisfy { $0.status == 200 })
        served.kill()
        let serverFolder = root + "/data/sweeps/" + id
        let index = try Data(contentsOf: URL(fileURLWithPath: serverFolder + "/runs-index.bin"))
        #expect(index.count > 0)
        for folder in ["packed", "loose"] {
            let path = root + "/" + folder
            #expect(try Data(contentsOf: URL(fileURLWithPath: path + "/runs-index.bin")) == index, "\(folder)")
            for name in ["manifest.json", "runs.csv", "timeseries.csv", "features.csv", "timeseries.npz", "theta_x.npz", "DATASET.md", "dataset.tar.gz"] {
                #expect(FileManager.default.contents(atPath: path + "/" + name) == FileManager.default.contents(atPath: serverFolder + "/" + name), "\(folder)/\(name)")
            }
        }
        // The command line's folder served, with its records moved away: the statistics can
        // come only from its index, and the answers are the server's own.
        let data = root + "/served-cli"
        try FileManager.default.createDirectory(atPath: data + "/sweeps", withIntermediateDirectories: true)
        let folder = data + "/sweeps/" + id
        try FileManager.default.moveItem(atPath: root + "/packed", toPath: folder)
        try FileManager.default.moveItem(atPath: folder + "/records", toPath: root + "/records-away")
        try #"{"status": "completed", "sequence": 1, "created_at": "2026-01-01T00:00:00.000Z", "finished_at": "2026-01-01T00:01:00.000Z"}"#
            .write(toFile: folder + "/status.json", atomically: true, encoding: .utf8)
        let server = try ServerProcess(dataDirectory: data)
        defer { server.kill() }
        // Its sweeps are loaded after it listens: asked before, it answers 503.
        _ = try server.wait(for: id, status: "completed")
        for (query, answer) in zip(queries, answers) {
            let again = try server.request("GET", "/api/sweeps/\(id)/\(query)")
            #expect(again.status == 200 && again.body == answer.body, "\(query)")
        }
    }

    @Test func runFlags_OutOfRange_NameTheFlagAndRange() throws {
        let result = try morphic(["run", "--grid-size=2"])
        #expect(result.status != 0)
        #expect(result.output.contains("--grid-size must be an integer in 3...4096, not 2"))
        let unknown = try morphic(["run", "--field-strenght=0.5"])
        #expect(unknown.status != 0)
        #expect(unknown.output.contains("field-strenght"))
    }

    /// A negative number is a value like any other: refused for its range, naming the flag,
    /// and never read as an unknown option whose flag then "misses" its value.
    @Test func negativeNumbers_AreRefusedForTheirRange_NotTakenForOptions() throws {
        let cases: [([String], String)] = [
            (["run", "--field-strength", "-0.5"], "--field-strength must be a number in [0, 1], not -0.5"),
            // Too small for a double, it reads as −0, and is still negative.
            (["run", "--field-strength", "-1e-400"], "--field-strength must be a number in [0, 1], not -1e-400"),
            (["run", "--crystal-count", "-1e-400"], "not -1e-400"),
            (["run", "--seed", "-4.9e-325"], "not -4.9e-325"),
            // Numbers are decimal: a hexadecimal one, whose letters are digits, is none.
            (["run", "--field-strength", "-0xEp-2000"], "--field-strength must be a number in [0, 1], not -0xEp-2000"),
            (["run", "--field-strength", "0x1p-3"], "--field-strength must be a number in [0, 1], not 0x1p-3"),
            (["run", "--generations", "-3"], "--generations must be an integer in 1...100000, not -3"),
            (["run", "--threads", "-2"], "--threads must be in 1...256, not -2"),
            (["sweep", "definition.json", "--workers", "-1"], "--workers must be at least 1"),
            (["serve", "--workers", "-1"], "--workers must be 0 (all cores) or more"),
            (["serve", "--port", "-5"], "--port must be in 0...65535"),
            (["frames", "run.json", "--every", "-1"], "--every must be at least 1, not -1"),
            (["bench", "--repeats", "-1"], "--repeats must be at least 1, not -1"),
            (["bench", "--sweep", "-5"], "--sweep takes sizes such as"),
            (["sweep", "definition.json", "--shard", "-1/4"], "--shard must be I/N with 0 ≤ I < N, not '-1/4'"),
            (["sweep", "definition.json", "--max-runs", "-1"], "--max-runs must be at least 1, not -1"),
            (["frames", "run.json", "--from", "-1"], "--from must be at least 0, not -1"),
            (["frames", "run.json", "--max-frame-cells", "-1"], "--max-frame-cells must be at least 1, not -1"),
            (["run", "--sweep-seed=-1"], "--sweep-seed must be an integer in 0...18446744073709551615, not -1"),
            (["run", "--sweep-seed=1.5"], "--sweep-seed must be an integer in 0...18446744073709551615, not 1.5"),
            (["run", "--sweep-seed=18446744073709551616"], "--sweep-seed must be an integer in 0...18446744073709551615"),
        ]
        for (arguments, message) in cases {
            let result = try morphic(arguments)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.output.contains(message), "\(arguments): \(result.output)")
            #expect(!result.output.contains("Missing value"), "\(arguments)")
        }
    }

    /// A sweep over a limit given on the command line names the flag that sets it, and a
    /// size under a MiB in a unit that shows it.
    @Test func limits_NameTheirFlags() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let seed = ServerProcess.packageFolder + "/Config/sweeps/seed.json"
        let runs = try morphic(["sweep", seed, "--output", root + "/a", "--max-runs", "50"])
        #expect(runs.status != 0 && runs.output.contains("--max-runs"), "\(runs.output)")
        let bytes = try morphic(["sweep", seed, "--output", root + "/b", "--max-sweep-bytes", "1000"])
        #expect(bytes.status != 0 && bytes.output.contains("1000 bytes") && bytes.output.contains("--max-sweep-bytes"), "\(bytes.output)")
        #expect(!FileManager.default.fileExists(atPath: root + "/a") && !FileManager.default.fileExists(atPath: root + "/b"))
        // A definition file larger than its runs could need is refused before it is read.
        let padded = root + "/padded.json"
        let text = try String(contentsOfFile: seed, encoding: .utf8) + String(repeating: " ", count: 2 << 20)
        try text.write(toFile: padded, atomically: true, encoding: .utf8)
        let large = try morphic(["sweep", padded, "--output", root + "/c", "--max-runs", "100"])
        #expect(
            large.status != 0 && large.output.contains("is \(text.utf8.count) bytes") && large.output.contains("--max-runs"),
            "\(large.output)")
        #expect(try morphic(["sweep", padded, "--output", root + "/c", "--quiet"]).status == 0)
    }

    /// Output paths that cannot work are refused by name before anything runs, and a file
    /// error of the system is shown as the file and its reason.
    @Test func unusableOutputs_AreRefusedByName() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let seed = ServerProcess.packageFolder + "/Config/sweeps/seed.json"
        let empty = try morphic(["sweep", seed, "--output", ""])
        #expect(empty.status != 0 && empty.output.contains("--output is empty"), "\(empty.output)")
        let progress = try morphic(["sweep", seed, "--output", root + "/out", "--progress-file", root])
        #expect(progress.status != 0 && progress.output.contains("is a folder"), "\(progress.output)")
        // A progress file that cannot be written is said at once, not left unwritten in silence.
        #expect(FileManager.default.createFile(atPath: root + "/file", contents: Data()))
        let unwritable = try morphic(["sweep", seed, "--output", root + "/out", "--progress-file", root + "/file/p.json"])
        #expect(
            unwritable.status != 0 && unwritable.output.contains("cannot write --progress-file \(root)/file/p.json"),
            "\(unwritable.output)")
        // Nor a folder made for it, nor the definition written over.
        let missing = try morphic(["sweep", seed, "--output", root + "/out", "--progress-file", root + "/none/p.json"])
        #expect(missing.status != 0 && missing.output.contains("\(root)/none is no folder"), "\(missing.output)")
        #expect(!FileManager.default.fileExists(atPath: root + "/none"))
        let copy = root + "/definition.json"
        try FileManager.default.copyItem(atPath: seed, toPath: copy)
        let itself = try morphic(["sweep", copy, "--output", root + "/out", "--progress-file", copy])
        #expect(itself.status != 0 && itself.output.contains("is the sweep definition"), "\(itself.output)")
        #expect(FileManager.default.contents(atPath: copy) == FileManager.default.contents(atPath: seed))
        // An output folder refused after the progress file was written takes it back.
        try #"{"defaults": {"grid_size": 6, "generations": 2}, "groups": [{"prefix": "o"}]}"#
            .write(toFile: root + "/other.json", atomically: true, encoding: .utf8)
        #expect(try morphic(["sweep", root + "/other.json", "--output", root + "/other", "--quiet"]).status == 0)
        let another = try morphic(["sweep", seed, "--output", root + "/other", "--progress-file", root + "/p.json"])
        #expect(another.status != 0 && another.output.contains("choose another output folder"), "\(another.output)")
        #expect(!FileManager.default.fileExists(atPath: root + "/p.json"))
        // A progress file there before is left as it was.
        try Data("keep".utf8).write(to: URL(fileURLWithPath: root + "/p.json"))
        _ = try morphic(["sweep", seed, "--output", root + "/other", "--progress-file", root + "/p.json"])
        #expect(FileManager.default.contents(atPath: root + "/p.json") == Data("keep".utf8))
        // Nothing in the output folder is written over by it.
        let inside = try morphic(["sweep", root + "/other.json", "--output", root + "/other", "--progress-file", root + "/other/definition.json"])
        #expect(inside.status != 0 && inside.output.contains("lies among the files of the output folder"), "\(inside.output)")
        try FileManager.default.createDirectory(atPath: root + "/other/records", withIntermediateDirectories: true)
        let pack = try morphic(["sweep", root + "/other.json", "--output", root + "/other", "--progress-file", root + "/other/records/p.json"])
        #expect(pack.status != 0 && pack.output.contains("lies among the files of the output folder"), "\(pack.output)")
        // A folder of its own in it is the caller's, as a scheduler's.
        try FileManager.default.createDirectory(atPath: root + "/other/slurm", withIntermediateDirectories: true)
        let own = try morphic(["sweep", root + "/other.json", "--output", root + "/other", "--quiet", "--progress-file", root + "/other/slurm/p.json"])
        #expect(own.status == 0 && FileManager.default.fileExists(atPath: root + "/other/slurm/p.json"), "\(own.output)")
        #expect(try morphic(["sweep", root + "/other.json", "--output", root + "/other", "--quiet"]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: root + "/out"))
        let proc = try morphic(["sweep", seed, "--output", "/proc/morphic-cannot-be"])
        #expect(proc.status != 0 && proc.output.contains("/proc/morphic-cannot-be: No such file or directory"), "\(proc.output)")
        #expect(!proc.output.contains("NSCocoaErrorDomain"), "\(proc.output)")
    }

    /// The seed sweep's dataset made in `root/dataset`: the definition, the folder and the
    /// path of its run morphic_7's record.
    func seedDataset(in root: String) throws -> (definition: String, output: String, record: String) {
        let seed = ServerProcess.packageFolder + "/Config/sweeps/seed.json"
        let output = root + "/dataset"
        #expect(try morphic(["sweep", seed, "--output", output, "--quiet"]).status == 0)
        return (seed, output, output + "/morphic_7.json")
    }

    /// A record changed after its dataset was made is computed again by the next run over the
    /// folder, not taken into the new dataset with its manifest rewritten around it.
    @Test func recordChangedSinceTheManifest_IsComputedAgain() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let (seed, output, path) = try seedDataset(in: root)
        let original = try Data(contentsOf: URL(fileURLWithPath: path))
        let manifest = try Data(contentsOf: URL(fileURLWithPath: output + "/manifest.json"))
        let text = String(decoding: original, as: UTF8.self)
        let changed = text.replacingOccurrences(of: "\"final_population\": ", with: "\"final_population\": 1")
        #expect(changed != text)
        try Data(changed.utf8).write(to: URL(fileURLWithPath: path))
        let again = try morphic(["sweep", seed, "--output", output, "--quiet"])
        #expect(again.status == 0 && again.output.contains("morphic_7"), "\(again.output)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == original, "the record is the run's again")
        #expect(try Data(contentsOf: URL(fileURLWithPath: output + "/manifest.json")) == manifest, "and so is the manifest")
        // Without the manifest, or with one that is none, nothing vouches for the record
        // files: they are computed again and compared, and the changed one replaced.
        for damage in ["removed", "garbage"] {
            if damage == "removed" {
                try FileManager.default.removeItem(atPath: output + "/manifest.json")
            } else {
                try Data("garbage\n".utf8).write(to: URL(fileURLWithPath: output + "/manifest.json"))
            }
            try Data(changed.utf8).write(to: URL(fileURLWithPath: path))
            let unvouched = try morphic(["sweep", seed, "--output", output, "--quiet"])
            #expect(
                unvouched.status == 0 && unvouched.output.contains("no manifest.json to check it against")
                    && unvouched.output.contains("run morphic_7: its record file differs from the run computed again"),
                "\(damage): \(unvouched.output)")
            #expect(!unvouched.output.contains("run morphic_6:"), "\(unvouched.output)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == original, "\(damage): the record is the run's again")
            #expect(try Data(contentsOf: URL(fileURLWithPath: output + "/manifest.json")) == manifest, "\(damage)")
        }
    }

    /// In a packed folder, a record edited in its pack with its CRC-32 made again to match
    /// still differs from the sha256 the manifest lists: it is computed again, named, and the
    /// dataset is the run's again.
    @Test func packedRecordEditedWithItsChecksum_IsComputedAgain() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let seed = ServerProcess.packageFolder + "/Config/sweeps/seed.json"
        let output = root + "/packed"
        #expect(try morphic(["sweep", seed, "--output", output, "--quiet", "--packed"]).status == 0)
        let before = try tree(output)
        let pack = try #require(try packFiles(output).first.map { output + "/" + RecordStore.folderName + "/" + $0 })
        let frame = try #require(try packFrames(pack).first)
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: pack)))
        let body = frame.offset..<frame.offset + frame.length
        let text = String(decoding: bytes[body], as: UTF8.self)
        let edited = Array(text.replacingOccurrences(of: "\"final_population\": ", with: "\"final_population\": 1").utf8)
        #expect(edited.count == frame.length + 1)
        // The frame rewritten with its new length and CRC, as a deliberate edit would.
        var header = Array(bytes[frame.offset - 20..<frame.offset])
        for i in 0..<4 { header[12 + i] = UInt8(truncatingIfNeeded: edited.count >> (8 * i)) }
        let crc = CRC32.of(edited)
        for i in 0..<4 { header[16 + i] = UInt8(truncatingIfNeeded: crc >> (8 * UInt32(i))) }
        bytes.replaceSubrange(frame.offset - 20..<frame.offset + frame.length, with: header + edited)
        try Data(bytes).write(to: URL(fileURLWithPath: pack))
        let runID = try #require(text.split(separator: "\"").dropFirst(3).first.map(String.init))
        let again = try morphic(["sweep", seed, "--output", output, "--quiet", "--packed"])
        #expect(
            again.status == 0 && again.output.contains("run \(runID): its record differs from the sha256 in manifest.json"),
            "\(again.output)")
        let after = try tree(output)
        for name in ["manifest.json", "runs.csv", "timeseries.csv", "features.csv", "dataset.tar.gz"] {
            #expect(after[name] == before[name], "\(name)")
        }

        // With no manifest to vouch for it, a frame whose config was edited is found when the
        // dataset is assembled: the pack is named, and doing what the message says mends it.
        try FileManager.default.removeItem(atPath: output)
        #expect(try morphic(["sweep", seed, "--output", output, "--quiet", "--packed"]).status == 0)
        try FileManager.default.removeItem(atPath: output + "/manifest.json")
        let fresh = try #require(try packFrames(pack).first)
        bytes = Array(try Data(contentsOf: URL(fileURLWithPath: pack)))
        let freshBody = fresh.offset..<fresh.offset + fresh.length
        let freshText = String(decoding: bytes[freshBody], as: UTF8.self)
        let freshID = try #require(freshText.split(separator: "\"").dropFirst(3).first.map(String.init))
        let configured = Array(
            freshText.replacingOccurrences(of: "\"initial_density\": 0.4,", with: "\"initial_density\": 0.5,").utf8)
        #expect(configured.count == fresh.length && !configured.elementsEqual(bytes[freshBody]))
        bytes.replaceSubrange(freshBody, with: configured)
        let configuredCRC = CRC32.of(configured)
        for i in 0..<4 { bytes[fresh.offset - 4 + i] = UInt8(truncatingIfNeeded: configuredCRC >> (8 * UInt32(i))) }
        try Data(bytes).write(to: URL(fileURLWithPath: pack))
        let refused = try morphic(["sweep", seed, "--output", output, "--quiet", "--packed"])
        #expect(
            refused.status != 0
                && refused.output.contains(
                    "run \(freshID)'s record in \(pack): initial_density differs from the sweep definition; it was changed after it was written: remove that pack"),
            "\(refused.output)")
        try FileManager.default.removeItem(atPath: pack)
        #expect(try morphic(["sweep", seed, "--output", output, "--quiet", "--packed"]).status == 0)
        let mended = try tree(output)
        for name in ["manifest.json", "runs.csv", "timeseries.csv", "features.csv", "dataset.tar.gz"] {
            #expect(mended[name] == before[name], "\(name)")
        }
    }

    /// A record file that is there but is not its run's says what is wrong with it, not that
    /// the run has no record; and `morphic infer` given the server's way of naming a run says
    /// what to give instead.
    @Test func wrongRecordsAndServerReferences_SayWhatIsWrong() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let (_, output, path) = try seedDataset(in: root)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        try text.replacingOccurrences(of: "\"mode\": \"morphic\"", with: "\"mode\": \"morphiC\"")
            .write(toFile: path, atomically: true, encoding: .utf8)
        let features = try morphic(["features", output])
        #expect(features.status != 0 && features.output.contains("morphic_7.json: mode differs from the sweep definition"), "\(features.output)")
        try #"{"sweep": "s", "run": "r"}"#.write(toFile: root + "/named.json", atomically: true, encoding: .utf8)
        let infer = try morphic(["infer", output, root + "/named.json"])
        #expect(infer.status != 0 && infer.output.contains("names a run of a server's sweep"), "\(infer.output)")
    }

    /// A folder with a manifest holds the whole dataset: the sweep is killed the moment its
    /// manifest appears, and every other file is there already.
    @Test func manifestAppearsLast_SoAFolderWithOneIsWhole() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try #"{"name": "last", "defaults": {"grid_size": 20, "generations": 100}, "groups": [{"prefix": "r", "mode": "morphic", "replicates": 500}]}"#
            .write(toFile: root + "/definition.json", atomically: true, encoding: .utf8)
        for trial in 0..<2 {
            let output = root + "/out-\(trial)"
            let process = Process()
            process.executableURL = URL(fileURLWithPath: ServerProcess.executable)
            process.arguments = ["sweep", root + "/definition.json", "--output", output, "--quiet"]
            try process.run()
            while process.isRunning && !FileManager.default.fileExists(atPath: output + "/manifest.json") { usleep(200) }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            guard FileManager.default.fileExists(atPath: output + "/manifest.json") else { continue }
            for file in ["runs.csv", "timeseries.csv", "features.csv", "timeseries.npz", "theta_x.npz", "DATASET.md", "dataset.tar.gz"] {
                #expect(FileManager.default.fileExists(atPath: output + "/" + file), "trial \(trial): \(file) missing beside the manifest")
            }
            // And every record file it lists, whole.
            let records = (1...500).filter { run in
                (try? FileManager.default.attributesOfItem(atPath: output + "/r_\(run).json")[.size] as? Int).map { $0 > 0 } != true
            }
            #expect(records.isEmpty, "trial \(trial): \(records.count) record files missing or empty beside the manifest")
        }
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
