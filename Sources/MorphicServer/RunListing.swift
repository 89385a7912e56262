import Foundation
import MorphicData

/// What the API says of a sweep's runs: a page or the CSV of a runs query, and one run's
/// record. Answered from the sweep's in-memory ``RunIndex``, which reads each finished
/// run's record once, with what the executor is doing now taken from a copy made under the
/// board's lock, so the pass over the runs holds no lock.
struct RunListing {
    let job: SweepJob
    /// Whether the sweep still runs: its index is refreshed twice a second, not once.
    let isActive: Bool
    /// The groups running now, here or on Slurm.
    let activity: SweepJob.Activity

    /// Takes what it needs of `job`. Call with the board's lock held.
    init(_ job: SweepJob) {
        self.job = job
        isActive = job.state.isActive
        activity = job.activity
    }

    /// The state an unfinished run is shown in.
    private var state: @Sendable (PlannedRun) -> String {
        { [isActive, activity] run in
            isActive ? (activity.isRunning(group: run.couplingGroup) ? "running" : "queued") : "not_run"
        }
    }

    /// The runs matching `query`, from `offset`, at most `limit`, with their state,
    /// parameters and, when finished, summary statistics; and how many there are and matched.
    func page(_ query: RunQuery, offset: Int, limit: Int) -> JSON {
        let page = job.index().page(
            query, offset: offset, limit: limit, folder: job.folder, interval: isActive ? 0.5 : 0, activity: state)
        return .object([
            "total": .int(page.total), "matched": .int(page.matched), "offset": .int(offset), "limit": .int(limit),
            "runs": .array(page.runs),
        ])
    }

    /// The runs matching `query` as CSV, from `offset`, at most `limit`: the export of what
    /// ``page(_:offset:limit:)`` pages.
    func csv(_ query: RunQuery, offset: Int, limit: Int) -> [UInt8] {
        let index = job.index()
        index.refresh(from: job.folder, interval: 0)
        return index.csv(query, offset: offset, limit: limit, activity: state)
    }

    /// What, besides the index, the runs' rows show: whether the sweep is active (an
    /// unfinished run is then `running` or `queued`, else `not_run`) and which groups run.
    private var activityVersion: String {
        guard isActive else { return "idle" }
        return "active/" + activity.groups.sorted().map(String.init).joined(separator: ",") + "/"
            + activity.shards.sorted().map(String.init).joined(separator: ",") + "/\(activity.shardCount)"
    }

    /// The page of ``page(_:offset:limit:)``, made as it is sent: only the page's run
    /// indices are held until then.
    func pageDocument(_ query: RunQuery, offset: Int, limit: Int) -> StreamedDocument {
        let index = job.index()
        let selection = index.select(
            query, offset: offset, limit: limit, folder: job.folder, interval: isActive ? 0.5 : 0, activity: state)
        return .runsPage(
            index: index, selection: selection, query: query, offset: offset, limit: limit,
            version: selection.version + "/" + activityVersion, activity: state)
    }

    /// The CSV of ``csv(_:offset:limit:)``, made as it is sent: only the listed runs'
    /// indices are held until then, 4 bytes a run.
    func csvDocument(_ query: RunQuery, offset: Int, limit: Int) -> StreamedDocument {
        let index = job.index()
        index.refresh(from: job.folder, interval: 0)
        let selection = index.csvSelection(query, offset: offset, limit: limit, activity: state)
        return .runsCSV(
            index: index, selection: selection, query: query, version: selection.version + "/" + activityVersion,
            activity: state)
    }

    /// The finished runs matching `query` as numeric columns, one per name, over all of them.
    func columns(_ names: [String], query: RunQuery) -> (total: Int, columns: [[Double]]) {
        job.index().columns(names, query: query, folder: job.folder, interval: isActive ? 0.5 : 0, activity: state)
    }

    /// A finished run's record.
    static func record(of job: SweepJob, run runID: String) throws(JobService.Failure) -> [UInt8] {
        guard let index = job.definition.index(ofRun: runID) else {
            throw .noSuchRun("sweep \(job.definition.id) has no run \(runID)")
        }
        guard let record = job.records.record(job.definition.runs[index], index: index) else {
            throw .conflict(
                job.folder.failure(runID).map { "run \(runID) failed: \($0)" } ?? "run \(runID) has not finished")
        }
        return record
    }
}
