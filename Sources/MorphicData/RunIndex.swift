import Foundation
import MorphicCore

/// A sweep's runs as columns in memory, answering ``RunQuery``s without touching the disk:
/// parameters come from the plan, summary statistics from each run's record, read once
/// when the run has finished (records never change).
public final class RunIndex: @unchecked Sendable {
    /// The runs, in the definition's order.
    public let runs: SweepRuns
    /// Parameter columns, made on first use (most queries need one or two).
    private var numbers: [String: [Double]] = [:]
    private var texts: [String: [String]] = [:]
    private let lock = NSLock()
    /// Per run: its statistics in ``RunQuery/statistics`` order (NaN for null), once known.
    private var statistics: [[Double]?]
    private var summaries: [JSON?]
    private var failures: [String?]
    /// Runs neither finished nor failed at the last look.
    private var unfinished: [Int]
    private var lastRefresh = -Double.infinity
    /// The run map's `map_x` and `map_y` by run (NaN off the map), and what they were made from.
    private var mapColumns: [String: [Double]] = [:]
    private var mapSource: String?
    /// The sweep's seed, from which a run without its own seed derives one (as its record's
    /// `config.seed` shows).
    private let sweepSeed: UInt64
    /// Counts what changed the rows: runs read as finished or failed, the map set again.
    private var changes = 0
    /// Tells this index from an earlier one of a sweep with the same id (deleted, then
    /// submitted again), whose change count may coincide.
    private let instance = UInt64.random(in: 1...UInt64.max)

    /// An index of `definition`'s runs, none known to have finished yet.
    public init(definition: SweepDefinition) {
        runs = definition.runs
        sweepSeed = definition.seed
        statistics = Array(repeating: nil, count: runs.count)
        summaries = Array(repeating: nil, count: runs.count)
        failures = Array(repeating: nil, count: runs.count)
        unfinished = Array(runs.indices)
    }

    /// A numeric parameter's column. Call with the lock held.
    private func numberColumn(_ name: String) -> [Double] {
        if let column = numbers[name] { return column }
        let key = ParameterKey(rawValue: name)!
        let column = runs.indices.map { index -> Double in
            // Approximate above 2^53: filters and sorts on the seed compare it exactly instead.
            if key == .seed { return Double(seed(index)) }
            guard case .number(let text)? = runs[index].configuration.value(key) else { return .nan }
            return Double(text) ?? .nan
        }
        numbers[name] = column
        return column
    }

    /// The seed run `index` is computed with: its own, or derived from the sweep's.
    private func seed(_ index: Int) -> UInt64 {
        runs[index].configuration.seed ?? CounterRandom.runSeed(sweepSeed: sweepSeed, runID: runs[index].id)
    }

    /// A text column (`run_id`, `mode`, `label` or a text parameter). Call with the lock held.
    private func textColumn(_ name: String) -> [String] {
        if let column = texts[name] { return column }
        let column: [String]
        switch name {
        case "run_id": column = runs.map(\.id)
        case "mode", "label": column = runs.map { $0.configuration.mode.rawValue }
        default:
            let key = ParameterKey(rawValue: name)!
            column = runs.map { run in
                if case .text(let text)? = run.configuration.value(key) { return text }
                return ""
            }
        }
        texts[name] = column
        return column
    }

    /// What the run map's columns were computed from (nil before they are set), so a caller
    /// sets them again only when the dataset changed.
    public var mapVersion: String? { lock.withLock { mapSource } }

    /// Sets the run map's coordinates, by run id, as the map shows them; runs without any
    /// have none (NaN: no comparison holds for them). `version` names the data they came from.
    public func setMap(version: String, coordinates: [String: (x: Double, y: Double)]) {
        var xs = [Double](repeating: .nan, count: runs.count)
        var ys = xs
        for index in runs.indices {
            if let point = coordinates[runs[index].id] {
                xs[index] = point.x
                ys[index] = point.y
            }
        }
        lock.withLock {
            mapColumns = ["map_x": xs, "map_y": ys]
            mapSource = version
            changes += 1
        }
    }

