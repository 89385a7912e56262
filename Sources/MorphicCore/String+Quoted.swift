extension String {
    /// This text as an error message quotes something written: whole up to 40 characters,
    /// else its first 24 and last 8 around "…", so that a megabyte written by mistake does
    /// not come back as a megabyte of error; control characters (a line break in a name)
    /// written as escapes (`\u{A}`), so that it stays on its line.
    public var quotedInMessage: String {
        let short = count <= 40 ? self : String(prefix(24)) + "…" + String(suffix(8))
        guard short.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return short }
        return short.unicodeScalars.map {
            $0.properties.generalCategory == .control ? "\\u{" + String($0.value, radix: 16, uppercase: true) + "}" : String($0)
        }.joined()
    }
}
