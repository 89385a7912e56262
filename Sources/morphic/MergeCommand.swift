import ArgumentParser
import MorphicData

/// `morphic merge DIR... --output DIR`: shard folders into one dataset.
struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Join the folders of a sweep's shards into one dataset with manifest, CSVs and archive.",
        discussion: """
            Refuses folders of different sweeps or model versions, and runs that are missing \
            from every folder, present in two, or not as the definition plans them. Leaves the \
            dataset in the output folder as dataset.tar.gz holds it, one <run_id>.json per run \
            (--packed: the records stay in packs, records/).

            Example: morphic merge shard-0 shard-1 shard-2 --output dataset
            """
    )

    @Argument(help: "Shard folders written by 'morphic sweep --shard'.")
    var folders: [String]

    @Option(help: "Folder for the merged dataset.")
    var output: String

    @Flag(help: "Keep the records in packs (records/) rather than one <run_id>.json per run.")
    var packed = false

    @OptionGroup(title: "Limits") var limits: LimitOptions

    func validate() throws {
        guard !folders.isEmpty else { throw ValidationError("give at least one shard folder") }
    }

    func run() throws {
        Interruption.removesTemporaries()
        for folder in folders { try DatasetFolder.requireFolder(folder) }
        try DatasetFolder.requireOutputFolder(output)
        let into = SweepFolder(path: output)
        let definition = try DatasetMerge.merge(
            folders.map(SweepFolder.init(path:)), into: into, limits: limits.limits, packed: packed
        ) { note("another process is writing the dataset of \(into.path); waiting for it to finish") }
        note("\(definition.id): \(definition.runs.count.runs) → \(into.path)/\(Dataset.archiveName)")
    }
}
