extension String {
    /// This text as an error message quotes something written: whole up to 40 characters,
    /// else its first 24 and last 8 around "…", so that a megabyte written by mistake does
    /// not come back as a megabyte of error.
    public var quotedInMessage: String {
        count <= 40 ? self : String(prefix(24)) + "…" + String(suffix(8))
    }
}