    /// Names what the index holds now: it changes whenever a row it gives could (a run read
    /// as finished or failed, the map set), so an answer's entity tag can be worked out from
    /// it and the query, before the answer is made. A run's `running` or `queued` state is
    /// not part of it: it comes from the caller's `activity`.
    public var version: String { lock.withLock { currentVersion } }

    /// ``version``. Call with the lock held.
    private var currentVersion: String { String(instance, radix: 16) + "." + String(changes) }

    /// Reads the records and failures of runs that finished since the last look, at most
    /// once per `interval` seconds. Each finished run is read once, ever.
    public func refresh(from folder: SweepFolder, interval: Double = 1) {
        let now = ProcessInfo.processInfo.systemUptime
        let pending: [Int] = lock.withLock {
            guard now - lastRefresh >= interval else { return [] }
            lastRefresh = now
            return unfinished
        }
        read(pending, from: folder)
    }

    /// Reads the records or failures of the runs at `indices` that have them.
    private func read(_ indices: [Int], from folder: SweepFolder) {
        var found: [(Int, JSON?, String?)] = []
        var cursor = RecordStore.Cursor(RecordStore(folder))
        for index in indices {
            let run = runs[index]
            if let bytes = cursor.record(run, index: index), let summary = Self.summary(of: bytes) {
                found.append((index, summary, nil))
            } else if let failure = folder.failure(run.id) {
                found.append((index, nil, failure))
            }
        }
        guard !found.isEmpty else { return }
        lock.withLock {
            for (index, summary, failure) in found {
                if let summary {
                    summaries[index] = summary
                    statistics[index] = RunQuery.statistics.map { summary[$0]?.doubleValue ?? .nan }
                } else {
                    failures[index] = failure
                }
            }
            let done = Set(found.map(\.0))
            unfinished.removeAll { done.contains($0) }
            changes += 1
        }
    }

    /// The `summary_stats` object of a run's record. Only that object is parsed: it holds
    /// no nested object, so it ends at the first `}` after it opens, and skipping the series
    /// makes a cold index of 100,000 runs several times quicker.
    static func summary(of record: [UInt8]) -> JSON? {
        if let range = summaryRange(record), let summary = try? JSONParser.parse(Array(record[range])) {
            return summary
        }
        return (try? JSONParser.parse(record))?["summary_stats"]
    }

    /// Where the summary object lies in a record: a plain byte scan (the generic
    /// `firstRange(of:)` costs more than the parse it saves).
    private static func summaryRange(_ record: [UInt8]) -> ClosedRange<Int>? {
        let key = Array("\"summary_stats\"".utf8)
        return record.withUnsafeBufferPointer { bytes -> ClosedRange<Int>? in
            var index = 0
            let last = bytes.count - key.count
            while index <= last {
                if bytes[index] == key[0] && (1..<key.count).allSatisfy({ bytes[index + $0] == key[$0] }) { break }
                index += 1
            }
            guard index <= last else { return nil }
            var open = index + key.count
            while open < bytes.count && bytes[open] != UInt8(ascii: "{") { open += 1 }
            var close = open
            while close < bytes.count && bytes[close] != UInt8(ascii: "}") { close += 1 }
            return close < bytes.count ? open...close : nil
        }
    }

    /// One page of a query's answer.
    public struct Page {
        /// Runs in the sweep.
        public let total: Int
        /// Runs the filter kept.
        public let matched: Int
        /// The runs of the page, as the API shows them.
        public let runs: [JSON]
    }

    /// The runs matching `query`, sorted, from `offset`, at most `limit`. `activity` says
    /// whether an unfinished run is `running`, `queued` or `not_run`.
    ///
    /// A query that filters or sorts on statistics or status needs every finished run's
    /// record (read once, then looked at again at most every `interval` seconds); any other
    /// needs only the records of the page it returns, so a sweep of 100,000 runs shows its
    /// first page at once.
    public func page(
        _ query: RunQuery, offset: Int, limit: Int, folder: SweepFolder, interval: Double,
        activity: (PlannedRun) -> String
    ) -> Page {
        let chosen = select(query, offset: offset, limit: limit, folder: folder, interval: interval, activity: activity)
        return Page(
            total: chosen.total, matched: chosen.matched,
            runs: rows(chosen.indices, fields: query.fields, activity: activity))
    }

