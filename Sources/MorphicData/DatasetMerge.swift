import Foundation

/// Joins the folders of a sweep's shards into one dataset, refusing folders of different
/// sweeps or model versions, and runs that are missing, duplicated, not as planned, or
/// whose record does not match the digest its shard journaled when it wrote it.
public enum DatasetMerge {
    /// Merges `inputs` into `output` and assembles the dataset there.
    /// - Returns: the sweep's definition.
    @discardableResult
    public static func merge(_ inputs: [SweepFolder], into output: SweepFolder, limits: SweepLimits = SweepLimits())
        throws -> SweepDefinition
    {
        guard !inputs.isEmpty else { throw FileError.invalid("no shard folders given") }
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

        // Which folder holds a run, and whether it holds its failure rather than its record;
        // found again in each pass instead of kept, so memory does not grow with the runs.
        func holder(of run: PlannedRun) throws -> (folder: Int, failed: Bool)? {
            let holders = inputs.indices.filter { inputs[$0].hasRun(run.id) }
            if holders.count > 1 {
                throw FileError.invalid(
                    "run \(run.id) is in both \(inputs[holders[0]].path) and \(inputs[holders[1]].path)")
            }
            if let holder = holders.first { return (holder, false) }
            return inputs.indices.first { inputs[$0].failure(run.id) != nil }.map { ($0, true) }
        }
        // Every record is checked before anything is written, so a refused merge changes nothing.
        let checksums = ChecksumJournal.table(inputs, definition: definition)
        var missing: [String] = []
        var missingCount = 0
        for (index, run) in definition.runs.enumerated() {
            guard let (folder, failed) = try holder(of: run) else {
                missingCount += 1
                if missing.count < 10 { missing.append(run.id) }
                continue
            }
            guard !failed else { continue }
            let path = inputs[folder].runPath(run.id)
            let bytes = try Dataset.recordBytes(run, in: inputs[folder])
            guard checksums.matches(index, bytes) else {
                throw FileError.invalid(
                    "\(path) does not match the digest its shard journaled when it wrote it (\(ChecksumJournal.folderName)/): it was changed or damaged; run that shard again"
                )
            }
            _ = try Dataset.record(bytes, of: run, path: path)
        }
        guard missingCount == 0 else {
            throw FileError.invalid(
                "\(missingCount) run(s) missing from every shard folder: \(missing.joined(separator: ", "))"
                    + (missingCount > missing.count ? ", …" : ""))
        }
        try output.prepare(for: definition)
        let journal = ChecksumJournal(folder: output)
        let records = SweepFolder.RecordWriter(output)
        for run in definition.runs {
            guard let (folder, failed) = try holder(of: run), inputs[folder].path != output.path else { continue }
            if failed {
                try output.recordFailure(run.id, message: inputs[folder].failure(run.id) ?? "")
            } else {
                let bytes = try Dataset.recordBytes(run, in: inputs[folder])
                try records.write(bytes, as: run.fileName)
                journal.add(file: run.fileName, bytes: bytes)
                try journal.commitIfDue()
            }
        }
        try journal.commit()
        try Dataset.assemble(definition, in: output)
        return definition
    }
}
