import Foundation
import MorphicData

/// Files the tests read, found next to this source file.
enum Fixtures {
    static let testsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
    static let packageFolder = testsFolder.deletingLastPathComponent().deletingLastPathComponent()

    static func bytes(_ relativePath: String) throws -> [UInt8] {
        Array(try Data(contentsOf: testsFolder.appendingPathComponent(relativePath)))
    }

    /// Computes `definition` into the folder at `path` as `morphic sweep` does: a shard keeps
    /// its records packed and assembles no dataset.
    static func computeSweep(_ definition: SweepDefinition, into path: String, workers: Int, shard: Shard? = nil) throws {
        let folder = SweepFolder(path: path)
        try folder.prepare(for: definition, shard: shard)
        _ = try SweepRunner(definition: definition, folder: folder, workers: workers, shard: shard).run()
        if shard == nil { try Dataset.assemble(definition, in: folder, writesIndex: true) }
    }
}