    /// Which runs an answer holds, in its order, and how many there are and matched. The
    /// rows themselves are rendered later, a batch at a time (``rows(_:fields:activity:)``,
    /// ``csvLines(_:query:activity:)``), so a long answer is never held whole: only these
    /// indices, 4 bytes a run.
    public struct Selection: Sendable {
        /// Runs in the sweep.
        public let total: Int
        /// Runs the filter kept.
        public let matched: Int
        /// The runs of the answer, as indices into ``runs``.
        public let indices: [Int32]
        /// The index's ``version`` when they were chosen: rows rendered later are of that
        /// version or a newer one, never an older.
        public let version: String
    }

    /// The runs of ``page(_:offset:limit:folder:interval:activity:)``, as indices: the
    /// records they need are read, their rows not yet rendered.
    public func select(
        _ query: RunQuery, offset: Int, limit: Int, folder: SweepFolder, interval: Double,
        activity: (PlannedRun) -> String
    ) -> Selection {
        if Self.needsRecords(query) {
            refresh(from: folder, interval: interval)
        } else {
            let wanted: [Int] = lock.withLock {
                let order = matching(query, statuses: [])
                let first = min(max(0, offset), order.count)
                return order[first..<first + min(max(0, limit), order.count - first)].filter { summaries[$0] == nil }
            }
            if !wanted.isEmpty { read(wanted, from: folder) }
        }
        return lock.withLock {
            let statuses = runs.indices.map { status($0, activity: activity) }
            let order = matching(query, statuses: statuses)
            let first = min(max(0, offset), order.count)
            let slice = order[first..<first + min(max(0, limit), order.count - first)]
            return Selection(
                total: runs.count, matched: order.count, indices: slice.map { Int32($0) }, version: currentVersion)
        }
    }

    /// The runs `indices` as the API shows them, with `fields` of their parameters and
    /// statistics (all when nil).
    public func rows(_ indices: some Collection<Int32>, fields: Set<String>?, activity: (PlannedRun) -> String)
        -> [JSON]
    {
        lock.withLock {
            indices.map { row(Int($0), fields: fields, status: status(Int($0), activity: activity)) }
        }
    }

    /// The finished runs matching `query`, in the definition's order, as one column of
    /// numbers per name in `names` (parameters or statistics; NaN where a run has none), and
    /// how many runs the sweep has. Reads every finished run's record first (at most every
    /// `interval` seconds), so the columns cover all of them, not a page.
    public func columns(
        _ names: [String], query: RunQuery, folder: SweepFolder, interval: Double, activity: (PlannedRun) -> String
    ) -> (total: Int, columns: [[Double]]) {
        refresh(from: folder, interval: interval)
        return lock.withLock {
            let statuses = Self.needsRecords(query) ? runs.indices.map { status($0, activity: activity) } : []
            let finished = matching(query, statuses: statuses).filter { statistics[$0] != nil }
            return (runs.count, names.map { name in
                let value = numeric(name)
                return finished.map(value)
            })
        }
    }

    /// The numeric parameters (but the seed) that take more than one value over the
    /// definition's field runs: the parameters a sweep varies, known before any run ends.
    public func sweptParameters() -> [String] {
        lock.withLock {
            let field = runs.indices.filter { runs[$0].configuration.mode != .classical }
            return RunQuery.numericParameters.filter { name in
                guard name != "seed" else { return false }
                let column = numberColumn(name)
                guard let first = field.first.map({ column[$0] }) else { return false }
                return field.contains { !(column[$0] == first) && !(column[$0].isNaN && first.isNaN) }
            }
        }
    }

    /// Whether answering `query` needs the records of every run, not only of its page.
    static func needsRecords(_ query: RunQuery) -> Bool {
        let recorded = Set(RunQuery.statistics + ["status"])
        return query.conditions.contains { recorded.contains($0.column) }
            || query.sort.map { recorded.contains($0.column) } ?? false
    }

