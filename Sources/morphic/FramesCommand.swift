import ArgumentParser
import Foundation
import MorphicCore
import MorphicData

/// `morphic frames RUN.json` or `morphic frames DIR --run ID`: a run's grid states,
/// recomputed, as numpy arrays.
struct FramesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "frames",
        abstract: "Recompute a run's grid states, and the cells the field decided, into a numpy .npz.",
        discussion: """
            Reads a run record (<run_id>.json of a dataset, or 'morphic run' output), or run \
            --run of a dataset folder (written by 'morphic sweep' or 'morphic merge', packed or \
            not, or an unpacked dataset.tar.gz), simulates \
            the run again from its configuration and seed (an llm_control run with the table its \
            record holds), and writes generation (int64), state, taken and overridden (uint8, \
            [frames, grid, ⌈grid/8⌉], each row packed most significant bit first: \
            np.unpackbits(a, axis=-1)[..., :grid]). taken marks the cells the field set as Life \
            would have in the step before the frame, overridden those it set against Life. A run \
            coupled to others (cross_system_coupling > 0) needs its group: give its folder and \
            --run, which recompute the group as the sweep did.

            Examples: morphic frames dataset/morphic_7.json --every 10 --output morphic_7.npz
                      morphic frames dataset --run morphic_7 --every 10 --output morphic_7.npz
            """
    )

    @Argument(help: "A run record (JSON), or a dataset folder with --run.")
    var record: String

    @Option(name: .customLong("run"), help: "The run to recompute, when the argument is a dataset folder.")
    var runID: String?

    @Option(parsing: .unconditional, help: "First generation.")
    var from = 0

    @Option(parsing: .unconditional, help: "Last generation. [default: the run's last]")
    var to: Int?

    @Option(parsing: .unconditional, help: "Generations between frames.")
    var every = 1

    @Option(help: "The .npz file to write.")
    var output = "frames.npz"

    @Option(parsing: .unconditional, help: "Most cells (grid cells × frames) to write.")
    var maxFrameCells = SweepLimits().maximumFrameCells * 16

    func validate() throws {
        guard from >= 0 else { throw ValidationError("--from must be at least 0, not \(from)") }
        guard every >= 1 else { throw ValidationError("--every must be at least 1, not \(every)") }
        if let to, to < from { throw ValidationError("--to (\(to)) must be at least --from (\(from))") }
        guard maxFrameCells >= 1 else { throw ValidationError("--max-frame-cells must be at least 1, not \(maxFrameCells)") }
        var isFolder: ObjCBool = false
        let folder = output.withoutFinalSlashes
        if FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue {
            throw ValidationError("\(folder) is a folder; give --output a file name for the .npz (such as \(folder)/frames.npz)")
        }
        let parent = output.parentFolder
        if !parent.isEmpty, FileManager.default.fileExists(atPath: parent, isDirectory: &isFolder), !isFolder.boolValue {
            throw ValidationError("\(parent) is a file, so \(output) cannot be made; give --output a path in a folder")
        }
    }

    func run() throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: record, isDirectory: &isFolder) else {
            throw ValidationError("no such file or folder: \(record)")
        }
        if isFolder.boolValue {
            guard let runID else {
                throw ValidationError("\(record) is a folder: name the run with --run RUN_ID (or give a <run_id>.json file)")
            }
            try frames(inFolder: record, run: runID)
            return
        }
        guard runID == nil else {
            throw ValidationError("--run is for a dataset folder; \(record) is a file (a run record)")
        }
        guard let bytes = FileManager.default.contents(atPath: record) else { throw ValidationError("cannot read \(record)") }
        let json: JSON
        do {
            json = try JSONParser.parse(Array(bytes))
        } catch {
            throw ValidationError("\(record) is not JSON: \(error)")
        }
        guard let config = json["config"]?.members else {
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
        try Self.checkAgreement(json, with: configuration, record: record)
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
        let (last, frames) = try range(configuration)
        try RunFrames(configuration: configuration, llmTable: table, from: from, to: last, every: every)
            .writeArrays(to: output)
        note("wrote \(frames) frames of \(json["run_id"]?.stringValue ?? "the run") to \(output)")
    }

    /// Refuses a record whose other parts contradict its `config` (the mode, the grid size,
    /// the generations, the model version): the frames would be of some other run than the
    /// one its series describe.
    static func checkAgreement(_ json: JSON, with configuration: RunConfiguration, record: String) throws {
        // Values are quoted as the record writes them (a string in quotes).
        func written(_ value: JSON) -> String { String(decoding: value.compactBytes, as: UTF8.self) }
        func contradiction(_ field: String, _ value: JSON, _ config: String) -> ValidationError {
            let key = field.split(separator: ".").last!
            return ValidationError("\(record): its \(field) is \(written(value)) and its config.\(key) \(config); a record has one")
        }
        if let mode = json["mode"], Mode(name: mode.stringValue ?? "") != configuration.mode {
            throw contradiction("mode", mode, "\"\(configuration.mode.rawValue)\"")
        }
        for (key, count) in [("grid_size", configuration.gridSize), ("generations", configuration.generations)] {
            if let value = json["metadata"]?[key], value.doubleValue != Double(count) {
                throw contradiction("metadata." + key, value, String(count))
            }
        }
        if let version = json["metadata"]?["model_version"], version.stringValue != RunRecord.modelVersion {
            throw ValidationError(
                "\(record): its metadata.model_version is \(written(version)); this morphic recomputes \"\(RunRecord.modelVersion)\"")
        }
    }

    /// The last generation and the number of frames, checked against the run and the limit.
    private func range(_ configuration: RunConfiguration) throws -> (last: Int, frames: Int) {
        let last = to ?? configuration.generations
        guard last <= configuration.generations, from <= last else {
            throw ValidationError("--from and --to must lie in 0...\(configuration.generations), the run's generations")
        }
        let frames = (last - from) / every + 1
        guard frames.multipliedReportingOverflow(by: configuration.cellCount).partialValue <= maxFrameCells else {
            throw ValidationError(
                "\(frames) frames of \(configuration.cellCount) cells exceed --max-frame-cells \(maxFrameCells); raise --every")
        }
        return (last, frames)
    }

    /// Frames of run `id` of a dataset folder: its coupling group is computed together, as
    /// the sweep computed it.
    private func frames(inFolder path: String, run id: String) throws {
        let dataset = try DatasetFolder(path)
        let record = try dataset.record(id)
        let (run, _) = try dataset.run(id)
        let definition = dataset.definition
        let (last, frames) = try range(run.configuration)
        var table: RuleTable?
        if run.configuration.mode == .llmControl {
            guard let parsed = RunRecord.ruleTable(inRecord: record) else {
                throw ValidationError("the record of \(id) in \(path) holds no llm_table")
            }
            table = parsed
        }
        let group = definition.runs.runs(ofGroup: run.couplingGroup).map { definition.runs[$0] }
        try RunFrames(
            group: group, member: group.firstIndex { $0.id == id }!, sweepSeed: definition.seed, llmTable: table,
            from: from, to: last, every: every
        ).writeArrays(to: output)
        note("wrote \(frames) frames of \(id) to \(output)")
    }
}
