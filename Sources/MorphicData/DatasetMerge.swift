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

        var sources: [(run: PlannedRun, folder: Int, failed: Bool)] = []
        var missing: [String] = []
        for run in definition.runs {
            let holders = inputs.indices.filter { inputs[$0].hasRun(run.id) }
            if holders.count > 1 {
                throw FileError.invalid(
                    "run \(run.id) is in both \(inputs[holders[0]].path) and \(inputs[holders[1]].path)")
            }
            if let holder = holders.first {
                sources.append((run, holder, false))
            } else if let holder = inputs.indices.first(where: { inputs[$0].failure(run.id) != nil }) {
                sources.append((run, holder, true))
            } else {
                missing.append(run.id)
            }
        }
        guard missing.isEmpty else {
            let shown = missing.prefix(10).joined(separator: ", ") + (missing.count > 10 ? ", …" : "")
            throw FileError.invalid("\(missing.count) run(s) missing from every shard folder: \(shown)")
        }
        // Every record is checked before anything is written, so a refused merge changes nothing.
        let checksums = inputs.map { ChecksumJournal.table($0, definition: definition) }
        for (index, (run, holder, failed)) in sources.enumerated() where !failed {
            let path = inputs[holder].runPath(run.id)
            let bytes = try Dataset.recordBytes(run, in: inputs[holder])
            guard checksums[holder].matches(index, bytes) else {
                throw FileError.invalid(
                    "\(path) does not match the digest its shard journaled when it wrote it (\(ChecksumJournal.folderName)/): it was changed or damaged; run that shard again"
                )
            }
            _ = try Dataset.record(bytes, of: run, path: path)
        }
        try output.prepare(for: definition)
        let journal = ChecksumJournal(folder: output)
        for (run, holder, failed) in sources where inputs[holder].path != output.path {
            if failed {
                try output.recordFailure(run.id, message: inputs[holder].failure(run.id) ?? "")
            } else {
                let bytes = try Dataset.recordBytes(run, in: inputs[holder])
                try AtomicFile.write(bytes, to: output.runPath(run.id), durable: false)
                journal.add(file: run.fileName, bytes: bytes)
                try journal.commitIfDue()
            }
        }
        try journal.commit()
        try Dataset.assemble(definition, in: output)
        return definition
    }
}
