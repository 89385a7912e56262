import Foundation
import MorphicCore
import MorphicData

/// Frames of a finished run, computed again (``RunFrames``) within the server's frame
/// limits: generations `from`, `from + every`, … up to `to`. It simulates, so it is called
/// off the event loops.
struct SweepFrames {
    let limits: SweepLimits

    /// The encoded frames of `runID`, whose finished record is `record`.
    /// - Throws: `APIError` for a range past the run or over `max_frame_cells` or
    ///   `max_frame_cell_steps`; ``JobService/Failure`` when the record holds no rule table.
    func frames(
        of job: SweepJob, run runID: String, record: [UInt8], from: Int, to requested: Int?, every: Int,
        isCancelled: @escaping @Sendable () -> Bool
    ) throws -> [UInt8] {
        let definition = job.definition
        guard let index = definition.index(ofRun: runID) else {
            throw JobService.Failure.noSuchRun("sweep \(definition.id) has no run \(runID.quotedInMessage)")
        }
        let run = definition.runs[index]
        let generations = run.configuration.generations
        let to = requested ?? generations
        guard to <= generations, from <= to else {
            throw APIError(
                status: .badRequest, code: "bad_parameter",
                message: "from and to must lie in 0...\(generations), the generations of \(runID)",
                field: to > generations ? "to" : "from")
        }
        let frames = (to - from) / every + 1
        guard frames.multipliedReportingOverflow(by: run.configuration.cellCount).partialValue <= limits.maximumFrameCells
        else {
            throw APIError(
                status: .unprocessableContent, code: "over_limit",
                message:
                    "\(frames) frames of \(run.configuration.cellCount) cells exceed this server's max_frame_cells (\(limits.maximumFrameCells)); ask for fewer (every, from, to)",
                field: "every")
        }
        // The whole coupling group is simulated: its members shape each other's fields.
        let group = definition.runs.runs(ofGroup: run.couplingGroup).map { definition.runs[$0] }
        let cost = group.reduce(0) { $0 + $1.configuration.cellCount } * to
        guard cost <= limits.maximumFrameCellSteps else {
            throw APIError(
                status: .unprocessableContent, code: "over_limit",
                message:
                    "recomputing \(runID) up to generation \(to) takes \(cost) cell updates, over this server's max_frame_cell_steps (\(limits.maximumFrameCellSteps))",
                field: "to")
        }
        var table: RuleTable?
        if run.configuration.mode == .llmControl {
            guard let parsed = RunRecord.ruleTable(inRecord: record) else {
                throw JobService.Failure.storage("the record of \(runID) holds no llm_table")
            }
            table = parsed
        }
        return try RunFrames(
            group: group, member: group.firstIndex { $0.id == runID }!, sweepSeed: definition.seed, llmTable: table,
            from: from, to: to, every: every, isCancelled: isCancelled
        ).encoded
    }
}
