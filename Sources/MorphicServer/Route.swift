#if !FUZZING  // scripts/fuzz-http.sh compiles this file with the HTTP sources and RunIdentifier.swift
    import HTTP
    import MorphicData
#endif

/// What a request asks for, parsed from its method, path and query alone: every path and
/// query parameter is checked here, so the handlers behind it only see values in range.
/// It knows nothing of files or sweeps, so the fuzzer and property tests drive it
/// directly.
enum Route: Equatable, Sendable {
    case health
    case metrics
    case listSweeps(Page)
    case submit
    case status(sweep: String)
    case delete(sweep: String)
    case runs(sweep: String, Page, Selection)
    /// Every matching run unless `offset` or `limit` is given.
    case runsCSV(sweep: String, Page, Selection)
    /// `GET /api/sweeps/{id}/columns` and `…/aggregate`: the explorer's views of every run.
    case columns(sweep: String, [String: String])
    case aggregate(sweep: String, [String: String])
    /// `GET /api/sweeps/{id}/importance`: the share of a statistic's variance each swept
    /// parameter explains.
    case importance(sweep: String, [String: String])
    /// `GET /api/sweeps/{id}/validation`: the manifest's data checks alone.
    case validation(sweep: String)
    case run(sweep: String, run: String)
    case frames(sweep: String, run: String, FrameRange)
    /// `GET /api/sweeps/{id}/manifest.json`; with `runs=false`, without the per-run part.
    case manifest(sweep: String, runs: Bool)
    case dataset(sweep: String)
    case cancel(sweep: String)
    case retry(sweep: String)
    case posterior(sweep: String)
    case calibration(sweep: String)
    case map(sweep: String)
    /// A file of the browser page, as a path relative to the public folder.
    case file(String)

    /// A window of a list: `offset` and `limit` from the query.
    struct Page: Equatable, Sendable {
        /// Items skipped.
        let offset: Int
        /// Items at most.
        let limit: Int

        /// Largest `offset` accepted: more than any list this server can hold.
        static let maximumOffset = 1_000_000_000

        /// Reads `offset` (default 0) and `limit` (default `defaultLimit`, at most
        /// `maximumLimit`), refusing anything but decimal integers in range.
        init(_ query: [String: String], defaultLimit: Int, maximumLimit: Int) throws(Failure) {
            offset = try Self.integer(query, "offset", default: 0, range: 0...Self.maximumOffset)
            limit = try Self.integer(query, "limit", default: defaultLimit, range: 1...maximumLimit)
        }

        init(offset: Int, limit: Int) {
            self.offset = offset
            self.limit = limit
        }

        fileprivate static func integer(
            _ query: [String: String], _ name: String, default value: Int, range: ClosedRange<Int>
        )
            throws(Failure) -> Int
        {
            guard let text = query[name] else { return value }
            // At most 10 digits: parsed without overflow, and already past any range here.
            guard !text.isEmpty, text.utf8.count <= 10, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                let number = Int(text), range.contains(number)
            else {
                throw Failure(
                    status: 400, code: "bad_parameter",
                    message: "\(name) must be an integer from \(range.lowerBound) to \(range.upperBound)", field: name)
            }
            return number
        }
    }

    /// Which grid states a frames request asks for: generations `from`, `from + every`, …
    /// up to `to` (the run's last when nil).
    struct FrameRange: Equatable, Sendable {
        let from: Int
        let to: Int?
        let every: Int

        /// Reads `from` (default 0), `to` and `every` (default 1), each at most 100,000, the
        /// longest run.
        init(_ query: [String: String]) throws(Failure) {
            from = try Page.integer(query, "from", default: 0, range: 0...100_000)
            to = query["to"] == nil ? nil : try Page.integer(query, "to", default: 0, range: 0...100_000)
            every = try Page.integer(query, "every", default: 1, range: 1...100_000)
            if let to, to < from {
                throw Failure(status: 400, code: "bad_parameter", message: "to must not be below from", field: "to")
            }
        }

