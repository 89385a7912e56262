import ArgumentParser
import Foundation
import MorphicCore
import MorphicData

/// `morphic frames RUN.json`: a run's grid states, recomputed, as numpy arrays.
struct FramesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "frames",
        abstract: "Recompute a run's grid states, and the cells the field decided, into a numpy .npz.",
        discussion: """
            Reads a run record (<run_id>.json of a dataset, or 'morphic run' output), simulates \
            the run again from its configuration and seed (an llm_control run with the table its \
            record holds), and writes generation (int64), state, taken and overridden (uint8, \
            [frames, grid, ⌈grid/8⌉], each row packed most significant bit first: \
            np.unpackbits(a, axis=-1)[..., :grid]). taken marks the cells the field set as Life \
            would have in the step before the frame, overridden those it set against Life. A run \
            coupled to others (cross_system_coupling > 0) needs its group: ask the server's \
            /api/sweeps/{id}/runs/{run_id}/frames instead.

            Example: morphic frames data/morphic_7.json --every 10 --output morphic_7.npz
            """
    )

    @Argument(help: "A run record (JSON).")
    var record: String

    @Option(help: "First generation.")
    var from = 0

    @Option(help: "Last generation. [default: the run's last]")
    var to: Int?

    @Option(help: "Generations between frames.")
    var every = 1

    @Option(help: "The .npz file to write.")
    var output = "frames.npz"

    @Option(help: "Most cells (grid cells × frames) to write.")
    var maxFrameCells = SweepLimits().maximumFrameCells * 16

    func validate() throws {
        guard from >= 0, every >= 1 else { throw ValidationError("--from must be at least 0 and --every at least 1") }
    }

    func run() throws {
        guard let bytes = FileManager.default.contents(atPath: record) else { throw ValidationError("cannot read \(record)") }
        guard let json = try? JSONParser.parse(Array(bytes)), let config = json["config"]?.members else {
            throw ValidationError("\(record) is not a run record (no config)")
        }
        var configuration = RunConfiguration()
        for member in config {
            guard let key = ParameterKey(rawValue: member.key) else {
                throw ValidationError("\(record): unknown parameter \(member.key)")
            }
            let value: ParameterValue
            switch member.value {
            case .number(let text): value = .number(text)
            case .string(let text): value = .text(text)
            default: throw ValidationError("\(record): \(member.key) is not a number or a name")
            }
            do { try configuration.set(key, value) } catch { throw ValidationError("\(record): \(error.message)") }
        }
        guard configuration.seed != nil else { throw ValidationError("\(record): the record has no seed") }
        guard !(configuration.mode == .morphic && configuration.crossSystemCoupling > 0) else {
            throw ValidationError(
                "\(record) is coupled to the other runs of its group (cross_system_coupling > 0) and cannot be recomputed alone; use the server's frames endpoint"
            )
        }
        var table: RuleTable?
        if configuration.mode == .llmControl {
            guard let parsed = RunRecord.ruleTable(in: json) else {
                throw ValidationError("\(record): an llm_control record needs its llm_table")
            }
            table = parsed
        }
        let last = to ?? configuration.generations
        guard last <= configuration.generations, from <= last else {
            throw ValidationError("--from and --to must lie in 0...\(configuration.generations), the run's generations")
        }
        let frames = (last - from) / every + 1
        guard frames.multipliedReportingOverflow(by: configuration.cellCount).partialValue <= maxFrameCells else {
            throw ValidationError(
                "\(frames) frames of \(configuration.cellCount) cells exceed --max-frame-cells \(maxFrameCells); raise --every")
        }
        try RunFrames(configuration: configuration, llmTable: table, from: from, to: last, every: every)
            .writeArrays(to: output)
        note("wrote \(frames) frames of \(json["run_id"]?.stringValue ?? "the run") to \(output)")
    }
}
