import Foundation
import MorphicCore
import MorphicData
import TestSupport
import Testing

/// What a learner relies on: columns told apart by role, ground truth that is the truth,
/// snapshots that are the run's states, and records that cannot be swapped unnoticed.
@Suite struct DatasetRolesTests {
    static func assembled(_ text: String, llm: RuleTable? = nil) throws -> (SweepDefinition, SweepFolder, String) {
        let root = try temporaryFolder()
        let definition = try SweepDefinition.parse(Array(text.utf8))
        let folder = SweepFolder(path: root)
        try folder.prepare(for: definition)
        let table: (@Sendable () throws -> RuleTable)? = llm.map { table in { @Sendable in table } }
        _ = try SweepRunner(definition: definition, folder: folder, workers: 2, llmTable: table).run()
        try Dataset.assemble(definition, in: folder)
        return (definition, folder, root)
    }

    static func rows(_ path: String) throws -> [[String]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
    }

    @Test func sameSeed_ClassicalAndFieldlessMorphicRuns_HaveIdenticalFeatureRows() throws {
        let (_, _, root) = try Self.assembled(
            #"""
            {"seed": 1, "defaults": {"grid_size": 16, "generations": 60},
             "groups": [{"prefix": "classical", "mode": "classical", "params": {"seed": 77}},
                        {"prefix": "nofield", "params": {"seed": 77, "field_strength": 0}},
                        {"prefix": "nocrystals", "params": {"seed": 77, "crystal_count": 0}},
                        {"prefix": "field", "params": {"seed": 77, "field_strength": 1, "similarity_threshold": 0.3}}]}
            """#)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let rows = try Self.rows(root + "/features.csv")
        #expect(rows.count == 5)
        let header = rows[0]
        // Everything after run_id, point, split and label: the ground truth and the features.
        let described = rows[1...].map { Array($0[4...]) }
        #expect(described[0] == described[1])
        #expect(described[0] == described[2])
        #expect(described[3] != described[0], "a field that acts changes the row")
        let truth = Dictionary(uniqueKeysWithValues: zip(header, rows[2]))
        #expect(truth["true_field_strength"] == "0" && truth["true_crystal_count"] == "0")
        #expect(truth["true_temporal_decay"] == "" && truth["label"] == "morphic")
        let acting = Dictionary(uniqueKeysWithValues: zip(header, rows[4]))
        #expect(acting["true_field_strength"] == "1.0" && acting["true_crystal_count"] == "5")
        #expect(acting["true_similarity_threshold"] == "0.3")
    }

    @Test func manifest_ListsColumnsByRole_AndNoFeatureIsTruthOrIdentifier() throws {
        let (definition, _, root) = try Self.assembled(
            #"""
            {"seed": 3, "defaults": {"grid_size": 10, "generations": 20},
             "groups": [{"prefix": "control", "mode": "classical", "replicates": 3},
                        {"prefix": "morphic", "replicates": 2, "grid": {"field_strength": [0.3, 0.9]}}]}
            """#)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let manifest = try JSONParser.parse(try Data(contentsOf: URL(fileURLWithPath: root + "/manifest.json")))
        for table in ["runs.csv", "timeseries.csv", "features.csv"] {
            let columns = try #require(manifest["columns"]?[table]?.elements)
            let header = try Self.rows(root + "/" + table)[0]
            #expect(columns.map { $0["name"]?.stringValue ?? "" } == header, "\(table) is described in order")
            #expect(columns.allSatisfy { DatasetColumn.Role(rawValue: $0["role"]?.stringValue ?? "") != nil })
        }
        let features = try #require(manifest["columns"]?["features.csv"]?.elements)
        let names = { (role: String) in features.filter { $0["role"] == .string(role) }.map { $0["name"]!.stringValue! } }
        #expect(!names("feature").isEmpty)
        #expect(names("feature").allSatisfy { !$0.hasPrefix("true_") && !["run_id", "point", "split", "label", "seed"].contains($0) })
        #expect(names("feature").allSatisfy { name in
            !["influence", "override", "resonance", "crystal"].contains { name.contains($0) }
        })
        #expect(names("truth").allSatisfy { $0.hasPrefix("true_") } && names("truth").contains("true_field_strength"))
        #expect(names("identifier") == ["run_id", "point", "split"] && names("label") == ["label"])
        let series = try #require(manifest["columns"]?["timeseries.csv"]?.elements)
        #expect(
            series.filter { $0["role"] == .string("hidden") }.map { $0["name"]!.stringValue! } == [
                "hidden_morphic_influence_rate", "hidden_override_rate", "hidden_resonance_events",
                "hidden_crystal_count",
            ])
        // Replicates share a point; controls record no field even though the model's
        // defaults (crystal_count 5, field_strength 0.6) were in their configuration.
        let rows = try Self.rows(root + "/features.csv")
        let points = rows[1...].map { $0[1] }
        #expect(points == ["0", "0", "0", "1", "1", "2", "2"])
        #expect(rows[1][9...10] == ["0", "0"])
        // The manifest lists each run by id, file, digest and size only.
        let entry = try #require(manifest["runs"]?.elements?.first)
        #expect(entry.members?.map(\.key) == ["run_id", "file", "sha256", "bytes"])
        #expect(manifest["runs"]?.elements?.count == definition.runs.count)
    }

    @Test func tamperedRunFile_IsRefusedByFeatures_AndNothingChanges() throws {
        let (_, folder, root) = try Self.assembled(
            #"{"defaults": {"grid_size": 8, "generations": 12}, "groups": [{"prefix": "a", "replicates": 3}]}"#)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let before = try Data(contentsOf: URL(fileURLWithPath: root + "/features.csv"))
        let definition = try SweepDefinition(json: try #require(try folder.recordedSweep()).definition)
        try damageRecord(run: 1, in: root)
        let refused = #expect(throws: FileError.self) { try Dataset.writeFeatures(definition, in: folder) }
        #expect(refused?.description.contains("run a_2 has no whole record") == true)
        // An unpacked archive holds `<run_id>.json` files: one changed there is refused too.
        let unpacked = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: unpacked) }
        try shell("tar -xzf \(root)/\(Dataset.archiveName) -C \(unpacked)")
        let extracted = SweepFolder(path: unpacked + "/" + definition.id)
        try Dataset.writeFeatures(definition, in: extracted)
        #expect(try Data(contentsOf: URL(fileURLWithPath: extracted.path + "/features.csv")) == before)
        let path = extracted.runPath("a_2")
        var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: path)))
        let digit = try #require(bytes.lastIndex { (UInt8(ascii: "1")...UInt8(ascii: "8")).contains($0) })
        bytes[digit] += 1
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let changed = #expect(throws: FileError.self) { try Dataset.writeFeatures(definition, in: extracted) }
        #expect(changed?.description.contains("run a_2 does not match the sha256 in manifest.json") == true)
        #expect(try Data(contentsOf: URL(fileURLWithPath: root + "/features.csv")) == before)
    }

    @Test func snapshots_AreTheRunsStates() throws {
        let llm = RuleTable { $0 % 3 == 0 }
        let (definition, folder, root) = try Self.assembled(
            #"""
            {"seed": 5, "snapshots": {"every": 4}, "defaults": {"grid_size": 11, "generations": 10},
             "groups": [{"prefix": "torus", "params": {"boundary": "torus", "similarity_threshold": 0.4}},
                        {"prefix": "dead", "params": {"similarity_threshold": 0.4, "field_strength": 1}},
                        {"prefix": "coupled", "replicates": 2, "params": {"cross_system_coupling": 0.5}},
                        {"prefix": "llm", "mode": "llm_control", "params": {"field_strength": 0.5}},
                        {"prefix": "classical", "mode": "classical"}]}
            """#, llm: llm)
        defer { try? FileManager.default.removeItem(atPath: root) }
        // Python's zipfile checks every member's CRC as it extracts.
        try shell(
            "python3 -c 'import zipfile,sys; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' \(root)/frames.npz \(root)/frames"
        )
        for group in definition.couplingGroups {
            var ensemble = Ensemble(
                try group.map {
                    try Simulation(
                        configuration: $0.configuration, runID: $0.id, sweepSeed: definition.seed,
                        llmTable: $0.configuration.mode == .llmControl ? llm : nil)
                })
            var expected: [[[UInt8]]] = Array(repeating: [], count: group.count)
            for generation in 0...10 {
                if generation % 4 == 0 { for (index, member) in ensemble.members.enumerated() { expected[index].append(member.state) } }
                if generation < 10 { ensemble.step() }
            }
            for (index, run) in group.enumerated() {
                let npy = try Array(Data(contentsOf: URL(fileURLWithPath: "\(root)/frames/\(run.id).npy")))
                let headerLength = 10 + Int(npy[8]) + Int(npy[9]) << 8
                let header = String(decoding: npy[10..<headerLength], as: UTF8.self)
                #expect(header.contains("'descr': '|u1'") && header.contains("'shape': (3, 11, 2)"), "\(header)")
                let data = Array(npy[headerLength...])
                #expect(data.count == 3 * 11 * 2)
                for frame in 0..<3 {
                    let cells = (0..<121).map { cell -> UInt8 in
                        let (y, x) = (cell / 11, cell % 11)
                        return data[frame * 22 + y * 2 + x / 8] >> (7 - UInt8(x % 8)) & 1
                    }
                    #expect(cells == expected[index][frame], "\(run.id) frame \(frame)")
                }
                #expect(expected[index][2] != expected[index][0] || run.configuration.mode == .llmControl)
            }
        }
        _ = folder
    }

    @Test func snapshots_OverTheLimit_AreRefusedNamingIt() throws {
        let text = #"{"snapshots": {"every": 1}, "defaults": {"grid_size": 64, "generations": 100}, "groups": [{"prefix": "a", "replicates": 10}]}"#
        let limits = SweepLimits(maximumRuns: 100, maximumCellSteps: .max, maximumSnapshotBytes: 10 * 101 * 64 * 8 - 1)
        let refused = #expect(throws: SweepError.self) { try SweepDefinition.parse(Array(text.utf8), limits: limits) }
        #expect(refused?.field == "snapshots.every" && refused?.message.contains("max_snapshot_bytes") == true)
        let atLimit = SweepLimits(maximumRuns: 100, maximumCellSteps: .max, maximumSnapshotBytes: 10 * 101 * 64 * 8)
        #expect(throws: Never.self) { try SweepDefinition.parse(Array(text.utf8), limits: atLimit) }
        for bad in [#"{"every": 0}"#, #"{"every": "5"}"#, #"{"every": 5, "x": 1}"#, "[]"] {
            let error = #expect(throws: SweepError.self) {
                try SweepDefinition.parse(Array(#"{"snapshots": \#(bad), "groups": [{"prefix": "a"}]}"#.utf8))
            }
            #expect(error?.field.hasPrefix("snapshots") == true, "\(bad)")
        }
    }
}
