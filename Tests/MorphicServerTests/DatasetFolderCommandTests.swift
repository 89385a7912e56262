import Foundation
import TestSupport
import Testing

/// The folder a `morphic sweep` or `morphic merge` leaves is the dataset, as the archive
/// holds it; `frames` and `features` read it, a `--packed` folder and an unpacked archive
/// alike; paths and runs that are wrong are named.
@Suite struct DatasetFolderCommandTests {
    func morphic(_ arguments: [String]) throws -> (status: Int32, output: String) {
        try execute(ServerProcess.executable, arguments)
    }

    /// A sweep with a coupled group (cross_system_coupling > 0), an uncoupled one and controls.
    static let definition = #"""
        {"name": "folder", "seed": 11, "defaults": {"grid_size": 16, "generations": 40},
         "groups": [{"prefix": "m", "replicates": 3, "grid": {"field_strength": [0.3, 0.9]}},
                    {"prefix": "k", "replicates": 2, "params": {"cross_system_coupling": 0.5}},
                    {"prefix": "c", "mode": "classical", "replicates": 2}]}
        """#

    /// The files of `folder` that are the dataset, by name.
    func files(_ folder: String) throws -> [String: Data] {
        try tree(folder).filter { name, _ in !["definition.json", "dataset.tar.gz", "runs-index.bin"].contains(name) }
    }

    @Test func sweepAndMerge_LeaveTheDatasetAsTheArchiveHoldsIt_OrOnlyPacksWithPacked() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.definition.write(toFile: root + "/sweep.json", atomically: true, encoding: .utf8)
        #expect(try morphic(["sweep", root + "/sweep.json", "--output", root + "/dataset", "--quiet"]).status == 0)
        _ = try shell("mkdir '\(root)/x' && tar xzf '\(root)/dataset/dataset.tar.gz' -C '\(root)/x'")
        let unpacked = try FileManager.default.contentsOfDirectory(atPath: root + "/x")
        #expect(unpacked.count == 1)
        let archive = try tree(root + "/x/" + unpacked[0])
        #expect(archive.keys.filter { $0.hasSuffix(".json") && $0 != "manifest.json" }.count == 10, "one record per run")
        #expect(try files(root + "/dataset") == archive, "the folder holds what the archive holds, byte for byte")

        // --packed: the records stay in packs; the tables and the archive are the same.
        #expect(
            try morphic(["sweep", root + "/sweep.json", "--output", root + "/packed", "--packed", "--quiet"]).status == 0)
        let packed = try files(root + "/packed")
        #expect(packed.keys.contains { $0.hasPrefix("records/") })
        #expect(!packed.keys.contains("m_1.json"))
        #expect(
            try Data(contentsOf: URL(fileURLWithPath: root + "/packed/dataset.tar.gz"))
                == Data(contentsOf: URL(fileURLWithPath: root + "/dataset/dataset.tar.gz")))

        // A finished folder swept again takes the layout asked for, and keeps its dataset:
        // --packed packs its records (it used to leave them one file a run, saying nothing),
        // and without it they are laid out again.
        _ = try shell("cp -r '\(root)/dataset' '\(root)/repacked'")
        let repacking = try morphic(["sweep", root + "/sweep.json", "--output", root + "/repacked", "--packed", "--quiet"])
        #expect(repacking.status == 0, "\(repacking.output)")
        let repacked = try files(root + "/repacked")
        #expect(!repacked.keys.contains { $0.hasSuffix(".json") && $0 != "manifest.json" }, "no record left one file a run")
        #expect(repacked.filter { !$0.key.hasPrefix("records/") } == packed.filter { !$0.key.hasPrefix("records/") })
        #expect(
            try Data(contentsOf: URL(fileURLWithPath: root + "/repacked/dataset.tar.gz"))
                == Data(contentsOf: URL(fileURLWithPath: root + "/dataset/dataset.tar.gz")))
        #expect(try morphic(["sweep", root + "/sweep.json", "--output", root + "/repacked", "--quiet"]).status == 0)
        #expect(try files(root + "/repacked") == archive, "laid out one file a run again")

        // Shards merged: the same folder as the whole sweep's.
        for shard in 0..<3 {
            #expect(
                try morphic([
                    "sweep", root + "/sweep.json", "--output", root + "/shard-\(shard)", "--shard", "\(shard)/3", "--quiet",
                ]).status == 0)
        }
        let merged = try morphic(
            ["merge", root + "/shard-0", root + "/shard-1", root + "/shard-2", "--output", root + "/merged"])
        #expect(merged.status == 0, "\(merged.output)")
        #expect(try files(root + "/merged") == archive)
    }

    @Test func framesAndFeatures_ReadASweepFolder_APackedOne_AndAnUnpackedArchive_Alike() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.definition.write(toFile: root + "/sweep.json", atomically: true, encoding: .utf8)
        #expect(try morphic(["sweep", root + "/sweep.json", "--output", root + "/dataset", "--quiet"]).status == 0)
        #expect(
            try morphic(["sweep", root + "/sweep.json", "--output", root + "/packed", "--packed", "--quiet"]).status == 0)
        _ = try shell("mkdir '\(root)/x' && tar xzf '\(root)/dataset/dataset.tar.gz' -C '\(root)/x'")
        let archive = root + "/x/" + (try FileManager.default.contentsOfDirectory(atPath: root + "/x"))[0]
        let features = try Data(contentsOf: URL(fileURLWithPath: root + "/dataset/features.csv"))

        // A lone run from its record file, and from each kind of folder: the same frames.
        let byFile = try morphic(
            ["frames", root + "/dataset/m_2.json", "--every", "5", "--output", root + "/file.npz"])
        #expect(byFile.status == 0, "\(byFile.output)")
        for (name, folder) in [("dataset", root + "/dataset"), ("packed", root + "/packed"), ("archive", archive)] {
            let result = try morphic(
                ["frames", folder, "--run", "m_2", "--every", "5", "--output", root + "/\(name).npz"])
            #expect(result.status == 0, "\(name): \(result.output)")
            #expect(
                try Data(contentsOf: URL(fileURLWithPath: root + "/\(name).npz"))
                    == Data(contentsOf: URL(fileURLWithPath: root + "/file.npz")), "\(name)")
            // A coupled run needs its group, which a folder has.
            #expect(try morphic(["frames", folder, "--run", "k_2", "--output", root + "/k.npz"]).status == 0)
            try FileManager.default.removeItem(atPath: folder + "/features.csv")
            let written = try morphic(["features", folder])
            #expect(written.status == 0, "\(name): \(written.output)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: folder + "/features.csv")) == features, "\(name)")
        }
        let coupled = try morphic(["frames", root + "/dataset/k_2.json", "--output", root + "/k.npz"])
        #expect(coupled.status != 0 && coupled.output.contains("--run"), "\(coupled.output)")

        // A record whose parts contradict its config is of no one run: refused, naming both.
        let record = try String(contentsOfFile: root + "/dataset/m_2.json", encoding: .utf8)
        for (from, to, message) in [
            (#""generations": 40,"#, #""generations": 41,"#, "its metadata.generations is 41 and its config.generations 40"),
            (#""grid_size": 16,"#, #""grid_size": 12,"#, "its metadata.grid_size is 12 and its config.grid_size 16"),
            (#""generations": 40,"#, #""generations": "40","#, #"its metadata.generations is "40" and its config.generations 40"#),
            (#""mode": "morphic","#, #""mode": "control","#, #"its mode is "control" and its config.mode "morphic""#),
            (#""model_version": "morphic-life/1""#, #""model_version": "morphic-life/0""#, #"its metadata.model_version is "morphic-life/0""#),
        ] {
            // The first match is the top-level key or metadata's: config's comes before metadata.
            let range = try #require(
                from.contains("mode\"") ? record.range(of: from) : record.range(of: from, options: .backwards), "\(from)")
            try record.replacingCharacters(in: range, with: to).write(
                toFile: root + "/changed.json", atomically: true, encoding: .utf8)
            let refused = try morphic(["frames", root + "/changed.json", "--output", root + "/changed.npz"])
            #expect(refused.status != 0 && refused.output.contains(message), "\(from): \(refused.output)")
            #expect(!FileManager.default.fileExists(atPath: root + "/changed.npz"))
        }
        // In a folder, a record changed so that it is no longer its run's is said to be so,
        // not to be missing.
        let configRange = try #require(record.range(of: #""initial_density": 0.4,"#))
        try record.replacingCharacters(in: configRange, with: #""initial_density": 0.5,"#).write(
            toFile: root + "/dataset/m_2.json", atomically: true, encoding: .utf8)
        let changed = try morphic(["frames", root + "/dataset", "--run", "m_2", "--output", root + "/m2.npz"])
        #expect(changed.status != 0 && changed.output.contains("is torn, damaged or changed"), "\(changed.output)")
    }

    /// What is wrong with a damaged folder is said as it is: a record file missing, a record
    /// cut short, a manifest that is not one.
    @Test func damagedFolders_AreSaidToBeWhatTheyAre() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.definition.write(toFile: root + "/sweep.json", atomically: true, encoding: .utf8)
        #expect(try morphic(["sweep", root + "/sweep.json", "--output", root + "/d", "--quiet"]).status == 0)
        for name in ["missing", "torn", "manifest"] { _ = try shell("cp -r '\(root)/d' '\(root)/\(name)'") }
        try FileManager.default.removeItem(atPath: root + "/missing/m_2.json")
        let record = try Data(contentsOf: URL(fileURLWithPath: root + "/torn/m_2.json"))
        try record.prefix(record.count / 2).write(to: URL(fileURLWithPath: root + "/torn/m_2.json"))
        try Data("garbage\n".utf8).write(to: URL(fileURLWithPath: root + "/manifest/manifest.json"))
        for (folder, said) in [
            ("missing", "missing/m_2.json is missing"), ("torn", "torn/m_2.json is torn or no JSON"),
            ("manifest", #"manifest/manifest.json is not a manifest as morphic writes it (it has no "runs" list)"#),
        ] {
            let result = try morphic(["features", root + "/" + folder])
            #expect(result.status != 0 && result.output.contains(said), "\(folder): \(result.output)")
        }
    }

    /// Two commands over one finished folder asking for different layouts take turns: every
    /// record survives in one layout or the other (they used to remove each other's copies,
    /// and with them every record).
    @Test func sweepsAndMerges_AskingForDifferentLayoutsAtOnce_LoseNoRecord() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let definition = Self.definition.replacingOccurrences(of: #""replicates": 3"#, with: #""replicates": 40"#)
        try definition.write(toFile: root + "/sweep.json", atomically: true, encoding: .utf8)
        let binary = "'\(ServerProcess.executable)'"
        _ = try shell("\(binary) sweep '\(root)/sweep.json' --output '\(root)/d' --quiet")
        let archive = try Data(contentsOf: URL(fileURLWithPath: root + "/d/dataset.tar.gz"))
        for round in 0..<4 {
            let (first, second) = round % 2 == 0 ? ("--packed", "") : ("", "--packed")
            _ = try shell(
                "\(binary) sweep '\(root)/sweep.json' --output '\(root)/d' --quiet \(first) & "
                    + "\(binary) sweep '\(root)/sweep.json' --output '\(root)/d' --quiet \(second); wait")
            let features = try morphic(["features", root + "/d"])
            #expect(features.status == 0, "round \(round): \(features.output)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: root + "/d/dataset.tar.gz")) == archive, "round \(round)")
        }
        // The same for merges into one folder.
        _ = try shell(
            "\(binary) merge '\(root)/d' --output '\(root)/m' --packed & \(binary) merge '\(root)/d' --output '\(root)/m'; wait")
        let merged = try morphic(["features", root + "/m"])
        #expect(merged.status == 0, "\(merged.output)")
    }

    /// A sweep stopped by SIGINT or SIGTERM while it writes its dataset leaves no hidden
    /// temporary behind, dies of the signal as before, and is resumed to the same dataset.
    @Test func sweepStoppedBySignal_LeavesNoTemporary() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let definition = Self.definition.replacingOccurrences(of: #""replicates": 3"#, with: #""replicates": 150"#)
        try definition.write(toFile: root + "/sweep.json", atomically: true, encoding: .utf8)
        // Its runs computed and packed first: run again, the sweep goes straight to writing
        // its dataset, under temporary names, however loaded the machine is.
        _ = try shell("'\(ServerProcess.executable)' sweep '\(root)/sweep.json' --output '\(root)/packed' --packed --quiet")
        let archive = try Data(contentsOf: URL(fileURLWithPath: root + "/packed/dataset.tar.gz"))
        for signal in [SIGINT, SIGTERM] {
            let output = root + "/stopped-\(signal)"
            func temporaries() -> [String] {
                ((try? FileManager.default.contentsOfDirectory(atPath: output)) ?? []).filter { $0.contains(".tmp-") }
            }
            // Tried again when the sweep ends before a temporary is seen (a fast machine).
            var stopped: Process?
            for _ in 0..<5 where stopped == nil {
                try? FileManager.default.removeItem(atPath: output)
                _ = try shell("cp -a '\(root)/packed' '\(output)'")
                // Started as a shell starts it, the signals unblocked (a thread of the test's
                // may have them blocked, and a child inherits that): execed in place by python.
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                process.arguments = [
                    "python3", "-c",
                    "import os, signal, sys; signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM}); "
                        + "os.execv(sys.argv[1], sys.argv[1:])",
                    ServerProcess.executable, "sweep", root + "/sweep.json", "--output", output, "--quiet",
                ]
                process.standardError = FileHandle.nullDevice
                try process.run()
                while process.isRunning && temporaries().isEmpty { usleep(500) }
                if temporaries().isEmpty {
                    process.waitUntilExit()
                    continue
                }
                kill(process.processIdentifier, signal)
                process.waitUntilExit()
                stopped = process
            }
            let process = try #require(stopped, "signal \(signal): no temporary seen in five sweeps")
            #expect(
                process.terminationReason == .uncaughtSignal && process.terminationStatus == signal,
                "signal \(signal): \(process.terminationReason) \(process.terminationStatus)")
            #expect(temporaries().isEmpty, "signal \(signal): \(temporaries())")
            _ = try shell("'\(ServerProcess.executable)' sweep '\(root)/sweep.json' --output '\(output)' --quiet")
            #expect(try Data(contentsOf: URL(fileURLWithPath: output + "/dataset.tar.gz")) == archive, "signal \(signal)")
        }
    }

    /// Output folders named by one character, or under one, are made (the check of their
    /// parents crashed on a one-character name).
    @Test func outputFolders_OfOneCharacterNames_AreMade() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.definition.write(toFile: root + "/sweep.json", atomically: true, encoding: .utf8)
        let morphic = ServerProcess.executable
        // What each says it wrote names the folder once, with one `/` before the file.
        for (output, written) in [("a", "a"), ("b/", "b"), ("x/yy", "x/yy"), ("c//", "c")] {
            let said = try shell("cd '\(root)' && '\(morphic)' sweep sweep.json --output \(output) 2>&1")
            #expect(FileManager.default.fileExists(atPath: root + "/" + output + "/manifest.json"), "\(output)")
            #expect(said.contains("→ \(written)/dataset.tar.gz"), "\(output): \(said)")
        }
        let run = try shell("cd '\(root)' && '\(morphic)' run --grid-size 5 --generations 2 --output r/ 2>&1")
        #expect(FileManager.default.fileExists(atPath: root + "/r/run_1.json"))
        #expect(run.contains("wrote r/run_1.json"), "\(run)")
        let merge = try shell("cd '\(root)' && '\(morphic)' merge a --output m/ 2>&1")
        #expect(FileManager.default.fileExists(atPath: root + "/m/manifest.json"))
        #expect(merge.contains("→ m/dataset.tar.gz"), "\(merge)")
    }

    @Test func wrongPathsAndRuns_AreNamed_WithTheSubcommandsUsage() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.definition.write(toFile: root + "/sweep.json", atomically: true, encoding: .utf8)
        try "x".write(toFile: root + "/a-file", atomically: true, encoding: .utf8)
        #expect(try morphic(["sweep", root + "/sweep.json", "--output", root + "/dataset", "--quiet"]).status == 0)
        let cases: [([String], String)] = [
            (["sweep", root + "/sweep.json", "--output", root + "/a-file"], "is a file"),
            (["sweep", root + "/sweep.json", "--output", root + "/a-file/out"], "is a file"),
            (["merge", root + "/a-file", "--output", root + "/m"], "is a file"),
            (["merge", root + "/dataset", "--output", root + "/a-file"], "is a file"),
            (["run", "--output", root + "/a-file"], "is a file"),
            (["features", root + "/a-file"], "is a file"),
            (["features", root + "/nowhere"], "no such folder"),
            (["features", root], "neither definition.json nor manifest.json"),
            (["frames", root + "/dataset", "--run", "m_99"], "no such run"),
            (["frames", root + "/dataset"], "--run"),
            (["frames", root + "/dataset/m_1.json", "--run", "m_1"], "is a file"),
            (["frames", root + "/dataset/m_99.json"], "no such file"),
            (["frames", root + "/dataset", "--run", "m_1", "--output", root + "/dataset"], "is a folder"),
            (["sweep", root + "/dataset", "--output", root + "/o"], "is a folder"),
            (["sweep", root + "/missing.json", "--output", root + "/o"], "no such file"),
            // Paths written with `/` at their end are named without it.
            (
                ["frames", root + "/dataset", "--run", "m_1", "--output", root + "/dataset//"],
                "dataset is a folder; give --output a file name for the .npz (such as \(root)/dataset/frames.npz)"
            ),
            (["frames", root + "/dataset", "--run", "m_1", "--output", root + "/a-file/x.npz"], "a-file is a file, so"),
            (["calibrate", root + "/a-file/"], "a-file is a file: the reference"),
            (["infer", root + "/dataset", root + "/a-file//"], "a-file is a file, not a folder"),
            (["run", "--output", root + "/dangling//"], "dangling is a symbolic link to"),
        ]
        try FileManager.default.createSymbolicLink(atPath: root + "/dangling", withDestinationPath: root + "/nowhere")
        for (arguments, message) in cases {
            let result = try morphic(arguments)
            #expect(result.status != 0, "\(arguments)")
            #expect(result.output.contains(message), "\(arguments): \(result.output)")
            #expect(!result.output.contains("NSCocoaErrorDomain"), "\(arguments): \(result.output)")
            #expect(
                result.output.contains("Usage: morphic \(arguments[0])"), "\(arguments): its own usage: \(result.output)")
        }
        #expect(!FileManager.default.fileExists(atPath: root + "/m"), "a refused merge writes nothing")
    }
}
