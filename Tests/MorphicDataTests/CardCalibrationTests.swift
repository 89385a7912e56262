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
                      "params": {"field_strength": {"uniform": [0.05, 1]}}}}]}
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
        #expect(trained.model.calibration == model.calibration)
        let card = try String(contentsOfFile: root + "/" + DatasetCard.fileName, encoding: .utf8)
        #expect(card.contains(DatasetCard.calibrationSection(.measured(model.calibration), id: definition.id)))
        let figures = try #require(model.calibration.parameters.first)
        #expect(
            card.contains(
                "| field_strength | \(figures.testRuns) | " + figures.coverage.map(PosteriorJSON.figure).joined(separator: " | ")))
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
        #expect(DatasetCard.calibrationSection(skipped, id: definition.id).contains("Not measured while the dataset was assembled"))
    }
}
