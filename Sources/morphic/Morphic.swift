import ArgumentParser

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
}
