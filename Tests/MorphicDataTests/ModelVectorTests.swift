import Foundation
import MorphicCore
import MorphicData
import Testing

/// Every run in ModelVectors (copied from the model's shared vectors) reproduced exactly:
/// integer series exactly, floating series within 1e-12, seed, convergence and crystals.
@Suite struct ModelVectorTests {
    static let files = ["classical-control_1.json", "morphic-seed-sweep-morphic_1.json", "morphic-torus-jaccard.json"]

    @Test(arguments: files)
    func vector_IsReproduced(_ file: String) throws {
        let vector = try JSONParser.parse(try Fixtures.bytes("ModelVectors/" + file))
        let config = try #require(vector["config"]?.members)
        let expected = try #require(vector["expected"])

        var configuration = RunConfiguration()
        var runID = ""
        var sweepSeed: UInt64 = 0
        for member in config {
            switch (member.key, member.value) {
            case ("run_id", .string(let id)): runID = id
            case ("sweep_seed", .number(let seed)): sweepSeed = try #require(UInt64(seed))
            case (let key, .number(let text)):
                try configuration.set(try #require(ParameterKey(rawValue: key)), .number(text))
            case (let key, .string(let text)):
                try configuration.set(try #require(ParameterKey(rawValue: key)), .text(text))
            default: Issue.record("unexpected config member \(member.key)")
            }
        }
        var simulation = try Simulation(configuration: configuration, runID: runID, sweepSeed: sweepSeed)
        simulation.runToEnd()
        // The record's file is written straight to bytes: the same bytes as its JSON value's.
        let bytes = RunRecord.prettyBytes(runID: runID, result: simulation.result)
        #expect(bytes == RunRecord.json(runID: runID, result: simulation.result).prettyBytes)
        try Self.expect(try JSONParser.parse(bytes), toMatch: expected, file)
    }

    /// Expects `record` to be the run a vector's `expected` describes.
    static func expect(_ record: JSON, toMatch expected: JSON, _ file: String) throws {
        #expect(record["config"]?["seed"] == expected["seed"])
        #expect(record["metadata"]?["initial_population"] == expected["initial_population"])
        #expect(record["summary_stats"]?["convergence_generation"] == expected["convergence_generation"])
        let series = try #require(expected["timeseries"]?.members)
        #expect(series.map(\.key) == Series.names)
        for member in series {
            let produced = try #require(record["timeseries"]?[member.key]?.elements)
            let wanted = try #require(member.value.elements)
            #expect(produced.count == wanted.count, "\(member.key)")
            if let first = produced.indices.first(where: {
                $0 < wanted.count && !Self.matches(produced[$0], wanted[$0])
            }) {
                Issue.record(
                    "\(file): \(member.key) differs first at generation \(first): \(produced[first]) vs \(wanted[first])"
                )
            }
        }
        let crystals = try #require(record["crystals"]?.elements)
        let wantedCrystals = try #require(expected["crystals"]?.elements)
        #expect(crystals.count == wantedCrystals.count)
        for (produced, wanted) in zip(crystals, wantedCrystals) {
            for member in try #require(wanted.members) {
                let key = member.key == "form" ? "form_bits" : member.key
                #expect(Self.matches(try #require(produced[key]), member.value), "\(file) crystal \(member.key)")
            }
        }
    }

    /// Integers and null exactly; other numbers within 1e-12.
    static func matches(_ produced: JSON, _ wanted: JSON) -> Bool {
        if case .number(let a) = produced, case .number(let b) = wanted, let x = Double(a), let y = Double(b),
            a.contains(".") || b.contains(".") || a.contains("e") || b.contains("e")
        {
            return abs(x - y) <= 1e-12
        }
        return produced == wanted
    }
}
