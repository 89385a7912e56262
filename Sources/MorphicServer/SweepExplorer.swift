import Foundation
import HTTP
import MorphicData

/// The page's views of every finished run of a sweep, answered from the runs index:
///
/// - `GET /api/sweeps/{id}/columns?fields=a,b&filter=` — the matching finished runs as one
///   JSON array of numbers per field (parameters and statistics; null where a run has none),
///   numbers rounded to float precision so 100,000 runs of a few fields gzip to a few
///   hundred KB;
/// - `GET /api/sweeps/{id}/aggregate?y=&x=&by=&series=&filter=` — a statistic summarized per
///   value (or bin) of `x` and of `by`, at most `series` values of `by` (see ``RunAggregate``);
/// - `GET /api/sweeps/{id}/importance?y=&filter=` — the share of `y`'s variance each swept
///   parameter explains on its own, over the matching runs where it acts (see
///   ``ParameterImportance``);
/// - `GET /api/sweeps/{id}/validation` — the dataset's data checks alone.
struct SweepExplorer {
    /// Most fields one `columns` request may ask for.
    static let maximumFields = 16

    let service: JobService

    /// The finished runs' columns, made as the client reads them (``StreamedDocument/columns(total:fields:columns:version:)``)
    /// and tagged from what they are made of: for a sweep that has ended, a request naming
    /// the tag is answered 304 before the index is read.
    func columns(_ id: String, _ query: [String: String], request: HTTPRequest) throws -> HTTPResponse {
        let fields = (query["fields"] ?? "").split(separator: ",", omittingEmptySubsequences: false).map { String($0) }
        guard fields != [""] else { throw Self.bad("fields", "name at least one parameter or statistic") }
        guard !fields.contains("") else { throw Self.bad("fields", "an empty name; give names separated by commas") }
        guard fields.count <= Self.maximumFields else {
            throw Self.bad("fields", "at most \(Self.maximumFields) fields, not \(fields.count)")
        }
        if let twice = fields.enumerated().first(where: { fields[..<$0.offset].contains($0.element) })?.element {
            throw Self.bad("fields", "'\(twice)' is named twice")
        }
        for field in fields { try Self.requireNumeric(field, parameter: "fields") }
        let runs = try Self.runQuery(query)
        let type = [("Content-Type", "application/json")]
        if let field = request.header("If-None-Match"),
            let settled = try Self.answer({ () throws(JobService.Failure) in
                try service.settledColumnsVersion(id, names: fields, query: runs)
            })
        {
            let tag = StreamedDocument.tag(target: request.target, version: settled)
            if EntityTag.matches(field, tag) {
                return EntityTag.notModified(
                    tag: tag, coded: request.acceptsGzip && request.minorVersion >= 1, compressible: true, headers: type)
            }
        }
        let (answer, version) = try Self.answer { () throws(JobService.Failure) in
            try service.columnsAndVersion(id, names: fields, query: runs)
        }
        let document = StreamedDocument.columns(
            total: answer.total, fields: fields, columns: answer.columns, version: version)
        return HTTPResponse(
            status: .ok, headers: type + [("ETag", document.tag(target: request.target))],
            body: .producer(document.producer()), compressible: true)
    }

