import Foundation

/// The ways a model can echo a credential back, and the forms the secret takes in each, for
/// tests that look for any of it where it must not be.
enum SecretEcho {
    /// An API key with the characters that encodings treat specially: `/`, `+`, `_`, `~`, `-`.
    static let key = "sk-T3st/Key+9Zq_Secret~0123456789ab"

    /// One way of echoing: `encode(authorization, request)`.
    struct Encoding: Sendable, CustomStringConvertible {
        let description: String
        let encode: @Sendable (_ authorization: String, _ request: String) -> String
    }

    // MARK: Transforms

    static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }
    static func base64URL(_ text: String) -> String {
        base64(text).replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
    static func percent(_ text: String, all: Bool, upper: Bool?) -> String {
        text.utf8.map { byte -> String in
            let scalar = Unicode.Scalar(byte)
            if !all && (CharacterSet.alphanumerics.contains(scalar) && byte < 0x80) { return String(Character(scalar)) }
            let hex = String(format: "%02x", byte)
            // nil: the case of each escape by its byte, so an echo mixes both.
            return "%" + ((upper ?? (byte % 2 == 0)) ? hex.uppercased() : hex)
        }.joined()
    }
    static func form(_ text: String) -> String {
        text.split(separator: " ", omittingEmptySubsequences: false).map {
            percent(String($0), all: false, upper: true)
        }
        .joined(separator: "+")
    }
    static func jsonUnicode(_ text: String, upper: Bool) -> String {
        text.utf8.map { String(format: upper ? "\\u%04X" : "\\u%04x", $0) }.joined()
    }
    /// As JSONSerialization writes a string: `/` as `\/`, CR LF as `\r\n`.
    static func jsonString(_ text: String) -> String {
        let data = try! JSONSerialization.data(withJSONObject: [text], options: [])
        return String(String(decoding: data, as: UTF8.self).dropFirst(2).dropLast(2))
    }
    static func html(_ text: String, hex: Bool) -> String {
        text.utf8.map { hex ? String(format: "&#x%X;", $0) : "&#\($0);" }.joined()
    }
    /// Two hex digits a byte; with `separator` between them, as a hex dump writes it.
    static func hex(_ text: String, upper: Bool, separator: String = "") -> String {
        text.utf8.map { String(format: upper ? "%02X" : "%02x", $0) }.joined(separator: separator)
    }
    static func bearerKey(_ authorization: String) -> String {
        authorization.hasPrefix("Bearer ") ? String(authorization.dropFirst(7)) : authorization
    }

    /// Every echo tried.
    static let encodings: [Encoding] = [
        Encoding(description: "the header as sent") { a, _ in a },
        Encoding(description: "base64") { a, _ in base64(a) },
        Encoding(description: "base64 without padding") { a, _ in base64(a).replacingOccurrences(of: "=", with: "") },
        Encoding(description: "base64url") { a, _ in base64URL(a) },
        Encoding(description: "base64 of the header line") { a, _ in base64("Authorization: " + a) },
        Encoding(description: "base64 of the header line, shifted by one") { a, _ in base64("XAuthorization: " + a) },
        Encoding(description: "base64 of the header line, shifted by two") { a, _ in base64("XYAuthorization: " + a) },
        Encoding(description: "base64 of a Basic header") { a, _ in
            base64("Authorization: Basic " + base64(bearerKey(a)))
        },
        Encoding(description: "base64 of a Basic header, shifted") { a, _ in base64("Basic " + base64(bearerKey(a))) },
        Encoding(description: "percent-encoded, upper-case hex") { a, _ in percent(a, all: true, upper: true) },
        Encoding(description: "percent-encoded, lower-case hex") { a, _ in percent(a, all: true, upper: false) },
        Encoding(description: "percent-encoded, mixed case") { a, _ in percent(a, all: true, upper: nil) },
        Encoding(description: "form-encoded") { a, _ in form(a) },
        Encoding(description: "percent-encoded base64") { a, _ in percent(base64(a), all: false, upper: true) },
        Encoding(description: "JSON \\u escapes, lower-case") { a, _ in jsonUnicode(a, upper: false) },
        Encoding(description: "JSON \\u escapes, upper-case") { a, _ in jsonUnicode(a, upper: true) },
        Encoding(description: "JSON string of the request") { _, r in jsonString(r) },
        Encoding(description: "JSON string of base64") { a, _ in jsonString(base64(a)) },
        Encoding(description: "the request, percent-encoded") { _, r in percent(r, all: false, upper: false) },
        Encoding(description: "base64 of the request") { _, r in base64(r) },
        Encoding(description: "HTML hex references") { a, _ in html(a, hex: true) },
        Encoding(description: "HTML decimal references") { a, _ in html(a, hex: false) },
        Encoding(description: "hex, lower-case") { a, _ in hex(a, upper: false) },
        Encoding(description: "hex, upper-case") { a, _ in hex(a, upper: true) },
        Encoding(description: "hex dump, bytes apart") { a, _ in hex(a, upper: false, separator: " ") },
        Encoding(description: "hex of the request") { _, r in hex(r, upper: true) },
    ]

    /// The key's own forms of at least `length` characters found in `echo`: the key and its
    /// base64 (whole, or the characters that depend on it alone at each alignment, of the key
    /// and of its base64), each as is or percent-, form-, JSON-, HTML- or hex-encoded.
    static func keyForms(in echo: String, key: String = key, length: Int = 6) -> [String] {
        var inner = [key, base64(key)]
        for text in [key, base64(key)] {
            for shift in 0..<3 {
                let encoded = Array(
                    Data(Array(repeating: 0, count: shift) + Array(text.utf8) + [0, 0]).base64EncodedString())
                let first = (8 * shift + 5) / 6
                let last = 8 * (shift + text.utf8.count) / 6 - 1
                let core = String(encoded[first...last])
                inner += [core, core.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")]
            }
        }
        let outer: [@Sendable (String) -> String] = [
            { $0 }, { percent($0, all: true, upper: true) }, { percent($0, all: true, upper: false) },
            { percent($0, all: true, upper: nil) }, { percent($0, all: false, upper: true) },
            { percent($0, all: false, upper: false) }, form, { jsonUnicode($0, upper: false) },
            { jsonUnicode($0, upper: true) }, jsonString, { html($0, hex: true) }, { html($0, hex: false) },
            { hex($0, upper: false) }, { hex($0, upper: true) }, { hex($0, upper: false, separator: " ") },
        ]
        return Array(
            Set(inner.flatMap { text in outer.map { $0(text) } }.filter { $0.count >= length && echo.contains($0) }))
    }

    /// The windows of `length` characters of `forms` (of `length` bytes for a hex form, whose
    /// shorter windows occur in any hex dump): any one of them seen means a secret leaked.
    static func windows(of forms: [String], length: Int = 6) -> Set<String> {
        var windows: Set<String> = []
        for form in forms {
            let characters = Array(form)
            let length = characters.allSatisfy { $0.isHexDigit || $0 == " " } ? 2 * length : length
            guard characters.count >= length else { continue }
            for start in 0...(characters.count - length) { windows.insert(String(characters[start..<start + length])) }
        }
        return windows
    }

    /// What is wrong with `text` as something stored or shown: a whole form, a window of one,
    /// or (before a cut's `…`) a fragment of 4 characters or more of a form, which is what a
    /// cut through an echo would leave. Nil when nothing.
    static func leak(in text: String, forms: [String], windows: Set<String>) -> String? {
        if let form = forms.first(where: { text.contains($0) }) { return "the whole form \(form)" }
        if let window = windows.first(where: { text.contains($0) }) { return "the fragment \(window)" }
        for piece in text.split(separator: "…") {
            for form in forms {
                for count in stride(from: form.count, through: 4, by: -1) where piece.hasSuffix(form.prefix(count)) {
                    return "the cut fragment \(form.prefix(count))"
                }
            }
        }
        return nil
    }
}
