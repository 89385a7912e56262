/// A complete HTTP/1.1 request.
public struct HTTPRequest: Sendable {
    /// The method, as sent (methods are case-sensitive).
    public var method: String
    /// The request target as sent: path and query.
    public var target: String
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    public var minorVersion: Int
    /// Header fields in order, names as sent.
    public var headers: [(name: String, value: String)]
    /// The body, decoded from its transfer coding.
    public var body: [UInt8]
    /// The host of an absolute-form target (`GET http://host/path`), which replaces the
    /// Host field (RFC 9112 §3.2.2); nil for the usual origin form.
    public var authority: String?
    /// The address of the client that sent it, as text (empty when unknown): what a
    /// per-client share of heavy work is counted by.
    public var peer = ""

    /// Creates a request.
    public init(
        method: String, target: String, minorVersion: Int = 1, headers: [(name: String, value: String)] = [],
        body: [UInt8] = []
    ) {
        self.method = method
        self.target = target
        self.minorVersion = minorVersion
        self.headers = headers
        self.body = body
    }

    /// The first field named `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { Self.equalIgnoringCase($0.name, name) }?.value
    }

    /// How many fields are named `name` (case-insensitive): a field that must be single is
    /// refused or ignored when given twice, never guessed between.
    public func count(of name: String) -> Int {
        headers.lazy.filter { Self.equalIgnoringCase($0.name, name) }.count
    }

    /// Whether two strings are equal but for the case of ASCII letters; no allocation, since
    /// every request looks up several fields.
    public static func equalIgnoringCase(_ a: String, _ b: String) -> Bool {
        let same = { (x: UInt8, y: UInt8) in
            x == y || (x | 0x20 == y | 0x20 && (x | 0x20) >= UInt8(ascii: "a") && (x | 0x20) <= UInt8(ascii: "z"))
        }
        // Lengths first, then the contiguous bytes when both have them: the generic walk
        // over two strings' indices was a visible part of every request.
        guard a.utf8.count == b.utf8.count else { return false }
        let compared = a.utf8.withContiguousStorageIfAvailable { x in
            b.utf8.withContiguousStorageIfAvailable { y in x.elementsEqual(y, by: same) }
        }
        if case .some(.some(let result)) = compared { return result }
        return a.utf8.elementsEqual(b.utf8, by: same)
    }

    /// The host the client addressed: the absolute target's authority, else the Host field.
    public var host: String? { authority ?? header("Host") }

    /// The path part of the target, percent-decoding left to the router.
    public var path: String {
        let bytes = target.utf8
        // Searched in the contiguous bytes: the generic search steps a String index a byte at a time.
        if let mark = bytes.withContiguousStorageIfAvailable({ $0.firstIndex(of: UInt8(ascii: "?")) }) {
            guard let mark else { return target }
            return String(Substring(bytes.prefix(mark)))
        }
        return String(Substring(bytes[..<(bytes.firstIndex(of: UInt8(ascii: "?")) ?? bytes.endIndex)]))
    }

    /// Whether the connection stays open after this request (RFC 9112 §9.3).
    public var keepAlive: Bool {
        let connection = header("Connection")?.lowercased() ?? ""
        let tokens = connection.split(separator: ",").map { $0.trimmingCharacters(in: " \t") }
        if tokens.contains("close") { return false }
        return minorVersion >= 1 || tokens.contains("keep-alive")
    }

    /// Whether the client accepts a gzip-coded response: `gzip` (or `*`) listed with a
    /// quality above zero (RFC 9110 §12.5.3; `q=0.0` refuses as `q=0` does).
    public var acceptsGzip: Bool {
        guard let accepted = header("Accept-Encoding")?.lowercased() else { return false }
        var gzip: Double?
        var any: Double?
        for coding in accepted.split(separator: ",") {
            let parts = coding.split(separator: ";").map { $0.trimmingCharacters(in: " \t") }
            guard let name = parts.first else { continue }
            var quality = 1.0
            for parameter in parts.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: " \t") }
                if pair.count == 2, pair[0] == "q" { quality = Double(pair[1]).map { min(1, max(0, $0)) } ?? 0 }
            }
            if name == "gzip" || name == "x-gzip" { gzip = quality } else if name == "*" { any = quality }
        }
        return (gzip ?? any ?? 0) > 0
    }

    /// Decodes `%XX` escapes; nil when an escape is malformed or the result is not UTF-8.
    public static func percentDecoded(_ text: String) -> String? {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next()?.hexDigitValue, let low = iterator.next()?.hexDigitValue else { return nil }
                bytes.append(high << 4 | low)
            } else {
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }
}

extension StringProtocol {
    /// Removes leading and trailing characters of `set`.
    func trimmingCharacters(in set: String) -> String {
        let characters = Array(self)
        var start = 0
        var end = characters.count
        while start < end && set.contains(characters[start]) { start += 1 }
        while end > start && set.contains(characters[end - 1]) { end -= 1 }
        return String(characters[start..<end])
    }
}
