import Foundation
import MorphicCore

/// The rows a consecutive range of runs adds to each dataset file, made from their records
/// on any thread (``Dataset`` writes them in order): every record is read, checked against
/// its journaled digest and its definition, and turned into CSV lines, npz elements and its
/// manifest entry.
struct DatasetRows: Sendable {
    /// What every range needs to know.
    struct Context: Sendable {
        let definition: SweepDefinition
        let folder: SweepFolder
        let checksums: ChecksumTable
        /// Failed runs' messages, by index.
        let failures: [Int: String]
        let idWidth: Int
        let generations: Int
    }

    var runs: [UInt8] = []
    var timeseries: [UInt8] = []
    var features: [UInt8] = []
    var manifest: [UInt8] = []
    var arrays = TimeseriesArrays.Rows()
    var checks = ValidationChecks()

    /// The rows of runs `range`.
    init(_ context: Context, runs range: Range<Int>) throws {
        let definition = context.definition
        let folder = context.folder
        for index in range {
            let run = definition.runs[index]
            let entry: JSON
            if let failure = context.failures[index] {
                entry = .object(["run_id": .string(run.id), "status": .string("failed"), "error": .string(failure)])
            } else {
                let bytes = try Dataset.recordBytes(run, in: folder)
                let digest = SHA256.hex(bytes)
                guard context.checksums.matches(index, digest: digest) else {
                    throw FileError.invalid(
                        "\(folder.runPath(run.id)) does not match the digest journaled when it was written (\(ChecksumJournal.folderName)/); run the sweep again to compute it anew"
                    )
                }
                let record = try Dataset.record(bytes, of: run, path: folder.runPath(run.id))
                let config = record["config"]!
                let summary = record["summary_stats"]!
                runs += Array(
                    Dataset.csvLine(
                        [run.id, run.configuration.mode.rawValue]
                            + DatasetColumn.runParameters.map { Dataset.csvValue(config[$0.rawValue]) }
                            + RunRecord.statisticNames.map { Dataset.csvValue(summary[$0]) }
                    ).utf8)
                let series = try Dataset.series(record, runID: run.id)
                timeseries += Dataset.timeseriesRows(series, runID: run.id)
                arrays.add(
                    runID: run.id, values: series.map { $0.map { $0.doubleValue ?? .nan } }, idWidth: context.idWidth,
                    generations: context.generations)
                features += Array(try Dataset.featuresLine(record, run: run).utf8)
                checks.add(mode: run.configuration.mode, config: config, summary: summary)
                entry = .object([
                    "run_id": .string(run.id), "file": .string(run.fileName), "sha256": .string(digest),
                    "bytes": .int(bytes.count),
                ])
            }
            manifest += Array("    ".utf8) + entry.compactBytes
                + Array((index + 1 < definition.runs.count ? ",\n" : "\n").utf8)
        }
    }
}
