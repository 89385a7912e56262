import Foundation
import Gzip
import MorphicCore

/// Assembles a sweep folder's run records into the dataset of API.md ("Datasets"):
/// `manifest.json`, `runs.csv`, `timeseries.csv` and `dataset.tar.gz`.
///
/// Files are streamed run by run, so memory does not grow with the number of runs, and
/// nothing in them depends on the clock, the host or the order runs finished in.
public enum Dataset {
    /// The manifest's format tag.
    public static let format = "morphic-dataset/1"
    /// The dataset files besides the run records, in archive order.
    public static let files = ["manifest.json", "runs.csv", "timeseries.csv", "features.csv"]
    /// The archive's name.
    public static let archiveName = "dataset.tar.gz"

    /// Writes the manifest, CSVs and archive of a sweep whose runs are all finished or failed.
    public static func assemble(_ definition: SweepDefinition, in folder: SweepFolder) throws {
        var failures: [String: String] = [:]
        for run in definition.runs where !folder.hasRun(run.id) {
            guard let failure = folder.failure(run.id) else {
                throw FileError.invalid("run \(run.id) has no record in \(folder.path)")
            }
            failures[run.id] = failure
        }
        let manifest = try StreamingFile(path: folder.path + "/manifest.json")
        let runsCSV = try StreamingFile(path: folder.path + "/runs.csv")
        let timeseriesCSV = try StreamingFile(path: folder.path + "/timeseries.csv")
        let featuresCSV = try StreamingFile(path: folder.path + "/features.csv")
        try featuresCSV.write(featuresHeader)
        let parameterColumns = ParameterKey.allCases.filter { $0 != .mode && $0 != .seed } + [.seed]
        try runsCSV.write(
            csvLine(["run_id", "mode"] + parameterColumns.map(\.rawValue) + Summary.names))
        try timeseriesCSV.write(csvLine(["run_id", "generation"] + Series.names))

        try manifest.write(Array("{\n".utf8))
        let header: [JSON.Member] = [
            .init("format", .string(format)),
            .init("model_version", .string(RunRecord.modelVersion)),
            .init("sweep_id", .string(definition.id)),
            .init("name", .string(definition.name)),
            .init("seed", .int(definition.seed)),
            .init("definition", definition.normalized),
            .init("counts", counts(definition, failures: failures)),
            .init("parameters", sweptValues(definition)),
        ]
        for member in header { try manifest.write(Self.member(member)) }
        try manifest.write(Array("  \"runs\": [".utf8))

        var checks = ValidationChecks()
        for (index, run) in definition.runs.enumerated() {
            let entry: JSON
            if let failure = failures[run.id] {
                entry = .object([
                    "run_id": .string(run.id), "mode": .string(run.configuration.mode.rawValue),
                    "status": .string("failed"), "error": .string(failure),
                ])
            } else {
                guard let bytes = FileManager.default.contents(atPath: folder.runPath(run.id)) else {
                    throw FileError.invalid("cannot read \(folder.runPath(run.id))")
                }
                let record = try Self.record(Array(bytes), of: run, path: folder.runPath(run.id))
                let config = record["config"]!
                let summary = record["summary_stats"]!
                try runsCSV.write(
                    csvLine(
                        [run.id, run.configuration.mode.rawValue]
                            + parameterColumns.map { csvValue(config[$0.rawValue]) }
                            + Summary.names.map { csvValue(summary[$0]) }))
                try writeTimeseries(record, runID: run.id, to: timeseriesCSV)
                try featuresCSV.write(featuresLine(record, run: run))
                checks.add(mode: run.configuration.mode, config: config, summary: summary)
                entry = .object([
                    "run_id": .string(run.id), "mode": .string(run.configuration.mode.rawValue),
                    "status": .string("completed"), "file": .string(run.fileName),
                    "sha256": .string(SHA256.hex(bytes)), "config": config, "summary_stats": summary,
                ])
            }
            try manifest.write(Array((index == 0 ? "\n    " : ",\n    ").utf8) + entry.prettyBytes(level: 2))
        }
        try manifest.write(Array("\n  ],\n".utf8))
        try manifest.write(Array("  \"validation\": ".utf8) + checks.json.prettyBytes(level: 1) + Array("\n}\n".utf8))
        try manifest.commit()
        try runsCSV.commit()
        try timeseriesCSV.commit()
        try featuresCSV.commit()
        try writeArchive(definition, in: folder, failures: failures)
    }

    /// Reads a run record and checks it is the planned run.
    static func record(_ bytes: [UInt8], of run: PlannedRun, path: String) throws -> JSON {
        guard let record = try? JSONParser.parse(bytes), record["run_id"]?.stringValue == run.id,
            let config = record["config"], record["summary_stats"] != nil, record["timeseries"] != nil
        else { throw FileError.invalid("\(path) is not the record of run \(run.id)") }
        for key in ParameterKey.allCases where key != .seed {
            guard config[key.rawValue].map(\.parameterValue) == run.configuration.value(key) else {
                throw FileError.invalid("\(path): \(key.rawValue) differs from the sweep definition")
            }
        }
        if let seed = run.configuration.seed, config["seed"] != .int(seed) {
            throw FileError.invalid("\(path): seed differs from the sweep definition")
        }
        return record
    }

