import Foundation
import MorphicCore
import MorphicData
import TestSupport
import Testing

/// Datasets of sampled and listed groups: the same bytes whatever the workers or shards,
/// `features.csv`'s split by parameter point, and `theta_x.npz`'s parameters.
@Suite struct SampledDatasetTests {
    static let definitionText = #"""
        {"name": "drawn", "seed": 11, "defaults": {"generations": 25, "grid_size": 12},
         "groups": [{"prefix": "control", "mode": "classical", "sample": {"count": 4, "method": "random",
                      "params": {"initial_density": {"uniform": [0.3, 0.5]}}}},
                    {"prefix": "m", "replicates": 2, "sample": {"count": 5, "method": "latin_hypercube",
                      "params": {"field_strength": {"uniform": [0, 1]}, "influence_exponent": {"log_uniform": [0.5, 4]},
                                 "rule": {"choice": ["B3/S23", "B36/S23"]}, "crystal_count": {"integer": [1, 6]}}}},
                    {"prefix": "s", "sample": {"count": 4, "method": "sobol",
                      "params": {"temporal_decay": {"uniform": [0, 0.9]}}}},
                    {"prefix": "p", "replicates": 2, "params": {"cross_system_coupling": 0.5},
                     "points": [{"field_strength": 0.31, "temporal_decay": 0.12}, {"field_strength": 0.8}]}]}
        """#

    static func definition() throws -> SweepDefinition { try SweepDefinition.parse(Array(definitionText.utf8)) }

    static func sweep(into path: String, workers: Int, shard: Shard? = nil) throws {
        try Fixtures.computeSweep(try definition(), into: path, workers: workers, shard: shard)
    }

    @Test func sampledDataset_IsIdentical_ForWorkersAndShards() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.sweep(into: root + "/two", workers: 2)
        try Self.sweep(into: root + "/one", workers: 1)
        for index in 0..<3 { try Self.sweep(into: root + "/shard\(index)", workers: 2, shard: Shard("\(index)/3")) }
        try DatasetMerge.merge(
            (0..<3).map { SweepFolder(path: root + "/shard\($0)") }, into: SweepFolder(path: root + "/merged"))
        let reference = try DatasetTests.files(root + "/two")
        #expect(reference["theta_x.npz"] != nil)
        #expect(reference.count == Dataset.files(try Self.definition()).count + 1 + 4 + 10 + 4 + 4)
        #expect(try DatasetTests.files(root + "/one") == reference)
        #expect(try DatasetTests.files(root + "/merged") == reference)
    }

    @Test func featuresSplit_IsByPoint_AndItsCountsAreInTheManifest() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.sweep(into: root, workers: 2)
        let definition = try Self.definition()
        let lines = try String(contentsOfFile: root + "/features.csv", encoding: .utf8).split(separator: "\n")
        #expect(lines[0].hasPrefix("run_id,point,split,label,"))
        var splitOfPoint: [String: String] = [:]
        for (line, run) in zip(lines.dropFirst(), definition.runs) {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            #expect(fields[0] == run.id && fields[1] == String(run.point))
            #expect(fields[2] == DatasetSplit(point: run.point, sweepSeed: definition.seed).rawValue)
            #expect(splitOfPoint.updateValue(fields[2], forKey: fields[1]).map { $0 == fields[2] } ?? true)
        }
        let manifest = try JSONParser.parse(try Data(contentsOf: URL(fileURLWithPath: root + "/manifest.json")))
        let counts = DatasetSplit.counts(definition)
        #expect(
            manifest["counts"]?["by_split"]
                == .object(zip(DatasetSplit.allCases, counts).map { JSON.Member($0.rawValue, .int($1)) }))
        #expect(counts.reduce(0, +) == definition.runs.count)
        let columns = try #require(manifest["columns"]?["theta_x.npz"]?.elements)
        #expect(
            columns.compactMap { $0["name"]?.stringValue } == [
                "run_id", "theta", "theta_names", "x", "x_names", "split",
            ])
        #expect(
            columns.compactMap { $0["role"]?.stringValue } == [
                "identifier", "truth", "identifier", "feature", "identifier", "identifier",
            ])
    }

    @Test func splits_AreAbout80_10_10_AndReplicatesNeverStraddle() throws {
        let definition = try SweepDefinition.parse(
            Array(
                #"""
                {"seed": 5, "defaults": {"grid_size": 3, "generations": 1}, "groups": [{"prefix": "a", "replicates": 3,
                 "sample": {"count": 10000, "method": "random", "params": {"field_strength": {"uniform": [0, 1]}}}}]}
                """#.utf8))
        let counts = DatasetSplit.counts(definition)
        #expect(
            abs(counts[0] - 24_000) < 600 && abs(counts[1] - 3_000) < 300 && abs(counts[2] - 3_000) < 300, "\(counts)")
        for start in stride(from: 0, to: 300, by: 3) {
            let splits = Set(definition.runs[start..<start + 3].map { DatasetSplit($0, sweepSeed: definition.seed) })
            #expect(splits.count == 1)
        }
        // Another seed splits the points anew.
        let other = (0..<1000).map { DatasetSplit(point: $0, sweepSeed: 6) }
        #expect(other != (0..<1000).map { DatasetSplit(point: $0, sweepSeed: 5) })
    }

    @Test func theta_HoldsTheParametersWhoseEffectiveTruthVaries() throws {
        #expect(
            Theta(try SweepDefinitionTests.seedSweep()).names
                == ["crystal_count", "field_strength", "temporal_decay", "similarity_threshold"])
        let theta = Theta(try Self.definition())
        #expect(
            theta.names == [
                "initial_density", "rule", "crystal_count", "field_strength", "temporal_decay", "influence_exponent",
                "cross_system_coupling",
            ])
        #expect(theta.levels[.rule] == ["B3/S23", "B36/S23"])
        let definition = try Self.definition()
        let control = theta.values(definition.runs[0].configuration)
        #expect(control[2] == 0 && control[3] == 0 && control[4].isNaN && control[1] == 0)
        let listed = theta.values(definition.runs[definition.runs.count - 4].configuration)
        #expect(listed[3] == 0.31 && listed[4] == 0.12 && listed[6] == 0.5)
        // A parameter fixed for every run, or set only where it cannot act, is not in theta.
        let fixed = try SweepDefinition.parse(
            Array(#"{"groups": [{"prefix": "c", "mode": "morphic", "params": {"field_strength": 0}, "grid": {"temporal_decay": [0.1, 0.2]}}]}"#.utf8))
        #expect(Theta(fixed).names.isEmpty)
    }

    @Test func card_DescribesTheDataset_InTheFolderAndTheArchive() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Self.sweep(into: root, workers: 2)
        let definition = try Self.definition()
        let card = try String(contentsOfFile: root + "/DATASET.md", encoding: .utf8)
        #expect(
            card.contains("`\(definition.id)`") && card.contains(RunRecord.modelVersion)
                && card.contains("docs/model.md"))
        for name in Theta(definition).names { #expect(card.contains("### \(name)\n"), "\(name)") }
        #expect(card.contains("log_uniform [0.5, 4.0], 5 points by latin_hypercube"))
        #expect(card.contains("- `p` (4 runs): points 0.31, 0.8"))
        let counts = DatasetSplit.counts(definition)
        let byMode = DatasetSplit.countsByMode(definition)
        #expect(byMode.map { $0.values.reduce(0, +) } == counts)
        #expect(byMode.reduce(0) { $0 + ($1[.classical] ?? 0) } == 4)
        for (split, modes) in zip(DatasetSplit.allCases, byMode) {
            let row = "| \(split.rawValue) | \(modes[.classical] ?? 0) | \(modes[.morphic] ?? 0) |"
            #expect(card.contains(row), "\(row)")
        }
        #expect(card.contains("| mode classical | 4 |"))
        for column in DatasetColumn.features {
            #expect(card.contains("| `\(column.name)` | \(column.role.rawValue) | `\(column.dtype)` |"))
        }
        #expect(!card.contains("` |  |\n"), "every column has a meaning")
        #expect(card.contains("| controls_zero_influence | 4 | 0 with influence | true |"))
        #expect(card.contains("LICENSE") && card.contains("CITATION.cff"))
        #expect(card.contains(#"np.load("theta_x.npz", allow_pickle=False)"#) && card.contains("pd.read_csv"))
        // Only what the field uses is idle in a classical run; the rule acts in every run.
        #expect(card.contains("- `control` (4 runs): fixed B3/S23 (model default)\n"))
        #expect(card.contains("- `control` (4 runs): fixed 0.6 (model default); classical, so no field acts\n"))
        #expect(!card.contains("B3/S23 (model default); classical"))
        // The card's loading lines run as pasted, and the rows they keep are ready for a regressor.
        let loading = try #require(card.components(separatedBy: "```python\n").last?.components(separatedBy: "```").first)
        let script = root + "/load.py"
        try (loading + """
            assert rows.any() and not np.isnan(theta[rows]).any() and np.isnan(theta).any()
            assert (features["label"][rows] == "morphic").all() and len(features) == len(theta)
            print("loaded", int(rows.sum()))

