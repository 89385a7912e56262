/// A parameter value as a user wrote it, before it is checked against its key.
public enum ParameterValue: Hashable, Sendable {
    /// A number as written (`5`, `0.25`, `1e-3`), so that 64-bit seeds keep every digit.
    case number(String)
    /// A name or notation (`morphic`, `B3/S23`).
    case text(String)

    /// Whether the number `literal` is written with a minus sign and a digit other than 0
    /// before its exponent: negative, whatever its value reads as (`-1e-400` reads as −0,
    /// and a zero written with its sign, `-0.0`, is zero).
    public static func isWrittenNegative(_ literal: String) -> Bool {
        literal.hasPrefix("-") && literal.prefix { $0 != "e" && $0 != "E" }.contains { ("1"..."9").contains($0) }
    }
}