    /// The runs matching `query`, as `runs.csv` rows: run_id, mode, status, then the
    /// chosen parameters and statistics; from `offset`, at most `limit`, as ``page`` counts.
    /// Call ``refresh(from:interval:)`` first for the statistics to be known.
    public func csv(_ query: RunQuery, offset: Int = 0, limit: Int = .max, activity: (PlannedRun) -> String) -> [UInt8] {
        csvHeader(query)
            + csvLines(csvSelection(query, offset: offset, limit: limit, activity: activity).indices, query: query, activity: activity)
    }

    /// The runs `runs.csv` lists for `query`, from `offset`, at most `limit`, as indices.
    public func csvSelection(_ query: RunQuery, offset: Int, limit: Int, activity: (PlannedRun) -> String) -> Selection {
        lock.withLock {
            let statuses = runs.indices.map { status($0, activity: activity) }
            let order = matching(query, statuses: statuses)
            let first = min(max(0, offset), order.count)
            let slice = order[first..<first + min(max(0, limit), order.count - first)]
            return Selection(
                total: runs.count, matched: order.count, indices: slice.map { Int32($0) }, version: currentVersion)
        }
    }

    /// The header line of `runs.csv` for `query`.
    public func csvHeader(_ query: RunQuery) -> [UInt8] {
        let (text, parameters, stats) = Self.csvColumns(query)
        var out = Array((["run_id", "mode", "status"] + text + parameters + stats).joined(separator: ",").utf8)
        out.append(0x0A)
        return out
    }

    /// The `runs.csv` lines of the runs `indices`.
    public func csvLines(_ indices: some Collection<Int32>, query: RunQuery, activity: (PlannedRun) -> String)
        -> [UInt8]
    {
        let (textParameters, parameters, stats) = Self.csvColumns(query)
        return lock.withLock {
            var out: [UInt8] = []
            let textCells = textParameters.map { textColumn($0) }
            let numberCells = parameters.map { numberColumn($0) }
            for position in indices {
                let index = Int(position)
                var cells = [runs[index].id, runs[index].configuration.mode.rawValue, status(index, activity: activity)]
                cells += textCells.map { $0[index] }
                cells += zip(parameters, numberCells).map { name, column in
                    name == "seed" ? String(seed(index)) : Self.cell(column[index])
                }
                cells += stats.map { name in
                    statistics[index].map { Self.cell($0[RunQuery.statistics.firstIndex(of: name)!]) } ?? ""
                }
                out += Array(cells.joined(separator: ",").utf8)
                out.append(0x0A)
            }
            return out
        }
    }

    /// The text parameters, numeric parameters and statistics `runs.csv` shows for `query`.
    private static func csvColumns(_ query: RunQuery) -> (text: [String], numbers: [String], statistics: [String]) {
        (
            ["rule", "boundary", "similarity"].filter { query.fields?.contains($0) ?? true },
            RunQuery.numericParameters.filter { query.fields?.contains($0) ?? true },
            RunQuery.statistics.filter { query.fields?.contains($0) ?? true }
        )
    }

