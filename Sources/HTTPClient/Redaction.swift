/// Keeps secrets out of messages that end up in files, logs and API answers: every known
/// secret is replaced in every form an echo can give it, a URL's user information is
/// dropped, and text from a remote server is reduced to a short line of printable
/// characters.
///
/// Cleaning comes first and cutting after, in one pass: a secret that straddles the cut is
/// still found whole, so no part of it is kept. The forms looked for, of each secret and
/// of its base64 (standard and URL-safe alphabets, padded or not, at each of the three
/// alignments it can take inside a longer base64 text, such as `Basic dXNlcjpwdw==` or the
/// base64 of a whole `Authorization` line): each byte as itself, percent-encoded (`%2F`,
/// `%2f`), JSON- or C-escaped (`\/`, `\u002F`, `\x2f`), as an HTML character reference
/// (`&#47;`, `&#x2F;`), and a space also as `+`, in any mixture; and each secret as hex
/// digits (`736b2d…`, `736B2D…`), as a hex dump writes it. Of a secret of 12 bytes or
/// more, any run of a third of its bytes (from 6 to 10) is replaced too, as an echo quoting
/// a key's first or last characters writes it. A replacement already made is left as it is, so a
/// message cleaned twice reads as one cleaned once.
public struct Redaction: Sendable {
    /// Most characters kept of what a remote server says: an error body, an answer that
    /// cannot be read, libcurl's message. 200.
    public static let maximumQuote = 200
    /// Most characters of a whole message built around such a quote. 1,000.
    public static let maximumMessage = 1000
    /// What a secret is replaced by.
    public static let replacement = "[redacted]"
    private static let replacementBytes = Array(replacement.utf8)
    /// Shortest encoded form looked for: shorter ones are as likely to be ordinary text.
    /// The secret itself is looked for at any length.
    static let shortestForm = 4

    /// Byte patterns to replace, longest first.
    private let forms: [[UInt8]]
    /// The secrets of ``shortestPartOf`` bytes or more and no white space (a key, not a
    /// header's `Bearer …`), whose parts are looked for too.
    private let longSecrets: [[UInt8]]
    /// Every run of ``shortestPart`` bytes of a long secret, where a part of it may start.
    private let partStarts: Set<[UInt8]>
    /// Fewest bytes of any secret taken for a part of it: an echo that quotes a key's first
    /// or last characters (`invalid api key: sk-proj-AbCdEf…`) gives it away as the whole
    /// does. A part must also be a third of its secret, up to 10 bytes (``shortestPart(of:)``):
    /// shorter runs of a key are as likely to be ordinary text, and some providers quote a
    /// key's last four themselves.
    static let shortestPart = 6
    /// Shortest secret whose parts are looked for. 12.
    static let shortestPartOf = 12

    /// The fewest bytes of `secret` taken for a part of it: a third of it, from 6 to 10.
    static func shortestPart(of secret: [UInt8]) -> Int { min(10, max(shortestPart, secret.count / 3)) }

