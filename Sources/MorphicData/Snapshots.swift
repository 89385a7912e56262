import Foundation
import MorphicCore

/// `frames.npz`: grid snapshots of every finished run, for a definition that asks for them
/// (`"snapshots": {"every": N}`).
///
/// Runs are pure functions of their configurations, so the states are computed again here
/// (a coupled group together, an `llm_control` run with the table its record holds) rather
/// than kept while the sweep ran. The archive holds `every` (int64) and, per run, an array
/// named by its run id: uint8, shaped [snapshots, grid_size, ⌈grid_size / 8⌉], the states
/// S_0, S_N, S_2N, … up to the last generation, each row packed most significant bit
/// first (`np.unpackbits(frames, axis=-1)[..., :grid_size]` gives 0/1 cells).
enum Snapshots {
    /// The archive's name.
    static let fileName = "frames.npz"

    /// Writes the archive for the runs of `definition` that finished (with a record in
    /// `records`).
    static func write(_ definition: SweepDefinition, every: Int, records: RecordStore, finished: (Int) -> Bool) throws {
        let archive = try ZipWriter(path: records.folder.path + "/" + fileName)
        var cursor = RecordStore.Cursor(records)
        let header = try archive.begin("every.npy")
        var scalar = NumpyArray.header(.int64, shape: [])
        scalar.le64(every)
        try header.write(scalar)
        try archive.end(header)
        for number in 0..<definition.runs.groupCount {
            let indices = definition.runs.runs(ofGroup: number)
            guard indices.allSatisfy(finished) else { continue }
            let group = indices.map { definition.runs[$0] }
            // An llm_control run is a group of its own; its record holds the table it used.
            let table = try group.first { $0.configuration.mode == .llmControl }.map { run in
                let bytes = try Dataset.recordBytes(run, index: indices.lowerBound, in: &cursor)
                guard let table = RunRecord.ruleTable(inRecord: bytes) else {
                    throw FileError.invalid("the record of \(run.id) holds no llm_table")
                }
                return table
            }
            var ensemble = Ensemble(try Simulation.group(group, sweepSeed: definition.seed, llmTable: table))
            let generations = group[0].configuration.generations
            let members = try group.map { run in
                let member = try archive.begin(run.id + ".npy")
                let n = run.configuration.gridSize
                try member.write(NumpyArray.header(.uint8, shape: [generations / every + 1, n, (n + 7) / 8]))
                return member
            }
            var generation = 0
            while true {
                if generation % every == 0 {
                    for (member, simulation) in zip(members, ensemble.members) {
                        try member.write(packed(simulation.state, size: simulation.configuration.gridSize))
                    }
                }
                guard generation < generations else { break }
                ensemble.step()
                generation += 1
            }
            for member in members { try archive.end(member) }
        }
        try archive.finish()
    }

    /// Rows of 0/1 cells packed eight to a byte, most significant bit first, each row padded
    /// to whole bytes.
    static func packed(_ cells: [UInt8], size n: Int) -> [UInt8] {
        let rowBytes = (n + 7) / 8
        var out = [UInt8](repeating: 0, count: n * rowBytes)
        for y in 0..<n {
            for x in 0..<n where cells[y * n + x] != 0 {
                out[y * rowBytes + x / 8] |= 0x80 >> UInt8(x % 8)
            }
        }
        return out
    }
}
