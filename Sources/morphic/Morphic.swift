import ArgumentParser
import Foundation
import MorphicData

/// The `morphic` command: runs, sweeps, datasets and the job server of MorphicLab.
@main
struct Morphic: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "morphic",
        abstract: "Synthetic time-series datasets from a toy morphic field: Game of Life plus memory crystals.",
        subcommands: [
            ServeCommand.self, RunCommand.self, SweepCommand.self, MergeCommand.self, FeaturesCommand.self, FramesCommand.self,
            InferCommand.self, CalibrateCommand.self,
            BenchCommand.self,
        ]
    )

    /// Parses and runs the subcommand; a usage error it finds while running (a path that is
    /// a file, a run that does not exist) shows that subcommand's usage, not the root's.
    static func main() {
        let command: any ParsableCommand
        do {
            command = try parseAsRoot()
        } catch {
            exit(withError: error)
        }
        do {
            var running = command
            try running.run()
        } catch let error as CocoaError {
            // A file error of Foundation's: the file and the system's reason, not its domain,
            // code and user-info dump.
            FileHandle.standardError.write(Data(("Error: " + FileError.message(of: error) + "\n").utf8))
            Foundation.exit(1)
        } catch {
            let subcommand = type(of: command)
            let name = subcommand.configuration.commandName ?? ""
            // The subcommand's usage, named as it is typed: "morphic sweep", not "sweep".
            let message = subcommand.fullMessage(for: error)
                .replacingOccurrences(of: "Usage: \(name) ", with: "Usage: morphic \(name) ")
                .replacingOccurrences(of: "'\(name) --help'", with: "'morphic \(name) --help'")
            if !message.isEmpty { FileHandle.standardError.write(Data((message + "\n").utf8)) }
            Foundation.exit(subcommand.exitCode(for: error).rawValue)
        }
    }
}