    func aggregate(_ id: String, _ query: [String: String]) throws -> HTTPResponse {
        guard let y = query["y"], !y.isEmpty else { throw Self.bad("y", "name the statistic to summarize") }
        try Self.requireNumeric(y, parameter: "y")
        let x = query["x"].flatMap { $0.isEmpty || $0 == "none" ? nil : $0 }
        let by = query["by"].flatMap { $0.isEmpty || $0 == "none" || $0 == x ? nil : $0 }
        if let x { try Self.requireNumeric(x, parameter: "x") }
        if let by { try Self.requireNumeric(by, parameter: "by") }
        var seriesLimit = RunAggregate.defaultSeries
        if let text = query["series"], !text.isEmpty {
            guard let number = Int(text), (1...RunAggregate.maximumPoints).contains(number) else {
                throw Self.bad("series", "a whole number from 1 to \(RunAggregate.maximumPoints), not \(text)")
            }
            seriesLimit = number
        }
        let names = [y] + [x, by].compactMap { $0 }
        let runs = try Self.runQuery(query)
        let answer = try Self.answer { () throws(JobService.Failure) in
            try service.columns(id, names: names, query: runs)
        }
        let columns = answer.columns
        let swept = try Self.answer { () throws(JobService.Failure) in try service.sweptParameters(id) }
        let summary = RunAggregate(
            x: x.map { _ in columns[1] }, y: columns[0], by: by.map { _ in columns[x == nil ? 1 : 2] },
            series: seriesLimit)
        let series: [JSON] = summary.series.map { series in
            .object([
                "low": .double(series.low), "high": .double(series.high),
                "points": .array(
                    series.points.map { point in
                        .object([
                            "x": .double(point.x), "n": .int(point.count), "mean": .double(point.mean),
                            "low": .double(point.low), "high": .double(point.high),
                            "quantiles": .array(point.quantiles.map(JSON.double)),
                        ])
                    }),
            ])
        }
        return .json(
            .ok,
            .object([
                "swept": .array(swept.map(JSON.string)),
                "y": .string(y), "x": x.map(JSON.string) ?? .null, "by": by.map(JSON.string) ?? .null,
                "total": .int(answer.total), "matched": .int(columns[0].count), "runs": .int(summary.runs),
                "x_bin": summary.xBin.map(JSON.double) ?? .null, "by_bin": summary.seriesBin.map(JSON.double) ?? .null,
                "series": .array(series),
            ]))
    }

    func importance(_ id: String, _ query: [String: String]) throws -> HTTPResponse {
        guard let y = query["y"], !y.isEmpty else { throw Self.bad("y", "name the statistic to explain") }
        try Self.requireNumeric(y, parameter: "y")
        let runs = try Self.runQuery(query)
        let swept = try Self.answer { () throws(JobService.Failure) in try service.sweptParameters(id) }
        let matched = try Self.answer { () throws(JobService.Failure) in try service.columns(id, names: [y], query: runs) }
        // Each parameter over the matching runs where it acts, one query per kind of run.
        var scopes: [(conditions: String?, names: [String])] = []
        for name in swept {
            let conditions = ParameterImportance.actsWhere(name)
            if let index = scopes.firstIndex(where: { $0.conditions == conditions }) {
                scopes[index].names.append(name)
            } else {
                scopes.append((conditions, [name]))
            }
        }
        var inputs: [String: (y: [Double], values: [Double])] = [:]
        for scope in scopes {
            let narrowed: RunQuery
            do {
                narrowed = try scope.conditions.map { conditions throws(RunQuery.Error) in try runs.narrowed(by: conditions) } ?? runs
            } catch {
                throw APIError(status: .internalServerError, code: "internal", message: "importance: \(error)")
            }
            let answer = try Self.answer { () throws(JobService.Failure) in
                try service.columns(id, names: [y] + scope.names, query: narrowed)
            }
            for (offset, name) in scope.names.enumerated() { inputs[name] = (answer.columns[0], answer.columns[offset + 1]) }
        }
        let importance = ParameterImportance(
            statistic: y, parameters: swept.map { name in (name, inputs[name]!.y, inputs[name]!.values) })
        return .json(
            .ok,
            .object([
                "y": .string(y), "method": .string("eta_squared"),
                "total": .int(matched.total), "matched": .int(matched.columns[0].count),
                "parameters": .array(
                    importance.shares.map { share in
                        .object([
                            "name": .string(share.name),
                            "acts_where": ParameterImportance.actsWhere(share.name).map(JSON.string) ?? .null,
                            "runs": .int(share.runs), "groups": .int(share.groups),
                            "explained": share.explained.map(JSON.double) ?? .null,
                            "reason": share.reason.map(JSON.string) ?? .null,
                        ])
                    }),
            ]))
    }