        init(from: Int, to: Int?, every: Int) {
            self.from = from
            self.to = to
            self.every = every
        }
    }

    /// The `filter`, `sort` and `fields` of a runs query, as sent; the job service parses
    /// them, naming the parameter that is wrong.
    struct Selection: Equatable, Sendable {
        let filter: String?
        let sort: String?
        let fields: String?

        init(_ query: [String: String]) {
            filter = query["filter"]
            sort = query["sort"]
            fields = query["fields"]
        }
    }

    /// Why a request names nothing this server offers, or names it wrongly.
    struct Failure: Error, Equatable, Sendable {
        let status: Int
        let code: String
        let message: String
        var field: String?
        /// For 405: the methods the path allows.
        var allowed: [String] = []

        static let notFound = Failure(status: 404, code: "not_found", message: "no such resource")
        static let noSweep = Failure(status: 404, code: "not_found", message: "no such sweep")
        static let noRun = Failure(status: 404, code: "not_found", message: "no such run")

    }

    /// Most runs one page of `/runs` holds.
    static let maximumRunsPage = 10_000
    /// Most sweeps one page of `/api/sweeps` holds.
    static let maximumSweepsPage = 1_000

    /// The route of a request; HEAD is treated as GET.
    init(method requested: String, target: String) throws(Failure) {
        let method = requested == "HEAD" ? "GET" : requested
        // A sweep itself (`/api/sweeps/{id}`, no query), the route scripts poll most, is
        // told from its bytes alone; it is what the general match below makes of it.
        if let id = Self.sweepOnly(target) {
            guard Self.isSweepID(id) else { throw .noSweep }
            self = try Self.sweepRoute(id: id, rest: [], method: method, query: [:])
            return
        }
        let bytes = target.utf8
        let mark = bytes.firstIndex(of: UInt8(ascii: "?"))
        let path = Substring(bytes[..<(mark ?? bytes.endIndex)])
        var query: [String: String] = [:]
        if let mark { query = try Self.query(Substring(bytes[bytes.index(after: mark)...])) }
        let segments = path.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst().map {
            Self.unreservedDecoded(Substring($0))
        }
        func only(_ allowed: String...) throws(Failure) { try Self.require(method, in: allowed) }
        // Sweep routes first: they are most of the traffic, and each literal case below
        // builds an array to compare with.
        switch segments {
        case let s where s.count >= 3 && s[0] == "api" && s[1] == "sweeps":
            let id = s[2]
            guard Self.isSweepID(id) else { throw .noSweep }
            self = try Self.sweepRoute(id: id, rest: Array(s[3...]), method: method, query: query)
        case ["healthz"]:
            try only("GET")
            self = .health
        case ["metrics"]:
            try only("GET")
            self = .metrics
        case ["api", "sweeps"]:
            try only("GET", "POST")
            self =
                method == "POST"
                ? .submit
                : .listSweeps(try Page(query, defaultLimit: 100, maximumLimit: Self.maximumSweepsPage))
        case let s where s.first == "api":
            throw .notFound
        default:
            try only("GET")
            guard let file = Self.publicFile(String(path)) else { throw .notFound }
            self = .file(file)
        }
        // A parameter the route does not read would be dropped silently: a misspelled
        // `limt` would answer the default page as if it had been understood.
        let known = parameters
        if let unknown = query.keys.sorted().first(where: { !known.contains($0) }) {
            throw Failure(
                status: 400, code: "bad_parameter",
                message: "unknown query parameter '\(unknown.prefix(100))'; "
                    + (known.isEmpty ? "this path takes none" : "this path takes \(known.sorted().joined(separator: ", "))"),
                field: String(unknown.prefix(100)))
        }
    }

    /// The query parameters the route reads; any other is refused.
    var parameters: Set<String> {
        switch self {
        case .listSweeps: ["offset", "limit"]
        case .runs, .runsCSV: ["offset", "limit", "filter", "sort", "fields"]
        case .columns: ["fields", "filter"]
        case .aggregate: ["y", "x", "by", "series", "filter"]
        case .importance: ["y", "filter"]
        case .frames: ["from", "to", "every"]
        case .manifest: ["runs"]
        default: []
        }
    }