            """).write(toFile: script, atomically: true, encoding: .utf8)
        #expect(try shell("cd '\(root)' && python3 load.py 2>&1").hasPrefix("loaded "))
        let listing = try shell("tar tzf '\(root)/dataset.tar.gz'")
        #expect(listing.contains("\(definition.id)/DATASET.md\n"))
        #expect(try shell("tar xzOf '\(root)/dataset.tar.gz' \(definition.id)/DATASET.md") == card)
    }

    @Test func card_Warns_WhenASplitMissesAMode() throws {
        // The seed sweep's 20 controls are replicates of one point: all in one split.
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let definition = try SweepDefinition.parse(
            Array(
                #"""
                {"seed": 42, "defaults": {"grid_size": 8, "generations": 5},
                 "groups": [{"prefix": "control", "mode": "classical", "replicates": 6},
                            {"prefix": "m", "grid": {"field_strength": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]},
                             "replicates": 2}]}
                """#.utf8))
        let folder = SweepFolder(path: root)
        try folder.prepare(for: definition)
        _ = try SweepRunner(definition: definition, folder: folder, workers: 2).run()
        try Dataset.assemble(definition, in: folder)
        let card = try String(contentsOfFile: root + "/DATASET.md", encoding: .utf8)
        let byMode = DatasetSplit.countsByMode(definition)
        let missing = zip(DatasetSplit.allCases, byMode).filter { $0.1[.classical] == nil }.map(\.0)
        #expect(missing.count == 2)
        for split in DatasetSplit.allCases {
            #expect(card.contains("**The \(split.rawValue) split has no classical runs.**") == missing.contains(split))
        }
    }
}