    /// The manifest without its per-run part (`manifest.json?runs=false`): what a page
    /// showing the dataset's counts, columns and checks needs, a few KB whatever the size.
    func manifestWithoutRuns(_ id: String) throws -> HTTPResponse {
        let path = try Self.answer { () throws(JobService.Failure) in try service.datasetFile(id, name: "manifest.json") }
        do {
            return HTTPResponse(
                status: .ok, headers: [("Content-Type", "application/json")],
                body: .bytes(try ManifestRuns.withoutRuns(path: path)), compressible: true)
        } catch {
            throw APIError(status: .internalServerError, code: "storage", message: "cannot read the manifest of \(id): \(error)")
        }
    }

    /// The manifest's `validation` object, and the runs planned in each split. Dataset writes it last, so only the file's tail is
    /// read: a few KB, not the per-run manifest (about 5 MB at 100,000 runs).
    func validation(_ id: String) throws -> HTTPResponse {
        let path = try Self.answer { () throws(JobService.Failure) in try service.datasetFile(id, name: "manifest.json") }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw APIError(status: .internalServerError, code: "storage", message: "cannot read the manifest of \(id)")
        }
        defer { try? handle.close() }
        let size = try handle.seekToEnd()
        try handle.seek(toOffset: size - min(size, Self.manifestTail))
        let tail = [UInt8](handle.readDataToEndOfFile())
        let key = Array("\n  \"validation\": ".utf8)
        var checks: JSON?
        if let start = Self.lastRange(of: key, in: tail), let end = tail.lastIndex(of: UInt8(ascii: "}")) {
            checks = try? JSONParser.parse(Array(tail[start..<end]))
        }
        if checks == nil {
            try handle.seek(toOffset: 0)
            checks = (try? JSONParser.parse([UInt8](handle.readDataToEndOfFile())))?["validation"]
        }
        // The runs planned in each split, from the definition as the posterior service counts
        // them: the page tells from these, without asking, a sweep too small to be a reference.
        let definition = try Self.answer { () throws(JobService.Failure) in try service.definition(id) }
        let splits = zip(DatasetSplit.allCases, DatasetSplit.counts(definition)).map {
            JSON.Member($0.rawValue, .int($1))
        }
        return .json(.ok, .object(["validation": checks ?? .object([:]), "splits": .object(splits)]))
    }

    /// Most bytes of the manifest's end read for its validation.
    static let manifestTail: UInt64 = 64 * 1024

    /// Where the last `key` in `bytes` ends.
    private static func lastRange(of key: [UInt8], in bytes: [UInt8]) -> Int? {
        guard bytes.count >= key.count else { return nil }
        var index = bytes.count - key.count
        while index >= 0 {
            if bytes[index] == key[0] && Array(bytes[index..<index + key.count]) == key { return index + key.count }
            index -= 1
        }
        return nil
    }

    /// A number at float precision (7 significant digits are more than a chart shows, and
    /// the short form compresses far better); null when not finite.
    /// A column's number as the explorer writes it: whole numbers without a fraction,
    /// others as `Float` prints them, `null` for what is not finite.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
        return String(Float(value))
    }

    private static func requireNumeric(_ name: String, parameter: String) throws {
        guard RunQuery.numericParameters.contains(name) || RunQuery.statistics.contains(name) else {
            throw bad(parameter, "\(name) is not a numeric parameter or a summary statistic")
        }
    }

    private static func runQuery(_ query: [String: String]) throws -> RunQuery {
        do {
            return try RunQuery(filter: query["filter"], sort: nil, fields: nil)
        } catch {
            throw APIError(status: .badRequest, code: "bad_parameter", message: error.message, field: error.parameter)
        }
    }

    private static func answer<T>(_ body: () throws(JobService.Failure) -> T) throws -> T {
        do {
            return try body()
        } catch {
            throw APIError.from(error)
        }
    }

    private static func bad(_ parameter: String, _ message: String) -> APIError {
        APIError(status: .badRequest, code: "bad_parameter", message: "\(parameter): \(message)", field: parameter)
    }
}
