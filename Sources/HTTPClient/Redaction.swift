/// Keeps secrets out of messages that end up in files, logs and API answers: known
/// secrets are replaced, a URL's user information is dropped, and text from a remote
/// server is reduced to a short line of printable characters.
public enum Redaction {
    /// Longest message kept from a remote server.
    public static let maximumMessage = 200

    /// `text` with every secret of 4 or more characters replaced by `[redacted]`, URL user
    /// information removed, control characters turned into spaces, and at most `limit`
    /// characters.
    public static func clean(_ text: String, secrets: [String] = [], limit: Int = maximumMessage) -> String {
        var result = withoutUserInfo(text)
        for secret in secrets where secret.count >= 4 {
            result = result.split(separator: secret, omittingEmptySubsequences: false).joined(separator: "[redacted]")
        }
        let printable = String(
            String.UnicodeScalarView(result.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : $0 }))
        return printable.count > limit ? String(printable.prefix(limit)) + "…" : printable
    }

    /// `text` with `user:password@` removed from every `scheme://` URL in it.
    public static func withoutUserInfo(_ text: String) -> String {
        var result = ""
        var rest = Substring(text)
        while let scheme = rest.firstRange(of: "://") {
            result += rest[..<scheme.upperBound]
            rest = rest[scheme.upperBound...]
            let authorityEnd = rest.firstIndex { "/?# \n\t\"'".contains($0) } ?? rest.endIndex
            if let at = rest[..<authorityEnd].lastIndex(of: "@") {
                result += "***@"
                rest = rest[rest.index(after: at)...]
            }
        }
        return result + rest
    }
}
