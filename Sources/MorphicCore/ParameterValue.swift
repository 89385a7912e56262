/// A parameter value as a user wrote it, before it is checked against its key.
public enum ParameterValue: Hashable, Sendable {
    /// A number as written (`5`, `0.25`, `1e-3`), so that 64-bit seeds keep every digit.
    case number(String)
    /// A name or notation (`morphic`, `B3/S23`).
    case text(String)
}
