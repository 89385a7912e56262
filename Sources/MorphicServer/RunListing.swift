import CSystem
import Foundation
import HTTP
import MorphicCore
import MorphicData

/// What the API says of a sweep's runs: a page or the CSV of a runs query, and one run's
/// record. Answered from the sweep's in-memory ``RunIndex``, which reads each finished
/// run's record once (or, for an assembled sweep, its index file), with what the executor
/// is doing now taken from a copy made under the board's lock, so the pass over the runs
/// holds no lock.
struct RunListing {
    /// Seconds a request waits for the index's read of the records before it answers 503
    /// with how far the read got: less than the server's handler timeout, so the client
    /// hears why. The read goes on, and the next request finds what it read.
    static let indexWait = 45.0

    let job: SweepJob
    /// Whether the sweep still runs: its index is refreshed twice a second, not once.
    let isActive: Bool
    /// The groups running now, here or on Slurm.
    let activity: SweepJob.Activity
    /// For a sweep that has ended (completed, failed or cancelled) and has nothing running
    /// any more: its state and when it ended, as its status file keeps them.
    let ending: String?

    /// Takes what it needs of `job`. Call with the board's lock held.
    init(_ job: SweepJob) {
        self.job = job
        isActive = job.state.isActive
        activity = job.activity
        let ended: Set<SweepState> = [.completed, .failed, .cancelled]
        // A cancel ends the sweep at once, and its groups under way stop at their next step:
        // one may still finish its run and write its record.
        let settled = activity.groups.isEmpty && activity.shards.isEmpty
        ending =
            settled && ended.contains(job.state)
            ? job.finishedAt.map { job.state.rawValue + "@" + Timestamp.string($0) } : nil
    }

    /// The state an unfinished run is shown in.
    private var state: @Sendable (PlannedRun) -> String {
        { [isActive, activity] run in
            isActive ? (activity.isRunning(group: run.couplingGroup) ? "running" : "queued") : "not_run"
        }
    }

    /// The runs matching `query`, from `offset`, at most `limit`, with their state,
    /// parameters and, when finished, summary statistics; how many there are and matched; and
    /// the swept parameters, known from the definition, so a table can show them from its
    /// first page even where the aggregates wait for every run's record.
    func page(_ query: RunQuery, offset: Int, limit: Int) throws(JobService.Failure) -> JSON {
        let (index, chosen) = try select(query, offset: offset, limit: limit)
        return .object([
            "total": .int(chosen.total), "matched": .int(chosen.matched), "offset": .int(offset), "limit": .int(limit),
            "swept": .array(index.sweptParameters().map(JSON.string)),
            "runs": .array(index.rows(chosen.indices, fields: query.fields, activity: state)),
        ])
    }

    /// The runs of a page, chosen but not rendered, and the index they are in.
    private func select(_ query: RunQuery, offset: Int, limit: Int) throws(JobService.Failure)
        -> (RunIndex, RunIndex.Selection)
    {
        let index = job.index()
        guard
            let selection = index.select(
                query, offset: offset, limit: limit, folder: job.folder, interval: isActive ? 0.5 : 0,
                wait: Self.indexWait, activity: state)
        else { throw building(index) }
        if RunIndex.needsRecords(query) { Self.releaseFreedMemory() }
        return (index, selection)
    }

    /// The runs matching `query` as CSV, from `offset`, at most `limit`: the export of what
    /// ``page(_:offset:limit:)`` pages, whole (the server sends ``csvDocument(_:offset:limit:)``).
    func csv(_ query: RunQuery, offset: Int, limit: Int) throws(JobService.Failure) -> [UInt8] {
        let index = job.index()
        guard index.refresh(from: job.folder, interval: 0, wait: Self.indexWait) else { throw building(index) }
        return index.csv(query, offset: offset, limit: limit, activity: state)
    }

    /// What, besides the index, the runs' rows show: whether the sweep is active (an
    /// unfinished run is then `running` or `queued`, else `not_run`) and which groups run.
    private var activityVersion: String {
        guard isActive else { return "idle" }
        return "active/" + activity.groups.sorted().map(String.init).joined(separator: ",") + "/"
            + activity.shards.sorted().map(String.init).joined(separator: ",") + "/\(activity.shardCount)"
    }

    /// What a streamed answer's rows are made of, for its tag (``StreamedDocument/version``).
    ///
    /// Once a sweep has ended and nothing of it runs, its records no longer change until a
    /// retry, which makes it active again and stamps a new end: its rows are named by its
    /// state and the time it ended, as stored in its status file, so the tag is the same in
    /// every process on the same data, and a client's cached copy stays valid across
    /// restarts (and the index being dropped and made again). The run map's columns are part of the rows only for
    /// a query on them, and are then placed from `features.csv`, whose version (time and
    /// size) outlives a restart too. While a sweep runs, the rows change as its runs finish:
    /// they are named by the index's in-memory version and what the executor is doing.
    private func version(_ selection: RunIndex.Selection, _ index: RunIndex, _ query: RunQuery) -> String {
        guard let ending else { return selection.version + "/" + activityVersion }
        return "ended/" + ending + (query.usesMap ? "/map " + (index.mapVersion ?? "none") : "")
    }

