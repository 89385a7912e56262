/// The fate of a cell for each of the 512 possible 3×3 neighbourhoods.
///
/// Neighbourhood bit `(dy+1)*3 + (dx+1)` holds the cell at `(x+dx, y+dy)`; the centre is bit 4.
/// Both Life-like rules and the language model's answers (docs/model.md section 7) are tables.
public struct RuleTable: Hashable, Sendable {
    /// Entry n is 1 when the centre of neighbourhood n is alive next, else 0.
    public let entries: [UInt8]

    /// Builds a table by asking `alive` about every neighbourhood.
    public init(_ alive: (Int) -> Bool) {
        entries = (0..<512).map { alive($0) ? 1 : 0 }
    }

    /// Parses 512 characters of `0` and `1`, character n answering neighbourhood n.
    public init?(bits: String) {
        let scalars = Array(bits.utf8)
        guard scalars.count == 512, scalars.allSatisfy({ $0 == 0x30 || $0 == 0x31 }) else { return nil }
        entries = scalars.map { $0 - 0x30 }
    }

    /// 512 characters of `0` and `1`.
    public var bits: String {
        String(decoding: entries.map { $0 + 0x30 }, as: UTF8.self)
    }
}
