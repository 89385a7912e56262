import ArgumentParser
import Foundation
import MorphicCore
import MorphicData

/// `morphic sweep FILE`: a whole sweep on this machine.
struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Run a sweep definition locally and write its dataset.",
        discussion: """
            Leaves the dataset in the output folder as dataset.tar.gz holds it: one \
            <run_id>.json record per run, manifest.json, runs.csv, timeseries.csv, \
            features.csv, timeseries.npz, theta_x.npz, DATASET.md (the dataset's card), \
            frames.npz when the definition asks for snapshots, and the archive itself; \
            manifest.json is written last, so a folder with one is whole. definition.json says which \
            sweep the folder holds, <run_id>.error why a run failed (the manifest lists the same), \
            and runs-index.bin its runs' statistics for a server that \
            serves the folder. While the sweep runs, records are appended to packs in \
            records/; --packed keeps them there instead of one file per run (for sweeps of \
            hundreds of thousands of runs, see docs/datasets.md), and packs those of a folder \
            laid out one file per run. Running the same command again \
            computes only the runs whose records are missing (or differ from the sha256 the \
            folder's manifest lists for them; without a manifest, record files are computed \
            again and compared); runs that failed stay failed \
            unless --retry-failed is given. With --shard I/N only shard I (0-based) of N is \
            computed, its records stay packed and no dataset is assembled; join the shard \
            folders with 'morphic merge'.

            Example: morphic sweep Config/sweeps/seed.json --output dataset
            """
    )

    @Argument(help: "The sweep definition (JSON).")
    var file: String

    @Option(help: "Output folder.")
    var output = "timeseries_data"

    @Option(parsing: .unconditional, help: "Worker threads; the default is every core of this machine.")
    var workers: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(
        parsing: .unconditional,
        help: "Compute only shard I of N, 0 ≤ I < N (e.g. 0/4).",
        transform: { text in
            guard let shard = Shard(text) else {
                throw ValidationError("--shard must be I/N with 0 ≤ I < N, not '\(text)'")
            }
            return shard
        })
    var shard: Shard?

    @OptionGroup(title: "Language model (llm_control)") var llm: LLMOptions

    @OptionGroup(title: "Limits") var limits: LimitOptions

    @Option(help: "Also write the progress, as JSON, to this file about once a second (for a scheduler).")
    var progressFile: String?

    @Flag(help: "Compute again the runs that failed in an earlier attempt (say, with no language model).")
    var retryFailed = false

    @Flag(help: "Keep the records in packs (records/) rather than one <run_id>.json per run.")
    var packed = false

    @Flag(help: "No progress output.")
    var quiet = false

    func validate() throws {
        guard workers >= 1 else { throw ValidationError("--workers must be at least 1") }
        var isFolder: ObjCBool = false
        if let progressFile, FileManager.default.fileExists(atPath: progressFile, isDirectory: &isFolder),
            isFolder.boolValue
        {
            throw ValidationError("--progress-file \(progressFile) is a folder; give a file to write the progress to")
        }
    }

    /// Refuses a progress file that is the definition itself (written over, it was lost), lies
    /// among the output folder's files or packs (over `definition.json` or a pack, the folder
    /// could not be resumed), or whose folder is missing (none is made for it).
    static func checkProgressFile(_ path: String, definition: String, output: String) throws {
        var (given, written) = (stat(), stat())
        if stat(definition, &given) == 0, stat(path, &written) == 0, given.st_dev == written.st_dev,
            given.st_ino == written.st_ino
        {
            throw ValidationError("--progress-file \(path) is the sweep definition; give another file")
        }
        let parent = (path as NSString).deletingLastPathComponent
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: parent.isEmpty ? "." : parent, isDirectory: &isFolder),
            isFolder.boolValue
        else {
            throw ValidationError("cannot write --progress-file \(path): \(parent) is no folder")
        }
        // Beside the dataset's files or the packs; a folder of its own in it (a scheduler's,
        // as the Slurm executor keeps) is the caller's.
        let folder = SweepFolder(path: parent.isEmpty ? "." : parent).resolvedPath
        if let folder, let outputFolder = SweepFolder(path: output).resolvedPath,
            folder == outputFolder || folder == outputFolder + "/" + RecordStore.folderName
        {
            throw ValidationError(
                "--progress-file \(path) lies among the files of the output folder \(output); give a file outside it")
        }
    }

    func run() throws {
        Interruption.removesTemporaries()
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isFolder) else {
            throw ValidationError("no such file: \(file)")
        }
        guard !isFolder.boolValue else { throw ValidationError("\(file) is a folder; give a sweep definition file (JSON)") }
        let most = limits.limits.maximumDefinitionFileBytes
        if let size = (try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? Int, size > most {
            throw ValidationError(
                "\(file) is \(size) bytes; a definition of at most \(limits.limits.maximumRuns) runs "
                    + "(--max-runs) is read up to \(most) bytes")
        }
        guard let bytes = FileManager.default.contents(atPath: file) else {
            throw ValidationError("cannot read \(file)")
        }
        let definition: SweepDefinition
        do {
            definition = try SweepDefinition.parse(Array(bytes), limits: limits.limits)
        } catch {
            throw ValidationError("\(file): \(error)")
        }
        try DatasetFolder.requireOutputFolder(output)
        let folder = SweepFolder(path: output)
        func progressBytes(_ progress: SweepRunner.Progress, finished: Bool) -> [UInt8] {
            JSON.object([
                "runs_total": .int(progress.runsTotal), "runs_completed": .int(progress.runsCompleted),
                "runs_failed": .int(progress.runsFailed), "finished": .bool(finished),
            ]).compactBytes
        }
        // The first progress (the runs' totals, none counted yet) is written to its temporary now and put in place once the output
        // folder is taken: a file that cannot be written is refused with nothing changed, and
        // an output folder refused after it leaves the file as it was.
        var firstProgress: StreamingFile?
        if let progressFile {
            try Self.checkProgressFile(progressFile, definition: file, output: output)
            let untouched = SweepRunner(definition: definition, folder: folder, workers: 1, shard: shard).progress
            do {
                let pending = try StreamingFile(path: progressFile)
                try pending.write(progressBytes(untouched, finished: false))
                firstProgress = pending
            } catch {
                throw ValidationError("cannot write --progress-file \(progressFile): \(FileError.message(of: error))")
            }
        }
        try folder.prepare(for: definition, shard: shard)
        do {
            try firstProgress?.commit()
        } catch {
            throw ValidationError("cannot write --progress-file \(progressFile ?? ""): \(FileError.message(of: error))")
        }
        // A record changed since the folder's dataset was made is not taken into the next.
        // Checked holding the folder's lock: another command laying the records out may be
        // writing them.
        let waiting = { note("another process is writing the dataset of \(folder.path); waiting for it to finish") }
        // Without a manifest, a record that is only its file is computed again and compared.
        let (changed, unvouched) = try folder.whileLocked(waiting: waiting) { () -> ([Int], [Int]) in
            guard let changed = Dataset.changedRecords(definition, in: folder) else {
                return ([], Dataset.unvouchedRecords(definition, in: folder).filter {
                    shard?.contains(group: definition.runs[$0].couplingGroup) ?? true
                })
            }
            for index in changed {
                // A file is removed; a frame is superseded by the run's record computed again.
                unlink(folder.runPath(definition.runs[index].id))
                note(
                    "run \(definition.runs[index].id): its record differs from the sha256 in manifest.json "
                        + "(changed or damaged); computing it again")
            }
            return (changed, [])
        }
        if !unvouched.isEmpty {
            note(
                "\(unvouched.count.runs) in \(folder.path) have a record file but no manifest.json to check it against; "
                    + "computing \(unvouched.count == 1 ? "it" : "them") again to compare")
        }
        let records = RecordStore(folder)
        let failedBefore = folder.failedRuns().filter { id in
            guard let index = definition.index(ofRun: id), records.record(definition.runs[index], index: index) == nil
            else { return false }
            return shard?.contains(group: definition.runs[index].couplingGroup) ?? true
        }
        if retryFailed {
            for id in failedBefore { folder.clearFailure(id) }
        } else if !failedBefore.isEmpty {
            note(
                "\(failedBefore.count) run(s) failed in an earlier attempt and stay failed; "
                    + "add --retry-failed to compute them again")
        }
        let start = Date()
        var table: (@Sendable () throws -> RuleTable)?
        let provider = llm.provider()
        if let provider {
            table = { @Sendable () throws -> RuleTable in try provider.ruleTable() }
            // Said before the bar starts: its runs hold their workers until the model answers,
            // and a slow one shows no progress meanwhile.
            if case .ready = provider.status(start: false) {
            } else if definition.runs.contains(where: { $0.configuration.mode == .llmControl }) {
                note(
                    "llm_control runs wait for the language model at \(provider.source.host) (\(provider.settings.model)) "
                        + "to give its rule table: asked once, for up to \(String(format: "%g", provider.settings.deadline)) s")
            }
        }
        let runner = SweepRunner(
            definition: definition, folder: folder, workers: workers, shard: shard, llmTable: table,
            llmSource: provider?.source)
        let bar = ProgressBar(enabled: !quiet)
        var lastWritten = Date().timeIntervalSince1970
        func report(_ progress: SweepRunner.Progress, finished: Bool) {
            bar.show(progress)
            let now = Date().timeIntervalSince1970
            guard let progressFile, finished || now - lastWritten >= 1 else { return }
            lastWritten = now
            // Progress is a hint for the scheduler; failing to write it must not fail the runs.
            try? AtomicFile.write(progressBytes(progress, finished: finished), to: progressFile)
        }
        let progress = try runner.run(
            recomputing: changed + unvouched,
            foundDamaged: { ids in
                for id in ids {
                    note("run \(id): its record is there but not whole (changed or damaged since it was written); computing it again")
                }
            },
            report: { report($0, finished: false) })
        report(progress, finished: true)
        bar.finish()
        // A record file that differs from its run computed again was changed since it was
        // written: the assembly lays the computed record over it.
        var cursor = RecordStore.Cursor(records)
        for index in unvouched {
            let run = definition.runs[index]
            guard let computed = cursor.pack(of: index).framed(index, runID: run.id),
                let present = FileManager.default.contents(atPath: folder.runPath(run.id)), !present.elementsEqual(computed)
            else { continue }
            note("run \(run.id): its record file differs from the run computed again (changed since it was written); replacing it")
        }
        if let shard {
            note("shard \(shard): \(progress.runsCompleted.runs) in \(folder.path); join the shards with 'morphic merge'")
            return
        }
        // The runs index too, as the server writes it: a folder served afterwards answers its
        // first sorted query from one file, not from every record.
        try Dataset.assemble(
            definition, in: folder, writesIndex: true, records: packed ? .packed : .oneFileARun, waiting: waiting)
        for id in folder.failedRuns() where definition.index(ofRun: id) != nil {
            note("run \(id) failed: \(folder.failure(id) ?? "")")
        }
        note(
            "\(definition.id): \(progress.runsTotal.runs), \(progress.runsCompleted) completed, \(progress.runsFailed) failed, "
                + String(format: "%.2f s", Date().timeIntervalSince(start)) + " → \(folder.path)/\(Dataset.archiveName)")
        if progress.runsFailed > 0 { throw ExitCode(1) }
    }
}

/// Writes a line to standard error.
func note(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
