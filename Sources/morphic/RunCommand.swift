import ArgumentParser
import Foundation
import MorphicCore
import MorphicData
import MorphicLLM

/// `morphic run`: one run, printed as JSON or written into a folder.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Compute one run and print its JSON record.",
        discussion: """
            Every parameter of the model has a flag named after it; unset ones take the \
            model's defaults. The run is a pure function of its flags: the same flags give \
            the same bytes on any machine.

            Example: morphic run --mode=morphic --field-strength=0.8 --run-id=demo --output=runs
            """
    )

    @OptionGroup var parameters: ParameterOptions

    @OptionGroup(title: "Language model (llm_control)") var llm: LLMOptions

    @Option(name: .customLong("run-id"), help: "Name of the run; also derives the seed when --seed is absent.")
    var runID = "run_1"

    @Option(
        name: .customLong("sweep-seed"), parsing: .unconditional,
        help: "Sweep seed, 0...2^64−1, that with --run-id derives the run seed.")
    var sweepSeedText = "0"

    /// `--sweep-seed`, checked in ``validate()``.
    var sweepSeed: UInt64 { UInt64(sweepSeedText) ?? 0 }

    @Option(help: "Write <run-id>.json into this folder instead of printing it.")
    var output: String?

    @Option(
        parsing: .unconditional,
        help: """
            Threads a step may use, 1...256, in bands of rows (grids of 64 and more); the result \
            is the same whatever the number. [default: every core]
            """)
    var threads: Int?

    func validate() throws {
        guard RunIdentifier.isValid(runID) else { throw ValidationError("--run-id \(RunIdentifier.rule)") }
        // Decimal digits only: the parser's own error named no range, and a sign or a
        // fraction is no seed.
        guard sweepSeedText.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            UInt64(sweepSeedText) != nil
        else {
            throw ValidationError(
                "--sweep-seed must be an integer in 0...18446744073709551615, not \(sweepSeedText.quotedInMessage)")
        }
        if let threads, !(1...256).contains(threads) {
            throw ValidationError("--threads must be in 1...256, not \(threads)")
        }
        _ = try parameters.configuration()
    }

    func run() throws {
        let configuration = try parameters.configuration()
        var table: RuleTable?
        var source: RuleSource?
        if configuration.mode == .llmControl {
            guard let provider = llm.provider() else {
                throw ValidationError("--mode=llm_control needs a language model: give --llm-endpoint and --llm-model")
            }
            table = try provider.ruleTable()
            source = provider.source
        }
        var simulation = try Simulation(
            configuration: configuration, runID: runID, sweepSeed: sweepSeed, llmTable: table)
        simulation.threads = threads ?? ProcessInfo.processInfo.activeProcessorCount
        simulation.runToEnd()
        let record = RunRecord.prettyBytes(runID: runID, result: simulation.result, source: source)
        if let output {
            try DatasetFolder.requireOutputFolder(output)
            try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: true)
            let path = output.withoutFinalSlashes + "/" + runID + ".json"
            try AtomicFile.write(record, to: path)
            FileHandle.standardError.write(Data("wrote \(path)\n".utf8))
        } else {
            FileHandle.standardOutput.write(Data(record))
        }
    }
}
