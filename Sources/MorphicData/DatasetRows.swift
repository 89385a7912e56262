import Foundation
import MorphicCore

/// The rows a consecutive range of runs adds to each dataset file, made from their records
/// on any thread (``Dataset`` writes them in order): every record is read (whole, as its
/// pack frame's checksum says), checked against its definition, and turned into CSV lines,
/// npz elements and its manifest entry with its sha256.
struct DatasetRows: Sendable {
    /// What every range needs to know.
    struct Context: Sendable {
        let definition: SweepDefinition
        let packs: RecordStore.SharedPacks
        /// Failed runs' messages, by index.
        let failures: [Int: String]
        let idWidth: Int
        let generations: Int
        let theta: Theta
    }

    var runs: [UInt8] = []
    var timeseries: [UInt8] = []
    var features: [UInt8] = []
    var manifest: [UInt8] = []
    /// The runs' records as archive entries.
    var archive: [UInt8] = []
    var arrays = TimeseriesArrays.Rows()
    var thetaX = ThetaXArrays.Rows()
    var checks = ValidationChecks()
    /// Each run's summary statistics in ``RunQuery/statistics`` order, nil for a failed run:
    /// the rows of the server's ``RunIndexFile``.
    var statistics: [[Double]?] = []

    /// The rows of runs `range`.
    init(_ context: Context, runs range: Range<Int>) throws {
        let definition = context.definition
        var cursor = RecordStore.Cursor(context.packs)
        var columns = SeriesColumns()
        for index in range {
            let run = definition.runs[index]
            let entry: JSON
            if let failure = context.failures[index] {
                entry = .object(["run_id": .string(run.id), "status": .string("failed"), "error": .string(failure)])
                statistics.append(nil)
            } else {
                let bytes = try Dataset.recordBytes(run, index: index, in: &cursor)
                let digest = SHA256.hex(bytes)
                let record: JSON
                // Each number is read once, for the arrays and the features alike.
                let numbers: [[Double]]
                let values: [Double]
                if let parsed = JSONParser.parse(bytes, columnsOf: "timeseries", into: &columns) {
                    record = try Dataset.checked(parsed, of: run, path: Dataset.place(of: run, index: index, in: &cursor))
                    let series = Series.names.map { columns.elements(of: $0) }
                    guard series.allSatisfy({ $0.count == series[0].count }) else {
                        throw FileError.invalid("run \(run.id): series of different lengths")
                    }
                    columns.appendRows(series, runID: run.id, record: bytes, to: &timeseries)
                    numbers = series.map { Array(columns.values[$0]) }
                    // A null is left out of its series, as ``Dataset/featureValues(_:numbers:convergenceGeneration:)`` does.
                    let observable = Dataset.observableColumns.map { column in
                        series[column].filter(columns.isNumber).map { columns.values[$0] }
                    }
                    values = Features(
                        observable: observable,
                        convergenceGeneration: record["summary_stats"]?["convergence_generation"]?.intValue
                    ).values
                } else {
                    // A series holding more than numbers and nulls: the record read whole.
                    record = try Dataset.record(bytes, of: run, path: Dataset.place(of: run, index: index, in: &cursor))
                    let series = try Dataset.series(record, runID: run.id)
                    Dataset.appendTimeseriesRows(series, runID: run.id, to: &timeseries)
                    numbers = series.map { $0.map { $0.doubleValue ?? .nan } }
                    values = Dataset.featureValues(
                        series, numbers: numbers,
                        convergenceGeneration: record["summary_stats"]?["convergence_generation"]?.intValue)
                }
                let config = record["config"]!
                let summary = record["summary_stats"]!
                runs += Array(
                    Dataset.csvLine(
                        [run.id, run.configuration.mode.rawValue]
                            + DatasetColumn.runParameters.map { Dataset.csvValue(config[$0.rawValue]) }
                            + RunRecord.statisticNames.map { Dataset.csvValue(summary[$0]) }
                    ).utf8)
                arrays.add(runID: run.id, values: numbers, idWidth: context.idWidth, generations: context.generations)
                let split = DatasetSplit(run, sweepSeed: definition.seed)
                features += Array(Dataset.featuresLine(values, run: run, sweepSeed: definition.seed).utf8)
                thetaX.add(
                    runID: run.id, idWidth: context.idWidth, theta: context.theta.values(run.configuration), x: values,
                    split: split)
                archive += try TarWriter.fileEntry(folder: definition.id, name: run.fileName, bytes: bytes)
                checks.add(mode: run.configuration.mode, config: config, summary: summary)
                statistics.append(RunQuery.statistics.map { summary[$0]?.doubleValue ?? .nan })
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
