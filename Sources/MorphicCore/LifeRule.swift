/// A Life-like rule in B/S notation, such as Conway's `B3/S23`.
public struct LifeRule: Hashable, Sendable, CustomStringConvertible {
    /// Bit n set: a dead cell with n live neighbours is born.
    public let birth: UInt16
    /// Bit n set: a live cell with n live neighbours survives.
    public let survival: UInt16

    /// Conway's Game of Life.
    public static let conway = LifeRule(birth: 1 << 3, survival: 1 << 2 | 1 << 3)

    /// Creates a rule from neighbour-count masks (bits 0...8).
    public init(birth: UInt16, survival: UInt16) {
        self.birth = birth & 0x1FF
        self.survival = survival & 0x1FF
    }

    /// Parses `B<digits>/S<digits>` (case-insensitive, digits 0-8 in any order, each once).
    /// Returns nil for anything else.
    public init?(notation: String) {
        let parts = notation.uppercased().split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].first == "B", parts[1].first == "S",
            let birth = Self.mask(parts[0].dropFirst()),
            let survival = Self.mask(parts[1].dropFirst())
        else { return nil }
        self.init(birth: birth, survival: survival)
    }

    private static func mask(_ digits: Substring) -> UInt16? {
        var mask: UInt16 = 0
        for character in digits {
            guard let digit = character.wholeNumberValue, (0...8).contains(digit),
                mask & (1 << digit) == 0, character.isASCII
            else { return nil }
            mask |= 1 << digit
        }
        return mask
    }

    /// The canonical notation, digits ascending: `B3/S23`.
    public var description: String {
        func digits(_ mask: UInt16) -> String {
            (0...8).filter { mask & (1 << $0) != 0 }.map(String.init).joined()
        }
        return "B\(digits(birth))/S\(digits(survival))"
    }

    /// This rule as a table over all 512 3×3 neighbourhoods.
    public var table: RuleTable {
        RuleTable { window in
            let neighbours = (window & ~0x10).nonzeroBitCount
            let alive = window & 0x10 != 0
            return (alive ? survival : birth) & (1 << neighbours) != 0
        }
    }
}
