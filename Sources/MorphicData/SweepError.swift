import MorphicCore

/// Why a sweep definition was refused, naming the offending field as a path into the
/// definition (`groups[1].grid.field_strength`).
public struct SweepError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The field, as a path; empty when the document as a whole is wrong.
    public let field: String
    /// What is wrong, for a person.
    public let message: String
    /// Whether the limits of the server, rather than the definition's own content, refused it.
    public let isOverLimit: Bool
    /// Whether the document is not JSON at all.
    public let isMalformed: Bool

    /// Creates an error about `field`.
    public init(field: String, message: String, isOverLimit: Bool = false, isMalformed: Bool = false) {
        // A name in the path is as written, up to a sensible length (``Swift/String/quotedInMessage``).
        self.field = field.split(separator: ".", omittingEmptySubsequences: false).map { String($0).quotedInMessage }
            .joined(separator: ".")
        self.message = message
        self.isOverLimit = isOverLimit
        self.isMalformed = isMalformed
    }

    /// `field: message`.
    public var description: String { field.isEmpty ? message : "\(field): \(message)" }
}
