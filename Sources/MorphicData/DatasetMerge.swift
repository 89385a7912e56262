import Foundation

/// Joins the folders of a sweep's shards into one dataset, refusing folders of different
/// sweeps or model versions, and runs that are missing, duplicated or not as planned.
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

        var sources: [(run: PlannedRun, folder: SweepFolder, failed: Bool)] = []
        var missing: [String] = []
        for run in definition.runs {
            let holders = inputs.filter { $0.hasRun(run.id) }
            if holders.count > 1 {
                throw FileError.invalid("run \(run.id) is in both \(holders[0].path) and \(holders[1].path)")
            }
            if let holder = holders.first {
                sources.append((run, holder, false))
            } else if let holder = inputs.first(where: { $0.failure(run.id) != nil }) {
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
        for (run, folder, failed) in sources where !failed {
            guard let bytes = FileManager.default.contents(atPath: folder.runPath(run.id)) else {
                throw FileError.invalid("cannot read \(folder.runPath(run.id))")
            }
            _ = try Dataset.record(Array(bytes), of: run, path: folder.runPath(run.id))
        }
        try output.prepare(for: definition)
        for (run, folder, failed) in sources where folder.path != output.path {
            if failed {
                try output.recordFailure(run.id, message: folder.failure(run.id) ?? "")
            } else if let bytes = FileManager.default.contents(atPath: folder.runPath(run.id)) {
                try AtomicFile.write(Array(bytes), to: output.runPath(run.id))
            }
        }
        try Dataset.assemble(definition, in: output)
        return definition
    }
}