    /// A redaction of `secrets` (empty ones are ignored).
    public init(secrets: [String]) {
        var forms: Set<[UInt8]> = []
        for secret in secrets where !secret.isEmpty {
            let bytes = Array(secret.utf8)
            forms.insert(bytes)
            for digits in [Self.lowerHex, Self.upperHex] where 2 * bytes.count >= Self.shortestForm {
                forms.insert(bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] })
            }
            let padded = Self.base64(bytes, alphabet: Self.standard, padded: true)
            for encoded in Self.base64Forms(of: bytes) + Self.base64Forms(of: padded)
            where encoded.count >= Self.shortestForm {
                forms.insert(encoded)
            }
        }
        self.forms = forms.sorted { $0.count > $1.count }
        longSecrets = secrets.map { Array($0.utf8) }.filter { bytes in
            bytes.count >= Self.shortestPartOf && !bytes.contains { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        }
        partStarts = Set(
            longSecrets.flatMap { bytes in
                (0...(bytes.count - Self.shortestPart)).map { Array(bytes[$0..<$0 + Self.shortestPart]) }
            })
    }

    /// Where the longest part (``shortestPart`` bytes or more) of a long secret written at
    /// `start` of `text` ends; nil when none is.
    private func partEnd(in text: [UInt8], at start: Int) -> Int? {
        guard start + Self.shortestPart <= text.count,
            partStarts.contains(Array(text[start..<start + Self.shortestPart]))
        else { return nil }
        var end: Int?
        for secret in longSecrets {
            for offset in 0...(secret.count - Self.shortestPart)
            where text[start..<start + Self.shortestPart].elementsEqual(secret[offset..<offset + Self.shortestPart]) {
                // On to the secret's end as ``match(_:in:at:)`` reads it: a part broken by a
                // line's end leaves no shorter part of it after the break.
                var index = start + Self.shortestPart
                var matched = Self.shortestPart
                for byte in secret[(offset + Self.shortestPart)...] {
                    if let next = Self.matchByte(byte, in: text, at: index) {
                        index = next
                    } else if case let after = Self.skipBreaks(text, from: index), after > index,
                        let next = Self.matchByte(byte, in: text, at: after)
                    {
                        index = next
                    } else {
                        break
                    }
                    matched += 1
                }
                // Long enough a part of this secret, counted in its own bytes.
                if matched >= Self.shortestPart(of: secret) { end = max(end ?? index, index) }
            }
        }
        return end
    }

    /// Nothing but user information, control characters and length.
    public static let none = Redaction(secrets: [])

    /// The secrets a credential header's value holds: the value, its credential without the
    /// scheme word, and for `Basic` the decoded `user:password` and the password.
    public static func secrets(ofCredential value: String) -> [String] {
        var secrets = [value]
        let words = value.split(separator: " ", maxSplits: 1)
        guard words.count == 2 else { return secrets }
        let credential = String(words[1]).trimmingPrefixAndSuffixSpaces
        secrets.append(credential)
        if words[0].lowercased() == "basic", let decoded = decodeBase64(credential) {
            let pair = String(decoding: decoded, as: UTF8.self)
            secrets.append(pair)
            if let colon = pair.firstIndex(of: ":") { secrets.append(String(pair[pair.index(after: colon)...])) }
        }
        return secrets
    }

    /// `text` with every secret replaced by ``replacement``, URL user information removed,
    /// control characters turned into spaces, and then at most `limit` characters (and `…`
    /// when more was cut).
    public func clean(_ text: String, limit: Int = Redaction.maximumQuote) -> String {
        clean(bytes: Array(text.utf8), limit: limit)
    }

    /// Like ``clean(_:limit:)``, of bytes read as UTF-8 (an invalid byte reads as U+FFFD).
    public func clean(bytes text: [UInt8], limit: Int = Redaction.maximumQuote) -> String {
        var output = String.UnicodeScalarView()
        var count = 0
        var index = 0
        // One character past the limit shows that something is cut; each step adds at
        // least one, so a long text costs no more than its kept part.
        while index < text.count && count <= limit {
            if text[index] == UInt8(ascii: ":"), Self.startsURLAuthority(text, index) {
                output.append(contentsOf: "://".unicodeScalars)
                count += 3
                index += 3
                var end = index
                var at: Int?
                while end < text.count, !Self.authorityEnds.contains(text[end]) {
                    if text[end] == UInt8(ascii: "@") { at = end }
                    end += 1
                }
                if let at {
                    output.append(contentsOf: "***@".unicodeScalars)
                    count += 4
                    index = at + 1
                }
                continue
            }
            // A replacement already made is kept as it is: a message cleaned twice (a client's
            // error, quoted in a run's) would otherwise have a short secret found in it.
            if Self.replacementBytes.count <= text.count - index,
                text[index..<index + Self.replacementBytes.count].elementsEqual(Self.replacementBytes)
            {
                output.append(contentsOf: Self.replacement.unicodeScalars)
                count += Self.replacement.unicodeScalars.count
                index += Self.replacementBytes.count
                continue
            }
            if let end = forms.lazy.compactMap({ Self.match($0, in: text, at: index) }).first
                ?? partEnd(in: text, at: index)
            {
                output.append(contentsOf: Self.replacement.unicodeScalars)
                count += Self.replacement.unicodeScalars.count
                index = end
                continue
            }
            let (scalar, length) = Self.scalar(in: text, at: index)
            output.append(Self.isControl(scalar) ? " " : scalar)
            count += 1
            index += length
        }
        guard count > limit || index < text.count else { return String(output) }
        return String(String.UnicodeScalarView(output.prefix(limit))) + "…"
    }

    /// `text` cleaned of `secrets` (see ``clean(_:limit:)``).
    public static func clean(_ text: String, secrets: [String] = [], limit: Int = maximumQuote) -> String {
        Redaction(secrets: secrets).clean(text, limit: limit)
    }

    /// `text` with `user:password@` removed from every `scheme://` URL in it.
    public static func withoutUserInfo(_ text: String) -> String {
        var result = ""
        var rest = Substring(text)
        while let scheme = rest.firstRange(of: "://") {
            result += rest[..<scheme.upperBound]
            rest = rest[scheme.upperBound...]
            let authorityEnd = rest.firstIndex { "/?#\\ \n\t\"'<>".contains($0) } ?? rest.endIndex
            if let at = rest[..<authorityEnd].lastIndex(of: "@") {
                result += "***@"
                rest = rest[rest.index(after: at)...]
            }
        }
        return result + rest
    }

    // MARK: Forms

    static let standard = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    static let urlSafe = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    static let lowerHex = Array("0123456789abcdef".utf8)
    static let upperHex = Array("0123456789ABCDEF".utf8)

    /// The base64 forms of `bytes`: whole (padded and not), and for each alignment the
    /// characters that depend on `bytes` alone, as they appear inside a longer base64 text.
    static func base64Forms(of bytes: [UInt8]) -> [[UInt8]] {
        var forms: [[UInt8]] = []
        for alphabet in [standard, urlSafe] {
            forms.append(base64(bytes, alphabet: alphabet, padded: true))
            forms.append(base64(bytes, alphabet: alphabet, padded: false))
            for shift in 0..<3 {
                // Character k covers bits [6k, 6k+6); the secret holds bits [8·shift, 8·(shift+n)).
                let encoded = base64(
                    Array(repeating: 0, count: shift) + bytes + [0, 0], alphabet: alphabet, padded: false)
                let first = (8 * shift + 5) / 6
                let last = (8 * (shift + bytes.count)) / 6 - 1
                if first <= last && last < encoded.count { forms.append(Array(encoded[first...last])) }
            }
        }
        return forms
    }

    static func base64(_ bytes: [UInt8], alphabet: [UInt8], padded: Bool) -> [UInt8] {
        var output: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let chunk = bytes[index..<min(index + 3, bytes.count)]
            var group = 0
            for (offset, byte) in chunk.enumerated() { group |= Int(byte) << (16 - 8 * offset) }
            for position in 0..<4 {
                if position <= chunk.count {
                    output.append(alphabet[(group >> (18 - 6 * position)) & 63])
                } else if padded {
                    output.append(UInt8(ascii: "="))
                }
            }
            index += 3
        }
        return output
    }

    static func decodeBase64(_ text: String) -> [UInt8]? {
        var bits = 0
        var count = 0
        var output: [UInt8] = []
        for byte in text.utf8 where byte != UInt8(ascii: "=") {
            guard let value = standard.firstIndex(of: byte) ?? urlSafe.firstIndex(of: byte) else { return nil }
            bits = (bits << 6) | value
            count += 6
            if count >= 8 {
                count -= 8
                output.append(UInt8((bits >> count) & 0xFF))
            }
        }
        return output
    }

    // MARK: Matching

    /// Where `pattern` ends when it is written at `start` of `text`, each byte as itself or
    /// escaped; nil when it is not there. A form of ``shortestBroken`` bytes or more may be
    /// broken by white space or line breaks (as themselves or JSON-escaped) between its bytes,
    /// as an echo wrapped to a line's width, or split to pass a filter, writes it.
    static func match(_ pattern: [UInt8], in text: [UInt8], at start: Int) -> Int? {
        var index = start
        let breakable = pattern.count >= shortestBroken
        for (offset, byte) in pattern.enumerated() {
            if let next = matchByte(byte, in: text, at: index) {
                index = next
            } else if breakable && offset > 0, case let after = skipBreaks(text, from: index), after > index,
                let next = matchByte(byte, in: text, at: after)
            {
                index = next
            } else {
                return nil
            }
        }
        return index
    }

    /// Shortest form looked for broken by white space: shorter ones broken so are as likely
    /// to be ordinary words.
    static let shortestBroken = 8

    /// Past the white space and line breaks at `start` (spaces, tabs, CR, LF, and `\n`,
    /// `\r`, `\t` as JSON writes them).
    private static func skipBreaks(_ text: [UInt8], from start: Int) -> Int {
        var index = start
        while index < text.count {
            switch text[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            case UInt8(ascii: "\\") where index + 1 < text.count && "nrt".utf8.contains(text[index + 1]): index += 2
            default: return index
            }
        }
        return index
    }

    private static func matchByte(_ byte: UInt8, in text: [UInt8], at index: Int) -> Int? {
        guard index < text.count else { return nil }
        let first = text[index]
        if first == byte { return index + 1 }
        switch first {
        case UInt8(ascii: "+") where byte == UInt8(ascii: " "):
            return index + 1
        case UInt8(ascii: "%"):
            return hex(text, from: index + 1, digits: 2) == Int(byte) ? index + 3 : nil
        case UInt8(ascii: "\\") where index + 1 < text.count:
            switch text[index + 1] {
            case byte where "/\"\\'".utf8.contains(byte): return index + 2
            case UInt8(ascii: "u") where byte < 0x80:
                return hex(text, from: index + 2, digits: 4) == Int(byte) ? index + 6 : nil
            case UInt8(ascii: "x"): return hex(text, from: index + 2, digits: 2) == Int(byte) ? index + 4 : nil
            default: return nil
            }
        case UInt8(ascii: "&") where byte < 0x80 && index + 1 < text.count && text[index + 1] == UInt8(ascii: "#"):
            // &#47; or &#x2F;, leading zeros allowed.
            var position = index + 2
            let isHex = position < text.count && (text[position] | 0x20) == UInt8(ascii: "x")
            if isHex { position += 1 }
            var value = 0
            var digits = 0
            while position < text.count, digits < 8, let digit = digitValue(text[position], hex: isHex) {
                value = value * (isHex ? 16 : 10) + digit
                digits += 1
                position += 1
            }
            guard digits > 0, position < text.count, text[position] == UInt8(ascii: ";"), value == Int(byte) else {
                return nil
            }
            return position + 1
        default:
            return nil
        }
    }

    private static func hex(_ text: [UInt8], from start: Int, digits: Int) -> Int? {
        guard start + digits <= text.count else { return nil }
        var value = 0
        for index in start..<start + digits {
            guard let digit = digitValue(text[index], hex: true) else { return nil }
            value = value * 16 + digit
        }
        return value
    }

    private static func digitValue(_ byte: UInt8, hex: Bool) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f") where hex: Int(byte - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F") where hex: Int(byte - UInt8(ascii: "A")) + 10
        default: nil
        }
    }

    // MARK: Text

    private static let authorityEnds = Set("/?#\\ \t\r\n\"'<>".utf8)

    private static func startsURLAuthority(_ text: [UInt8], _ index: Int) -> Bool {
        index + 2 < text.count && text[index + 1] == UInt8(ascii: "/") && text[index + 2] == UInt8(ascii: "/")
    }

    /// Control characters, line separators and bidirectional overrides: none may break a
    /// log line or disguise what a message says.
    private static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0..<0x20, 0x7F...0x9F, 0x2028...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    /// The scalar at `index` of UTF-8 `text` and its length; U+FFFD and 1 for a byte that
    /// does not start a valid sequence.
    private static func scalar(in text: [UInt8], at index: Int) -> (Unicode.Scalar, Int) {
        let lead = text[index]
        let length: Int
        switch lead {
        case 0..<0x80: return (Unicode.Scalar(lead), 1)
        case 0xC2...0xDF: length = 2
        case 0xE0...0xEF: length = 3
        case 0xF0...0xF4: length = 4
        default: return ("\u{FFFD}", 1)
        }
        guard index + length <= text.count else { return ("\u{FFFD}", 1) }
        var value = UInt32(lead) & (0xFF >> (length + 1))
        for offset in 1..<length {
            let next = text[index + offset]
            guard next & 0xC0 == 0x80 else { return ("\u{FFFD}", 1) }
            value = value << 6 | UInt32(next & 0x3F)
        }
        let shortest: UInt32 = length == 2 ? 0x80 : length == 3 ? 0x800 : 0x10000
        guard value >= shortest, let scalar = Unicode.Scalar(value) else { return ("\u{FFFD}", 1) }
        return (scalar, length)
    }
}

extension String {
    fileprivate var trimmingPrefixAndSuffixSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
