import CCurl

/// A URL as libcurl itself reads it (`curl_url`), so a check made on these parts agrees
/// with where a request will really go: no second parser to disagree about `@`, `\`,
/// brackets or percent-escapes.
public struct URLParts: Equatable, Sendable {
    /// `http` or `https`, lower-cased.
    public let scheme: String
    /// The host, lower-cased (an IPv6 address in brackets).
    public let host: String
    /// The port, the scheme's default when the URL names none.
    public let port: Int
    /// Whether the URL carries a user name or password.
    public let hasUserInfo: Bool

    /// The parts of `url`; nil when libcurl cannot parse it, it is not http(s), or it holds
    /// a control character (libcurl would read a C string only up to a NUL, and so another
    /// URL than the one checked and shown).
    public init?(_ url: String) {
        guard !url.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) else {
            return nil
        }
        _ = HTTPClient.global
        guard let handle = curl_url() else { return nil }
        defer { curl_url_cleanup(handle) }
        guard curl_url_set(handle, CURLUPART_URL, url, 0) == CURLUE_OK else { return nil }
        func part(_ which: CURLUPart, _ flags: UInt32 = 0) -> String? {
            var text: UnsafeMutablePointer<CChar>?
            guard curl_url_get(handle, which, &text, flags) == CURLUE_OK, let text else { return nil }
            defer { curl_free(text) }
            return String(cString: text)
        }
        guard let scheme = part(CURLUPART_SCHEME)?.lowercased(), scheme == "http" || scheme == "https",
            let host = part(CURLUPART_HOST)?.lowercased(), !host.isEmpty,
            let port = part(CURLUPART_PORT, UInt32(CURLU_DEFAULT_PORT)).flatMap({ Int($0) })
        else { return nil }
        self.scheme = scheme
        self.host = host
        self.port = port
        hasUserInfo = part(CURLUPART_USER) != nil || part(CURLUPART_PASSWORD) != nil
    }
}