    /// A top-level manifest member, one indentation level deep, followed by a comma.
    /// `features.csv` alone, for a dataset written before it existed (`morphic features`).
    public static func writeFeatures(_ definition: SweepDefinition, in folder: SweepFolder) throws {
        let file = try StreamingFile(path: folder.path + "/features.csv")
        try file.write(featuresHeader)
        for run in definition.runs where folder.hasRun(run.id) {
            guard let bytes = FileManager.default.contents(atPath: folder.runPath(run.id)) else {
                throw FileError.invalid("cannot read \(folder.runPath(run.id))")
            }
            try file.write(featuresLine(try record(Array(bytes), of: run, path: folder.runPath(run.id)), run: run))
        }
        try file.commit()
    }

    /// run_id, label, the ground-truth parameters, then the features.
    private static var featuresHeader: String {
        csvLine(["run_id", "label"] + ParameterKey.allCases.filter { $0 != .mode }.map(\.rawValue) + Features.names)
    }

    private static func featuresLine(_ record: JSON, run: PlannedRun) throws -> String {
        let observable = Features.series.map { name in
            (record["timeseries"]?[name]?.elements ?? []).compactMap(\.doubleValue)
        }
        let features = Features(
            observable: observable, convergenceGeneration: record["summary_stats"]?["convergence_generation"]?.intValue)
        let config = record["config"]!
        return csvLine(
            [run.id, run.configuration.mode.rawValue]
                + ParameterKey.allCases.filter { $0 != .mode }.map { csvValue(config[$0.rawValue]) }
                + features.values.map { $0.isFinite ? String($0) : "" })
    }

    private static func member(_ member: JSON.Member) -> [UInt8] {
        Array("  ".utf8) + JSON.string(member.key).compactBytes + Array(": ".utf8) + member.value.prettyBytes(level: 1)
            + Array(",\n".utf8)
    }

    private static func counts(_ definition: SweepDefinition, failures: [String: String]) -> JSON {
        let modes = Mode.allCases.compactMap { mode -> JSON.Member? in
            let count = definition.runs.count { $0.configuration.mode == mode }
            return count > 0 ? JSON.Member(mode.rawValue, .int(count)) : nil
        }
        return .object([
            "runs": .int(definition.runs.count),
            "by_mode": .object(modes),
            "by_status": .object([
                "completed": .int(definition.runs.count - failures.count), "failed": .int(failures.count),
            ]),
        ])
    }

    /// Every parameter with the distinct values the runs give it, ascending; seeds left out.
    private static func sweptValues(_ definition: SweepDefinition) -> JSON {
        .object(
            ParameterKey.allCases.filter { $0 != .seed }.map { key in
                let values = Set(definition.runs.compactMap { $0.configuration.value(key) })
                let sorted = values.sorted { a, b in
                    switch (a, b) {
                    case (.number(let x), .number(let y)): Double(x)! < Double(y)!
                    case (.text(let x), .text(let y)): x < y
                    default: false
                    }
                }
                return JSON.Member(key.rawValue, .array(sorted.map(RunRecord.json)))
            })
    }

    private static func writeTimeseries(_ record: JSON, runID: String, to file: StreamingFile) throws {
        let columns = Series.names.map { record["timeseries"]?[$0]?.elements ?? [] }
        let generations = columns[0].count
        guard columns.allSatisfy({ $0.count == generations }) else {
            throw FileError.invalid("run \(runID): series of different lengths")
        }
        var out: [UInt8] = []
        out.reserveCapacity(generations * 80)
        for generation in 0..<generations {
            out += Array(runID.utf8)
            out.append(UInt8(ascii: ","))
            out += Array(String(generation).utf8)
            for column in columns {
                out.append(UInt8(ascii: ","))
                out += Array(csvValue(column[generation]).utf8)
            }
            out.append(0x0A)
        }
        try file.write(out)
    }

    private static func csvValue(_ json: JSON?) -> String {
        switch json {
        case .number(let text)?: text
        case .string(let text)?: text
        case .bool(let flag)?: flag ? "true" : "false"
        default: ""
        }
    }

    /// One CSV line (RFC 4180), quoting fields that need it.
    static func csvLine(_ fields: [String]) -> String {
        fields.map { field in
            field.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
                ? "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : field
        }.joined(separator: ",") + "\n"
    }

    /// Streams the dataset files into `dataset.tar.gz` under one folder named after the sweep.
    private static func writeArchive(_ definition: SweepDefinition, in folder: SweepFolder, failures: [String: String])
        throws
    {
        let archive = try StreamingFile(path: folder.path + "/" + archiveName)
        let gzip = try GzipWriter { try archive.write($0) }
        let tar = TarWriter { try gzip.write($0) }
        try tar.addFolder(definition.id)
        let names = files + definition.runs.filter { failures[$0.id] == nil }.map(\.fileName)
        for name in names {
            let path = folder.path + "/" + name
            guard let handle = FileHandle(forReadingAtPath: path) else {
                throw FileError.invalid("cannot read \(path)")
            }
            defer { try? handle.close() }
            let size = Int(try handle.seekToEnd())
            try handle.seek(toOffset: 0)
            try tar.addFile(folder: definition.id, name: name, size: size) { write in
                while let chunk = try handle.read(upToCount: 1 << 16), !chunk.isEmpty { try write(Array(chunk)) }
            }
        }
        try tar.finish()
        try gzip.finish()
        try archive.commit()
    }
}

extension JSON {
    /// The value as a parameter value, when it is a number or a string.
    var parameterValue: ParameterValue? {
        switch self {
        case .number(let text): .number(text)
        case .string(let text): .text(text)
        default: nil
        }
    }
}