    private static func sweepRoute(id: String, rest: [String], method: String, query: [String: String])
        throws(Failure) -> Route
    {
        func only(_ allowed: String...) throws(Failure) { try Self.require(method, in: allowed) }
        switch rest {
        case []:
            try only("GET", "DELETE")
            return method == "DELETE" ? .delete(sweep: id) : .status(sweep: id)
        case ["runs"]:
            try only("GET")
            return .runs(
                sweep: id, try Page(query, defaultLimit: 1000, maximumLimit: maximumRunsPage), Selection(query))
        case ["runs.csv"]:
            try only("GET")
            return .runsCSV(
                sweep: id, try Page(query, defaultLimit: Page.maximumOffset, maximumLimit: Page.maximumOffset), Selection(query))
        case let r where r.count == 2 && r[0] == "runs":
            try only("GET")
            guard RunIdentifier.isValid(r[1]) else { throw .noRun }
            return .run(sweep: id, run: r[1])
        case let r where r.count == 3 && r[0] == "runs" && r[2] == "frames":
            try only("GET")
            guard RunIdentifier.isValid(r[1]) else { throw .noRun }
            return .frames(sweep: id, run: r[1], try FrameRange(query))
        case ["columns"], ["aggregate"], ["importance"]:
            try only("GET")
            return rest == ["columns"]
                ? .columns(sweep: id, query)
                : rest == ["aggregate"] ? .aggregate(sweep: id, query) : .importance(sweep: id, query)
        case ["validation"]:
            try only("GET")
            return .validation(sweep: id)
        case ["manifest.json"]:
            try only("GET")
            switch query["runs"] {
            case nil, "true": return .manifest(sweep: id, runs: true)
            case "false": return .manifest(sweep: id, runs: false)
            case let other?:
                throw Failure(
                    status: 400, code: "bad_parameter",
                    message: "runs must be true or false, not '\(other.prefix(40))'", field: "runs")
            }
        case ["dataset.tar.gz"]:
            try only("GET")
            return .dataset(sweep: id)
        case ["cancel"]:
            try only("POST")
            return .cancel(sweep: id)
        case ["retry"]:
            try only("POST")
            return .retry(sweep: id)
        case ["posterior"]:
            try only("POST")
            return .posterior(sweep: id)
        case ["calibration"]:
            try only("GET")
            return .calibration(sweep: id)
        case ["map"]:
            try only("GET")
            return .map(sweep: id)
        default:
            throw .notFound
        }
    }

    /// Refuses a method the path does not allow with 405, listing those it does.
    private static func require(_ method: String, in allowed: [String]) throws(Failure) {
        guard allowed.contains(method) else {
            throw Failure(
                status: 405, code: "method_not_allowed", message: "allowed: \(allowed.joined(separator: ", "))",
                allowed: allowed)
        }
    }

    /// Whether the route only reads.
    var isSafe: Bool {
        switch self {
        case .submit, .delete, .cancel, .retry, .posterior: false
        default: true
        }
    }

    /// Whether answering scans every run of a sweep: a runs page or `runs.csv` (filtered and
    /// sorted over all of them), the explorer's columns, aggregates and importance, the run
    /// map. Such work grows with the sweep and is done on the query pool, apart from the cheap
    /// reads and submissions.
    var scansRuns: Bool {
        switch self {
        case .runs, .runsCSV, .columns, .aggregate, .importance, .map: true
        default: false
        }
    }

    /// The sweep a query that scans its runs (``scansRuns``) is about; nil for other routes.
    var sweepID: String? {
        switch self {
        case .runs(let id, _, _), .runsCSV(let id, _, _), .columns(let id, _), .aggregate(let id, _),
            .importance(let id, _), .map(let id):
            id
        default: nil
        }
    }