    /// The page of ``page(_:offset:limit:)``, made as it is sent: only the page's run
    /// indices are held until then.
    func pageDocument(_ query: RunQuery, offset: Int, limit: Int) throws(JobService.Failure) -> StreamedDocument {
        let (index, selection) = try select(query, offset: offset, limit: limit)
        return .runsPage(
            index: index, selection: selection, query: query, offset: offset, limit: limit,
            version: version(selection, index, query), activity: state)
    }

    /// The CSV of ``csv(_:offset:limit:)``, made as it is sent: only the listed runs'
    /// indices are held until then, 4 bytes a run.
    func csvDocument(_ query: RunQuery, offset: Int, limit: Int) throws(JobService.Failure) -> StreamedDocument {
        let index = job.index()
        guard index.refresh(from: job.folder, interval: 0, wait: Self.indexWait) else { throw building(index) }
        let selection = index.csvSelection(query, offset: offset, limit: limit, activity: state)
        Self.releaseFreedMemory()
        return .runsCSV(
            index: index, selection: selection, query: query, version: version(selection, index, query),
            activity: state)
    }

    /// The finished runs matching `query` as numeric columns, one per name, over all of them.
    func columns(_ names: [String], query: RunQuery) throws(JobService.Failure) -> (total: Int, columns: [[Double]]) {
        try columnsAndVersion(names, query: query).answer
    }

    /// What columns over every finished run are made of, when it is known without reading
    /// the index: for a sweep that has ended, its state and the time it ended, so a
    /// conditional request is answered 304 before any work. Nil while it runs, or when the
    /// map's places are asked for (they come from the map, placed later).
    func settledVersion(_ names: [String], query: RunQuery) -> String? {
        guard let ending, !query.usesMap, !names.contains(where: RunQuery.mapColumns.contains) else { return nil }
        return "ended/" + ending
    }

    /// The columns of ``columns(_:query:)`` and what they are made of, for their tag: the
    /// settled version, else the index's version read before the columns are taken (the
    /// columns are of that version or a newer one, never an older) and what runs now.
    func columnsAndVersion(_ names: [String], query: RunQuery) throws(JobService.Failure)
        -> (answer: (total: Int, columns: [[Double]]), version: String)
    {
        let index = job.index()
        let version =
            settledVersion(names, query: query)
            ?? index.version + "/" + activityVersion + "/map " + (index.mapVersion ?? "none")
        guard
            let answer = index.columns(
                names, query: query, folder: job.folder, interval: isActive ? 0.5 : 0, wait: Self.indexWait,
                activity: state)
        else { throw building(index) }
        Self.releaseFreedMemory()
        return (answer, version)
    }

    /// Hands the heap a pass over every run freed (sort keys, run lists, columns: tens of MB
    /// on a million runs) back to the system, so the next such query starts from the index's
    /// own size rather than from the last one's peak.
    static func releaseFreedMemory() { _ = CSystem.malloc_trim(0) }

    /// The answer to a request that stopped waiting for the index: how far its read got.
    private func building(_ index: RunIndex) -> JobService.Failure {
        let progress = index.progress
        return .busy(
            "the runs index of sweep \(job.definition.id) is still being read (\(progress.done) of \(progress.of) runs); ask again")
    }

    /// A finished run's record. `completed`: the sweep has completed, so every run that did not
    /// fail has a record, and one that cannot be read is damaged on disk, not yet to come.
    static func record(of job: SweepJob, run runID: String, completed: Bool) throws(JobService.Failure) -> [UInt8] {
        guard let index = job.definition.index(ofRun: runID) else {
            throw .noSuchRun("sweep \(job.definition.id) has no run \(runID.quotedInMessage)")
        }
        let pack = job.records.pack(RecordStore.pack(ofRun: index))
        guard let record = pack.record(job.definition.runs[index], index: index) else {
            // A pack that could not be opened is not a run that has not finished.
            if let unreadable = pack.unreadable {
                if unreadable.code == EMFILE || unreadable.code == ENFILE {
                    throw .busy("the server has too many open files; ask again")
                }
                throw .storage(
                    "cannot read the run's record: " + FileError.system("cannot open \(unreadable.path)", unreadable.code).description)
            }
            if let failure = job.folder.failure(runID) { throw .conflict("run \(runID) failed: \(failure)") }
            // A frame of the run that fails its check, or no record of a completed sweep's
            // run: the run finished, and its record on disk is damaged, not yet to come.
            if pack.hasAnyRecord(job.definition.runs[index], index: index) {
                throw .storage("the record of run \(runID) is damaged on disk (its frame fails its check); retry the sweep (POST /api/sweeps/\(job.definition.id)/retry) to compute it again")
            }
            if completed { throw .storage("the record of run \(runID) is missing or damaged on disk; retry the sweep (POST /api/sweeps/\(job.definition.id)/retry) to compute it again") }
            throw .conflict("run \(runID) has not finished")
        }
        // A frame that passes its CRC-32 but is another run's, or holds other parameters, was
        // changed after it was written (its CRC-32 made again): not served as the run's.
        if let what = Dataset.difference(inRecord: record, of: job.definition.runs[index]) {
            throw .storage(
                "the record of run \(runID) was changed on disk after it was written (\(what)); retry the sweep (POST /api/sweeps/\(job.definition.id)/retry) to compute it again")
        }
        return record
    }
}
