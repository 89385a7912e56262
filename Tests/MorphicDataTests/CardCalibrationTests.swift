import Foundation
import MorphicInference
import TestSupport
import Testing

@testable import MorphicData

/// The card's calibration: measured at assembly as `morphic calibrate` measures the finished
/// folder, and left out, saying why, for a sweep over the card's limit.
@Suite struct CardCalibrationTests {
    static let definitionText = #"""
        {"name": "card", "seed": 4, "defaults": {"generations": 6, "grid_size": 8},
         "groups": [{"prefix": "m", "mode": "morphic", "sample": {"count": 300, "method": "latin_hypercube",
                      "params": {"field_strength": {"uniform": [0.05, 1]}, "crystal_count": {"integer": [1, 10]}}}}]}
        """#

    @Test func card_ReportsTheCalibrationOfTheFinishedFolder_OrSaysWhyItWasSkipped() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let definition = try SweepDefinition.parse(Array(Self.definitionText.utf8))
        let folder = SweepFolder(path: root)
        try folder.prepare(for: definition, shard: nil)
        _ = try SweepRunner(definition: definition, folder: folder, workers: 2, shard: nil).run()
        let trained = try #require(try Dataset.assemble(definition, in: folder))

        // The figures of the card are those of the folder read back as a reference.
        let reference = try ReferenceSweep(path: root)
        let model = try PosteriorModel(reference.table)
        // Grid size and length are known from an observation, never inferred; an observation
        // of another grid size or length is refused, naming both.
        #expect(reference.table.parameterNames == ["crystal_count", "field_strength"])
        // A whole-number parameter is drawn on its own support.
        #expect(reference.table.integerParameters == [true, false])
        let posterior = try model.posterior(reference.table.x[0])
        #expect(posterior.parameters[0].draws.allSatisfy { $0 == $0.rounded() && (1...10).contains($0) })
        #expect(posterior.parameters[1].draws.contains { $0 != $0.rounded() })
        for (gridSize, generations, field) in [(16, 6, "grid_size"), (8, 7, "generations"), (nil, 12, "generations")] {
            #expect {
                try reference.check(gridSize: gridSize, generations: generations, run: "m_1")
            } throws: { error in
                let error = error as! InferenceError
                return error.field == field && error.message.contains("\(generations) generations")
                    && error.message.contains("the reference \(definition.id) is 8×8 with 6 generations")
            }
        }
        try reference.check(gridSize: 8, generations: 6, run: "m_1")
        try reference.check(gridSize: nil, generations: 6, run: "observed")
        #expect(trained.model.calibration == model.calibration)
        let card = try String(contentsOfFile: root + "/" + DatasetCard.fileName, encoding: .utf8)
        #expect(card.contains(DatasetCard.calibrationSection(.measured(model.calibration), id: definition.id)))
        let figures = try #require(model.calibration.parameters.first { $0.name == "field_strength" })
        #expect(
            card.contains(
                "| field_strength | \(figures.testRuns) | "
                    + figures.coverage.map(PosteriorJSON.figure).joined(separator: " | ")))
        #expect(try trained.model.posterior(reference.table.x[0]) == model.posterior(reference.table.x[0]))

        // Over the card's limit: nothing is trained, and the card says so and why.
        var limits = InferenceLimits()
        limits.cardMaximumRuns = 299
        let (skipped, none) = try CardCalibration.measure(
            definition, featuresPath: root + "/features.csv", limits: limits)
        #expect(none == nil)
        guard case .skipped(let reason) = skipped else {
            Issue.record("not skipped: \(skipped)")
            return
        }
        #expect(reason.contains("300 runs, more than the 299"))
        #expect(
            DatasetCard.calibrationSection(skipped, id: definition.id).contains(
                "Not measured while the dataset was assembled"))
    }

    /// A classical group's field parameters change none of its runs, whether the group fixes,
    /// samples, grids or lists them: the card marks every one.
    @Test func card_MarksAClassicalGroupsFieldParameters_FixedOrVaried() throws {
        let definition = try SweepDefinition.parse(
            Array(
                #"""
                {"name": "marks", "seed": 3, "defaults": {"generations": 6, "grid_size": 8},
                 "groups": [{"prefix": "m", "mode": "morphic", "grid": {"field_strength": [0.2, 0.6], "crystal_count": [2, 4]}},
                            {"prefix": "cs", "mode": "classical", "sample": {"count": 2, "method": "random",
                              "params": {"field_strength": {"uniform": [0, 1]}, "crystal_count": {"integer": [1, 5]}}}},
                            {"prefix": "cg", "mode": "classical", "grid": {"field_strength": [0.1, 0.9]}},
                            {"prefix": "cp", "mode": "classical", "points": [{"crystal_count": 3}, {"crystal_count": 5}]},
                            {"prefix": "cf", "mode": "classical", "params": {"field_strength": 0.4}},
                            {"prefix": "r", "mode": "classical", "grid": {"initial_density": [0.3, 0.5]}}]}
                """#.utf8))
        let card = DatasetCard.text(
            definition, theta: Theta(definition), counts: .object([]), validation: .object([]), tables: [],
            calibration: .skipped("not measured here"))
        let sections = Dictionary(
            uniqueKeysWithValues: card.components(separatedBy: "\n### ").dropFirst().map { section in
                let lines = section.split(separator: "\n")
                return (String(lines[0]), lines.filter { $0.hasPrefix("- `") })
            })
        for name in ["field_strength", "crystal_count"] {
            let lines = try #require(sections[name])
            for prefix in ["cs", "cg", "cp", "cf", "r"] {
                let line = try #require(lines.first { $0.hasPrefix("- `\(prefix)`") })
                #expect(line.hasSuffix("; classical, so no field acts"), "\(line)")
            }
            #expect(lines.filter { $0.hasPrefix("- `m`") }.allSatisfy { !$0.contains("classical") })
        }
        // What a classical run does use is not marked.
        let density = try #require(sections["initial_density"])
        #expect(density.contains { $0.hasPrefix("- `r`") && $0.hasSuffix("grid 0.3, 0.5") })
        #expect(!density.contains { $0.contains("classical") })
    }

    /// A reference has one grid size and one length: one that mixes them is refused, before
    /// anything is read, rather than inferring what an observation already says.
    @Test func reference_ThatMixesGridSizesOrLengths_IsRefused() throws {
        for grid in [#""grid_size": [8, 12]"#, #""generations": [6, 9]"#] {
            let definition = try SweepDefinition.parse(
                Array(
                    #"""
                    {"name": "mixed", "seed": 4, "defaults": {"generations": 6, "grid_size": 8},
                     "groups": [{"prefix": "m", "mode": "morphic", "replicates": 40,
                                 "grid": {"field_strength": [0.2, 0.5, 0.8], \#(grid)}}]}
                    """#.utf8))
            #expect(throws: InferenceError.self) { try ReferenceSweep.shape(definition) }
            let (calibration, trained) = try CardCalibration.measure(
                definition, featuresPath: "/nonexistent/features.csv")
            #expect(trained == nil)
            guard case .notReference(let reason) = calibration else {
                Issue.record("\(calibration)")
                continue
            }
            #expect(reason.hasPrefix("a reference has one grid size and one length; this one has grid sizes "))
            #expect(
                reason.contains(
                    grid.contains("grid_size") ? "grid sizes 8, 12 and lengths 6" : "grid sizes 8 and lengths 6, 9"))
        }
    }
}