    /// Whether the request carries content (a definition, an observed run); the other
    /// unsafe routes take none.
    var takesBody: Bool {
        switch self {
        case .submit, .posterior: true
        default: false
        }
    }

    /// The query's parameters, percent-decoded; a malformed escape is refused, and so is a
    /// parameter given twice: taking the last (or first) would silently drop what the
    /// client meant by the other.
    static func query(_ text: Substring) throws(Failure) -> [String: String] {
        var result: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = decoded(parts[0], plusIsSpace: true),
                let value = parts.count > 1 ? decoded(parts[1], plusIsSpace: true) : ""
            else {
                throw Failure(
                    status: 400, code: "bad_parameter",
                    message: "the query has a malformed %-escape, or escapes that are not UTF-8")
            }
            guard result.updateValue(value, forKey: key) == nil else {
                throw Failure(
                    status: 400, code: "bad_parameter", message: "\(key) is given more than once; give it once",
                    field: String(key.prefix(100)))
            }
        }
        return result
    }

    /// Decodes `%XX` escapes (and `+` as a space in a query); nil when an escape is
    /// malformed or the result is not UTF-8.
    private static func decoded(_ text: Substring, plusIsSpace: Bool) -> String? {
        // A literal plus is sent as %2B, so turning + into %20 first is exact.
        HTTPRequest.percentDecoded(plusIsSpace ? text.split(separator: "+", omittingEmptySubsequences: false).joined(separator: "%20") : String(text))
    }

    /// A path segment with the escapes of unreserved characters decoded (`%73` is `s`), which
    /// RFC 3986 §6.2.2.2 makes the same URI; any other escape stays as sent, so `%2F` is never
    /// taken for a separator and matches no literal segment or id.
    static func unreservedDecoded(_ segment: Substring) -> String {
        guard segment.utf8.contains(UInt8(ascii: "%")) else { return String(segment) }
        let bytes = Array(segment.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count, let high = bytes[index + 1].hexDigitValue,
                let low = bytes[index + 2].hexDigitValue
            {
                let value = high << 4 | low
                if isUnreserved(value) {
                    output.append(value)
                    index += 3
                    continue
                }
            }
            output.append(bytes[index])
            index += 1
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// ALPHA / DIGIT / "-" / "." / "_" / "~" (RFC 3986 §2.3).
    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            true
        default: false
        }
    }

    /// A path inside the public folder, or nil for one that could leave it.
    static func publicFile(_ path: String) -> String? {
        let relative = path == "/" ? "index.html" : String(path.dropFirst())
        guard let decoded = decoded(Substring(relative), plusIsSpace: false) else { return nil }
        let segments = decoded.split(separator: "/", omittingEmptySubsequences: false)
        guard !segments.isEmpty,
            segments.allSatisfy({ !$0.isEmpty && !$0.hasPrefix(".") && !$0.contains("\0") && !$0.contains("\\") })
        else { return nil }
        return segments.joined(separator: "/")
    }

    /// Sweep ids are a name and a hash: lower-case letters, digits and dashes.
    static func isSweepID(_ id: String) -> Bool {
        var id = id
        return !id.isEmpty && id.utf8.count <= 80
            && id.withUTF8 { $0.allSatisfy {
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "-")
            } }
    }

    /// The last segment of a target `/api/sweeps/{segment}` with no further `/` and no query;
    /// nil for any other target (or a string not stored as contiguous UTF-8).
    private static func sweepOnly(_ target: String) -> String? {
        let prefix: StaticString = "/api/sweeps/"
        return target.utf8.withContiguousStorageIfAvailable { bytes -> String? in
            let count = prefix.utf8CodeUnitCount
            guard bytes.count >= count,
                bytes.prefix(count).elementsEqual(UnsafeBufferPointer(start: prefix.utf8Start, count: count))
            else { return nil }
            let rest = UnsafeBufferPointer(rebasing: bytes[count...])
            guard
                !rest.contains(where: {
                    $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "%")
                })
            else { return nil }
            return String(decoding: rest, as: UTF8.self)
        } ?? nil
    }
}
