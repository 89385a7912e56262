/// How a finished sweep folder keeps its run records (`morphic sweep` and `morphic merge`).
public enum RecordLayout: Sendable {
    /// One `<run_id>.json` a run, as the archive holds them: the default.
    case oneFileARun
    /// In packs, `records/` (`--packed`): a thousand files for a million runs.
    case packed
}
