import Foundation
import MorphicCore
import MorphicData
import TestSupport
import Testing

/// Frames are the run's states, computed again: they must be exactly what the sweep
/// computed, and their masks what its series counted.
@Suite struct RunFramesTests {
    static let llm = RuleTable { $0 % 5 == 0 }
    static let text = #"""
        {"seed": 11, "defaults": {"grid_size": 12, "generations": 30, "similarity_threshold": 0.4},
         "groups": [{"prefix": "dead", "params": {"field_strength": 1}},
                    {"prefix": "torus", "params": {"boundary": "torus", "field_strength": 0.8}},
                    {"prefix": "llm", "mode": "llm_control", "params": {"field_strength": 0.5}},
                    {"prefix": "coupled", "replicates": 3, "params": {"cross_system_coupling": 0.7, "field_strength": 1}}]}
        """#

    @Test func frames_AreTheStatesOfAReRun_AndMasksMatchTheSeries() throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let definition = try SweepDefinition.parse(Array(Self.text.utf8))
        let folder = SweepFolder(path: root)
        try folder.prepare(for: definition)
        let table = Self.llm
        _ = try SweepRunner(definition: definition, folder: folder, workers: 2, llmTable: { table }).run()
        let records = try runRecords(root)
        var fieldActed = Set<String>()
        for group in definition.couplingGroups {
            // The reference: the group stepped afresh, states kept at the first, a middle
            // and the last generation.
            var ensemble = Ensemble(
                try group.map {
                    try Simulation(
                        configuration: $0.configuration, runID: $0.id, sweepSeed: definition.seed,
                        llmTable: $0.configuration.mode == .llmControl ? Self.llm : nil)
                })
            var expected: [[[UInt8]]] = Array(repeating: [], count: group.count)
            for generation in 0...30 {
                if [0, 15, 30].contains(generation) {
                    for (index, member) in ensemble.members.enumerated() { expected[index].append(member.state) }
                }
                if generation < 30 { ensemble.step() }
            }
            for (member, run) in group.enumerated() {
                let sampled = try RunFrames(
                    group: group, member: member, sweepSeed: definition.seed, llmTable: Self.llm, from: 0, to: 30,
                    every: 15)
                #expect(sampled.frames.map(\.generation) == [0, 15, 30])
                #expect(sampled.frames.map(\.state) == expected[member], "\(run.id)")
                // Every generation's masks against the recorded series.
                let record = try JSONParser.parse(try #require(records[run.fileName]))
                let influence = try #require(record["timeseries"]?["morphic_influence_rate"]?.elements)
                let overrides = try #require(record["timeseries"]?["override_rate"]?.elements)
                let all = try RunFrames(
                    group: group, member: member, sweepSeed: definition.seed, llmTable: Self.llm, from: 0, to: 30,
                    every: 1)
                #expect(all.frames[0].taken.allSatisfy { $0 == 0 } && all.frames[0].overridden.allSatisfy { $0 == 0 })
                for frame in all.frames.dropFirst() {
                    let taken = frame.taken.reduce(0) { $0 + Int($1) }
                    let overridden = frame.overridden.reduce(0) { $0 + Int($1) }
                    #expect(
                        Double(taken + overridden) / 144 == influence[frame.generation - 1].doubleValue,
                        "\(run.id) generation \(frame.generation)")
                    #expect(Double(overridden) / 144 == overrides[frame.generation - 1].doubleValue)
                    #expect(!zip(frame.taken, frame.overridden).contains { $0 == 1 && $1 == 1 })
                    if overridden > 0 { fieldActed.insert(run.id) }
                }
                #expect(all.frames[15].state == expected[member][1])
            }
        }
        #expect(fieldActed.isSuperset(of: ["dead_1", "torus_1", "llm_1"]), "the masks were exercised: \(fieldActed)")
        #expect(fieldActed.contains { $0.hasPrefix("coupled_") })
    }

    @Test func encoded_FollowsTheDocumentedLayout() throws {
        var configuration = RunConfiguration()
        configuration.gridSize = 10
        configuration.generations = 6
        configuration.seed = 3
        configuration.similarityThreshold = 0.3
        let frames = try RunFrames(configuration: configuration, llmTable: nil, from: 2, to: 6, every: 2)
        let bytes = frames.encoded
        #expect(Array(bytes[0..<8]) == Array("MLFR".utf8) + [1, 0, 0, 0])
        let word = { (offset: Int) in (0..<4).reduce(0) { $0 | Int(bytes[offset + $1]) << (8 * $1) } }
        #expect(word(8) == 10 && word(12) == 3)
        let bitmap = 13  // ⌈100 / 8⌉
        #expect(bytes.count == 16 + 3 * (4 + 3 * bitmap))
        for (index, frame) in frames.frames.enumerated() {
            let start = 16 + index * (4 + 3 * bitmap)
            #expect(word(start) == 2 + 2 * index)
            let state = (0..<100).map { cell in bytes[start + 4 + cell / 8] >> (7 - UInt8(cell % 8)) & 1 }
            #expect(state == frame.state)
        }
    }
}
