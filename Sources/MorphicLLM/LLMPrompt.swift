import HTTPClient
import MorphicData

/// The prompt that asks a language model for part of a rule table. Its version is part of
/// the cache key: changing the text means a new version, so old answers are not reused.
///
/// Version `morphic-llm-rule/1`: the 512 neighbourhoods are asked in batches of 64. Each
/// neighbourhood is shown as its index and three rows of `#` (alive) and `.` (dead), top
/// row first; bit `(dy+1)*3 + (dx+1)` of the index is the cell at `(x+dx, y+dy)`, the
/// centre is bit 4. The model answers with exactly one digit per neighbourhood, in order:
/// 1 when the centre is alive in the next step, 0 when it is dead.
public enum LLMPrompt {
    /// Identifies this prompt's text.
    public static let version = "morphic-llm-rule/1"
    /// Neighbourhoods per request.
    public static let batchSize = 64

    static let system = """
        You are the rule of a two-state cellular automaton on a square grid. You will be shown \
        3x3 neighbourhoods: '#' is a live cell, '.' a dead one; the centre of each is the cell \
        being decided. For each neighbourhood, decide whether its centre cell is alive in the \
        next step. Answer with only digits, one per neighbourhood, in the order shown: 1 for \
        alive, 0 for dead. No other text.
        """

    /// The chat-completions request body for neighbourhoods `indices`.
    static func body(model: String, indices: Range<Int>) -> [UInt8] {
        var user = "Neighbourhoods: " + indices.map(String.init).joined(separator: ",") + "\n\n"
        for index in indices {
            user += "#\(index)\n"
            for row in 0..<3 {
                user += String((0..<3).map { column in index >> (row * 3 + column) & 1 == 1 ? "#" : "." }) + "\n"
            }
        }
        user += "\nAnswer with exactly \(indices.count) digits (0 or 1), one per neighbourhood, in order."
        return JSON.object([
            "model": .string(model),
            "temperature": .int(0),
            "messages": .array([
                .object(["role": .string("system"), "content": .string(system)]),
                .object(["role": .string("user"), "content": .string(user)]),
            ]),
        ]).compactBytes
    }

    /// The digits of a chat-completions response, strictly: exactly `count` of `0`/`1`
    /// once whitespace is removed. An answer quoted in the error is cleaned by `redaction`
    /// first and cut after.
    static func answers(_ response: [UInt8], count: Int, redaction: Redaction = .none) throws(LLMError) -> [UInt8] {
        guard let json = try? JSONParser.parse(response),
            let content = json["choices"]?.elements?.first?["message"]?["content"]?.stringValue
        else { throw LLMError("the response is not a chat completion with a message") }
        let digits = content.filter { !$0.isWhitespace }
        guard digits.allSatisfy({ $0 == "0" || $0 == "1" }) else {
            throw LLMError("the answer has characters other than 0 and 1: \"\(redaction.clean(content))\"")
        }
        guard digits.count == count else {
            throw LLMError("the answer has \(digits.count) digits, not \(count)")
        }
        return digits.map { $0 == "1" ? 1 : 0 }
    }
}
