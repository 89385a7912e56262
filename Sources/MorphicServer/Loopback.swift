/// Which host names mean this machine. A tokenless server answers only those (and the
/// names it is configured for), so a page on another name that DNS rebinds to 127.0.0.1 is
/// refused: the check is on the exact spelling, never a prefix, because `127.evil.example`
/// and `127.0.0.1.evil.example` are names an attacker owns.
enum Loopback {
    /// Whether `name` (a Host without its port, lower-cased) is `localhost`, a name under
    /// `.localhost` (RFC 6761 §6.3 keeps it on this machine), `[::1]` or an address of
    /// 127.0.0.0/8 written as a dotted quad of decimal octets 0-255.
    static func isLoopback(_ name: String) -> Bool {
        if name == "localhost" || name == "[::1]" { return true }
        if name.hasSuffix(".localhost") { return isHostName(name) }
        guard let octets = dottedQuad(name) else { return false }
        return octets[0] == 127
    }

    /// The four octets of a strict dotted quad: exactly four parts of one to three decimal
    /// digits, each 0-255. No other form the resolver may accept (`127.1`, hex, octal with a
    /// leading zero, a trailing dot) counts, since none is what a browser sends for an
    /// address.
    static func dottedQuad(_ name: String) -> [Int]? {
        let parts = name.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var octets: [Int] = []
        for part in parts {
            guard (1...3).contains(part.count), part.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                part.count == 1 || part.first != 0x30
            else { return nil }
            let value = part.reduce(0) { $0 * 10 + Int($1 - 0x30) }
            guard value <= 255 else { return nil }
            octets.append(value)
        }
        return octets
    }

    /// Whether `name` is made of DNS labels (letters, digits, dashes) and dots, with no
    /// empty label: `a..localhost` or `%00.localhost` are not names.
    private static func isHostName(_ name: String) -> Bool {
        let labels = name.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            !label.isEmpty && label.count <= 63
                && label.allSatisfy {
                    ($0 >= 0x61 && $0 <= 0x7A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: "-")
                }
        }
    }
}
