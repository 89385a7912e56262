import Foundation
import MorphicData
import TestSupport
import Testing

@Suite struct FeaturesTests {
    func features(_ population: [Double], convergence: Int? = nil) -> [String: Double] {
        let flat = [Double](repeating: 1, count: population.count)
        let values = Features(observable: [population, flat, flat, flat], convergenceGeneration: convergence).values
        return Dictionary(uniqueKeysWithValues: zip(Features.names, values))
    }

    @Test func basicStatistics_AreRight() {
        let line = features((0..<50).map { 3 + 2 * Double($0) })
        #expect(abs(line["population_trend"]! - 2) < 1e-12)
        #expect(line["population_final"] == 101)
        #expect(line["population_mean"] == 52)
        #expect(line["population_recurrence"] == 0)
        #expect(line["converged"] == 0 && line["convergence_time"] == 50)
        let flat = features([Double](repeating: 7, count: 40), convergence: 0)
        #expect(flat["population_std"] == 0 && flat["population_acf1"] == 0 && flat["population_spectral_entropy"] == 0)
        #expect(flat["converged"] == 1 && flat["convergence_time"] == 0)
        #expect(abs(flat["population_recurrence"]! - 39.0 / 40) < 1e-12)
    }

    @Test func spectralEntropy_SeparatesToneFromNoise() {
        let tone = features((0..<256).map { sin(2 * Double.pi * 8 * Double($0) / 256) })
        var generator = SystemRandomNumberGenerator()
        let noise = features((0..<256).map { _ in Double.random(in: -1...1, using: &generator) })
        #expect(tone["population_spectral_entropy"]! < 0.1)
        #expect(noise["population_spectral_entropy"]! > 0.8)
        #expect(tone["population_acf1"]! > 0.9)
    }

    @Test func hiddenSeries_DoNotChangeAnyFeature() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try DatasetTests.sweep(into: root, workers: 2)
        let before = try Data(contentsOf: URL(fileURLWithPath: root + "/features.csv"))
        // Replace every hidden series and the crystals of a morphic run with other values.
        let definition = try DatasetTests.definition()
        var records = try runRecords(root)
        let record = try JSONParser.parse(try #require(records["morphic_1.json"]))
        guard case .object(var members) = record, let index = members.firstIndex(where: { $0.key == "timeseries" }),
            case .object(var series) = members[index].value
        else { throw FileError.invalid("unexpected record") }
        for (position, member) in series.enumerated()
        where ["morphic_influence_rate", "override_rate", "resonance_events", "crystal_count"].contains(member.key) {
            series[position] = JSON.Member(member.key, .array(member.value.elements!.map { _ in .number("0.5") }))
        }
        members[index] = JSON.Member("timeseries", .object(series))
        members[members.firstIndex { $0.key == "crystals" }!] = JSON.Member("crystals", .array([]))
        records["morphic_1.json"] = JSON.object(members).prettyBytes
        // Packed again as if the sweep had written it, so the dataset takes it.
        try FileManager.default.removeItem(atPath: root + "/" + RecordStore.folderName)
        let store = RecordStore(SweepFolder(path: root))
        for (index, run) in definition.runs.enumerated() { try store.write(records[run.fileName]!, run: index) }
        try Dataset.assemble(definition, in: SweepFolder(path: root))
        #expect(try Data(contentsOf: URL(fileURLWithPath: root + "/features.csv")) == before)
        #expect(
            !Features.names.contains {
                $0.contains("influence") || $0.contains("override") || $0.contains("resonance")
                    || $0.contains("crystal")
            })
    }
}