    private static func cell(_ value: Double) -> String {
        guard value.isFinite else { return "" }
        return value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    /// Indices of matching runs in the query's order. Call with the lock held.
    private func matching(_ query: RunQuery, statuses: [String]) -> [Int] {
        let tests = query.conditions.map { test($0, statuses: statuses) }
        let order = runs.indices.filter { index in tests.allSatisfy { $0(index) } }
        guard let sort = query.sort else { return order }
        // Keys gathered once, then sorted as plain pairs: ties keep the definition's order,
        // and unknown numbers (runs not finished) come last either way.
        if RunQuery.textColumns.contains(sort.column) {
            let values = sort.column == "status" ? statuses : textColumn(sort.column)
            var keyed: [(key: String, index: Int)] = order.map { (values[$0], $0) }
            let descending = sort.descending
            keyed.sort { (a: (key: String, index: Int), b: (key: String, index: Int)) -> Bool in
                if a.key == b.key { return a.index < b.index }
                return descending ? a.key > b.key : a.key < b.key
            }
            return keyed.map(\.index)
        }
        if sort.column == "seed" {
            // Exactly, as UInt64: seeds above 2^53 differ where their Doubles do not.
            var keyed: [(key: UInt64, index: Int)] = order.map { (seed($0), $0) }
            let descending = sort.descending
            keyed.sort { (a: (key: UInt64, index: Int), b: (key: UInt64, index: Int)) -> Bool in
                if a.key == b.key { return a.index < b.index }
                return descending ? a.key > b.key : a.key < b.key
            }
            return keyed.map(\.index)
        }
        let value = numeric(sort.column)
        let sign = sort.descending ? -1.0 : 1.0
        var keyed: [(key: Double, index: Int)] = order.map { index in
            let number = value(index)
            return (number.isNaN ? Double.infinity : sign * number, index)
        }
        keyed.sort { (a: (key: Double, index: Int), b: (key: Double, index: Int)) -> Bool in
            a.key == b.key ? a.index < b.index : a.key < b.key
        }
        return keyed.map(\.index)
    }

    private func numeric(_ name: String) -> (Int) -> Double {
        if RunQuery.mapColumns.contains(name) {
            let values = mapColumns[name]
            return { values?[$0] ?? .nan }
        }
        if RunQuery.numericParameters.contains(name) {
            let values = numberColumn(name)
            return { values[$0] }
        }
        let position = RunQuery.statistics.firstIndex(of: name)!
        return { self.statistics[$0]?[position] ?? .nan }
    }

    private func test(_ condition: RunQuery.Condition, statuses: [String]) -> (Int) -> Bool {
        if condition.column == "seed", let bound = SeedBound(condition.text) {
            let order: (Int) -> Int = { bound.order(of: self.seed($0)) }
            switch condition.comparison {
            case .equal: return { order($0) == 0 }
            case .notEqual: return { order($0) != 0 }
            case .less: return { order($0) < 0 }
            case .lessOrEqual: return { order($0) <= 0 }
            case .greater: return { order($0) > 0 }
            case .greaterOrEqual: return { order($0) >= 0 }
            case .prefix: return { _ in false }
            }
        }
        if let target = condition.number {
            let value = numeric(condition.column)
            switch condition.comparison {
            case .equal: return { value($0) == target }
            case .notEqual: return { !(value($0) == target) }
            case .less: return { value($0) < target }
            case .lessOrEqual: return { value($0) <= target }
            case .greater: return { value($0) > target }
            case .greaterOrEqual: return { value($0) >= target }
            case .prefix: return { _ in false }
            }
        }
        let values = condition.column == "status" ? statuses : textColumn(condition.column)
        let text: (Int) -> String = { values[$0] }
        let target = condition.column == "label" && condition.text == "control" ? "classical" : condition.text
        switch condition.comparison {
        case .notEqual: return { text($0) != target }
        case .prefix: return { text($0).hasPrefix(target) }
        default: return { text($0) == target }
        }
    }

    private func status(_ index: Int, activity: (PlannedRun) -> String) -> String {
        if summaries[index] != nil { return "completed" }
        if failures[index] != nil { return "failed" }
        return activity(runs[index])
    }

    /// A run as the API shows it. Call with the lock held.
    private func row(_ index: Int, fields: Set<String>?, status: String) -> JSON {
        let run = runs[index]
        var configuration = run.configuration
        configuration.seed = seed(index)
        var config = RunRecord.config(configuration)
        var summary = summaries[index] ?? .null
        if let fields {
            config = .object((config.members ?? []).filter { fields.contains($0.key) })
            if let members = summary.members { summary = .object(members.filter { fields.contains($0.key) }) }
        }
        var members: [JSON.Member] = [
            .init("run_id", .string(run.id)), .init("mode", .string(run.configuration.mode.rawValue)),
            .init("status", .string(status)), .init("config", config),
            .init("summary_stats", summary),
        ]
        if let failure = failures[index] { members.append(.init("error", .string(failure))) }
        return .object(members)
    }
}
