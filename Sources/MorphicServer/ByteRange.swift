import HTTP

/// One range of a `Range: bytes=…` request (RFC 9110 §14.1.2), so a download cut short
/// (a large dataset archive over a poor link) goes on from where it stopped (`curl -C -`,
/// `wget -c`) instead of starting again.
///
/// Only file answers sent as they are (not gzip-coded on the way) are cut: their bytes are
/// fixed while the descriptor is open. A field this server does not take (another unit,
/// several ranges, anything malformed) is ignored and the whole file is sent, as RFC 9110
/// allows; so is one under an `If-Range` that does not name the file's current tag.
enum ByteRange {
    /// `response` as a 206 with the asked bytes, a 416 when none of them exist, or as it was.
    static func apply(_ response: HTTPResponse, for request: HTTPRequest) -> HTTPResponse {
        guard response.status.code == 200, case .file(let file) = response.body, !response.isCoded(for: request) else {
            return response
        }
        var whole = response
        whole.headers.append(("Accept-Ranges", "bytes"))
        // Two Range fields are not guessed between.
        guard request.method == "GET", let field = request.header("Range"),
            request.count(of: "Range") == 1,
            let asked = parse(field, size: file.fileSize)
        else { return whole }
        if let condition = request.header("If-Range") {
            // Only a strong tag can vouch that the bytes did not change; a date cannot here
            // (no Last-Modified is sent), so the whole file goes.
            guard let tag = response.header("ETag"), condition.trimmingCharacters(in: .whitespaces) == tag else {
                return whole
            }
        }
        guard let range = asked else {
            var error = APIError(
                status: .rangeNotSatisfiable, code: "range_not_satisfiable",
                message: "no byte of the range asked for exists: the file has \(file.fileSize) bytes", field: "Range")
            error.headers.append(("Content-Range", "bytes */\(file.fileSize)"))
            return error.response
        }
        var partial = whole
        partial.status = .partialContent
        partial.headers.append(("Content-Range", "bytes \(range.lowerBound)-\(range.upperBound - 1)/\(file.fileSize)"))
        partial.body = .file(file.slice(range))
        return partial
    }

    /// The range `field` asks of a representation of `size` bytes: nil to ignore the field,
    /// `.some(nil)` when it is well formed but no byte of it exists (416).
    static func parse(_ field: String, size: Int) -> Range<Int>?? {
        // RFC 9110's grammar has no whitespace inside a range; around the field it is the
        // field's own.
        let text = field.trimmingCharacters(in: .whitespaces)
        guard text.count > 6, text.prefix(6).lowercased() == "bytes=" else { return nil }
        let spec = text.dropFirst(6)
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return nil }
        let first = String(spec[..<dash])
        let last = String(spec[spec.index(after: dash)...])
        func number(_ digits: String) -> Int? {
            // Beyond 18 digits a value is past any file; it is taken as "to the end".
            guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
            return digits.count > 18 ? Int.max : Int(digits)
        }
        if first.isEmpty {
            // A suffix: the last N bytes.
            guard let length = number(last) else { return nil }
            guard length > 0, size > 0 else { return .some(nil) }
            return .some(max(0, size - length)..<size)
        }
        guard let start = number(first) else { return nil }
        var end = size - 1
        if !last.isEmpty {
            guard let asked = number(last) else { return nil }
            guard asked >= start else { return nil }
            end = min(asked, size - 1)
        }
        guard start < size else { return .some(nil) }
        return .some(start..<(end + 1))
    }
}
