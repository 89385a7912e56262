import Foundation

/// Joins the folders of a sweep's shards into one dataset, refusing folders of different
/// sweeps or model versions, and runs that are missing, duplicated, not as planned, or
/// whose record is torn or damaged.
public enum DatasetMerge {
    /// Merges `inputs` into `output`, which is none of them, and assembles the dataset there.
    /// With `packed` false the records are laid out one file a run, as the archive holds them
    /// (``Dataset/assemble(_:in:writesIndex:records:waiting:)``). The output's records are
    /// written and its dataset made holding its lock (``SweepFolder/whileLocked(waiting:_:)``;
    /// `waiting` is told if another process holds it).
    /// - Returns: the sweep's definition.
    @discardableResult
    public static func merge(
        _ inputs: [SweepFolder], into output: SweepFolder, limits: SweepLimits = SweepLimits(), packed: Bool = true,
        waiting: () -> Void = {}
    ) throws -> SweepDefinition {
        guard !inputs.isEmpty else { throw FileError.invalid("no shard folders given") }
        let resolved = inputs.map { $0.resolvedPath ?? $0.path }
        for (index, path) in resolved.enumerated() {
            if let earlier = resolved[..<index].firstIndex(of: path) {
                let (first, again) = (inputs[earlier].path, inputs[index].path)
                throw FileError.invalid(
                    (first == again ? "\(first) is given twice" : "\(first) and \(again) are the same folder")
                        + "; give each shard folder once")
            }
        }
        // A merge leaves its shards as they are: into one of them, that shard would hold the
        // whole sweep, and no merge of the shards (this one again, or one elsewhere) could
        // tell its own runs from the others'.
        if let input = output.resolvedPath.flatMap({ resolved.firstIndex(of: $0) }) {
            throw FileError.invalid(
                "the output folder \(output.path) is the shard folder \(inputs[input].path); "
                    + "merge into another folder (a merge leaves its shards as they are)")
        }
        var recorded: (id: String, modelVersion: String, definition: JSON)?
        for input in inputs {
            guard let sweep = try input.recordedSweep() else {
                throw FileError.invalid("\(input.path) is not a sweep folder (no definition.json)")
            }
            guard sweep.modelVersion == RunRecord.modelVersion else {
                throw FileError.invalid(
                    "\(input.path) was computed by model \(sweep.modelVersion), not \(RunRecord.modelVersion)")
            }
            if let first = recorded, first.id != sweep.id {
                throw FileError.invalid(
                    "\(input.path) holds sweep \(sweep.id), but \(inputs[0].path) holds \(first.id)")
            }
            recorded = sweep
        }
        let definition: SweepDefinition
        do {
            definition = try SweepDefinition(json: recorded!.definition, limits: limits)
        } catch {
            throw FileError.invalid("\(inputs[0].path)/definition.json: \(error)")
        }
        guard definition.id == recorded!.id else {
            throw FileError.invalid("\(inputs[0].path)/definition.json does not match its sweep id")
        }

        // Which folder holds a run, and whether it holds its failure rather than its record,
        // read in each pass run after run, so memory does not grow with the runs. Failures are
        // few and listed by name.
        let failed = inputs.map { Set($0.failedRuns()) }
        func pass(_ body: (Int, PlannedRun, _ holder: Int, _ record: [UInt8]?) throws -> Void) throws {
            var cursors = inputs.map { RecordStore.Cursor(RecordStore($0)) }
            var missing: [String] = []
            var missingCount = 0
            for (index, run) in definition.runs.enumerated() {
                var holders: [(Int, [UInt8])] = []
                for folder in inputs.indices {
                    if let record = cursors[folder].record(run, index: index) { holders.append((folder, record)) }
                }
                if holders.count > 1 {
                    let (first, second) = (inputs[holders[0].0].path, inputs[holders[1].0].path)
                    throw FileError.invalid(
                        holders[0].1 == holders[1].1
                            ? "run \(run.id) is in both \(first) and \(second); a run belongs to one shard folder"
                            : "run \(run.id) is in both \(first) and \(second), as different records")
                }
                if let (folder, record) = holders.first {
                    _ = try Dataset.record(record, of: run, path: Dataset.place(of: run, index: index, in: &cursors[folder]))
                    try body(index, run, folder, record)
                } else if let folder = inputs.indices.first(where: { failed[$0].contains(run.id) }) {
                    try body(index, run, folder, nil)
                } else {
                    missingCount += 1
                    if missing.count < 10 { missing.append(run.id) }
                }
            }
            guard missingCount == 0 else {
                throw FileError.invalid(
                    "\(missingCount) run(s) missing from every shard folder (or damaged there): \(missing.joined(separator: ", "))"
                        + (missingCount > missing.count ? ", …" : ""))
            }
        }
        // Every record is checked before anything is written, so a refused merge changes nothing.
        try pass { _, _, _, _ in }
        try output.prepare(for: definition)
        try output.whileLocked(waiting: waiting) {
            let records = RecordStore(output)
            // A merge run again (after a crash, say) writes only what the output lacks: its packs
            // are read as they were before this pass, so a record written now is not looked for.
            var written = RecordStore.Cursor(records)
            try pass { index, run, folder, record in
                if let record {
                    guard written.record(run, index: index) != record else { return }
                    try records.write(record, run: index)
                } else {
                    try output.recordFailure(run.id, message: inputs[folder].failure(run.id) ?? "")
                }
            }
            records.closeAppending()
            _ = try Dataset.write(definition, in: output, writesIndex: true, records: packed ? .packed : .oneFileARun)
        }
        return definition
    }
}
