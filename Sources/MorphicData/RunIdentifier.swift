/// Run ids become file names, so they are kept to a safe alphabet.
public enum RunIdentifier {
    /// Longest id: the file name then fits one ustar header field with room to spare.
    public static let maximumLength = 64

    /// The rule, as error messages state it.
    public static let rule = "must be 1-64 characters of letters, digits, '_', '-' and '.', not starting with '.'"

    /// Whether `id` can name a run and its file.
    public static func isValid(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= maximumLength && !id.hasPrefix(".")
            && id.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "."):
                    true
                default: false
                }
            }
    }
}
