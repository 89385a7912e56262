/// What decides a cell's fate besides the Life rule.
public enum Mode: String, CaseIterable, Sendable {
    /// The Life rule alone: the control.
    case classical
    /// Memory crystals pull similar neighbourhoods toward their habits (docs/model.md section 4).
    case morphic
    /// A language model's rule table, followed with probability `field_strength` (section 7).
    case llmControl = "llm_control"

    /// Parses a mode name; `control` is accepted as `classical`.
    public init?(name: String) {
        if name == "control" {
            self = .classical
        } else {
            self.init(rawValue: name)
        }
    }
}
