/// A parameter that cannot be used, naming the key and what it allows.
public struct ConfigurationError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The parameter's key (`field_strength`), or the name of whatever else was wrong.
    public let key: String
    /// What is wrong, for a person.
    public let message: String

    /// Creates an error about `key`.
    public init(key: String, message: String) {
        self.key = key
        self.message = message
    }

    /// The error for an unknown key.
    public static func unknownKey(_ key: String) -> ConfigurationError {
        ConfigurationError(key: key, message: "unknown parameter '\(key.quotedInMessage)'")
    }

    /// The error for a value outside what `key` allows.
    public static func invalid(_ key: ParameterKey, _ shown: String) -> ConfigurationError {
        ConfigurationError(key: key.rawValue, message: "\(key.rawValue) must be \(key.allowed), not \(shown.quotedInMessage)")
    }

    /// `key: message`.
    public var description: String { message }
}
