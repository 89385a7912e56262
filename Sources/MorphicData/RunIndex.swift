import Foundation
import MorphicCore

/// A sweep's runs as columns in memory, answering ``RunQuery``s without touching the disk:
/// parameters come from the plan, summary statistics from each run's record, read once
/// when the run has finished (records never change), or, for an assembled sweep, from its
/// ``RunIndexFile`` in one read.
///
/// Statistics are kept as one array of doubles per statistic, about 120 bytes a run, and a
/// page's `summary_stats` are written from them (records write each statistic in the
/// shortest form that reads back to the same double, so the text is the record's).
///
/// Reading the records is done once, on a thread of its own, and shared: every query that
/// needs them waits for the same read, and a query that gives up waiting (``page`` and
/// ``columns`` return nil) leaves it running, so asking again finds what it read.
public final class RunIndex: @unchecked Sendable {
    /// The runs, in the definition's order.
    public let runs: SweepRuns
    /// Guards everything below; readers of records wait on it for the read under way.
    private let lock = NSCondition()
    /// Parameter columns, made on first use (most queries need one or two); only the last
    /// few are kept, since each holds a double per run.
    private var numbers: [String: [Double]] = [:]
    private var texts: [String: [String]] = [:]
    private var columnUse: [String] = []
    /// Per run: whether it is known to have finished or failed (``RunIndexFile/State``).
    private var states: [UInt8]
    /// Per statistic, in ``RunQuery/statistics`` order: its value for each run (NaN for
    /// null, or not known).
    private var statistics: [[Double]]
    /// Failed runs' messages, by index.
    private var failures: [Int: String] = [:]
    private var lastRefresh = -Double.infinity
    /// Whether a read of the records is under way, and how far it got.
    private var reading = false
    private var readProgress = (done: 0, of: 0)
    /// Whether the folder's index file has been looked for.
    private var triedFile = false
    /// Records read so far, for reports: each finished run's once, however many ask.
    public var recordsRead: Int { lock.withLock { recordCount } }
    private var recordCount = 0
    /// The run map's `map_x` and `map_y` by run (NaN off the map), and what they were made from.
    private var mapColumns: [String: [Double]] = [:]
    private var mapSource: String?
    private var swept: [String]?
    /// The sweep's seed, from which a run without its own seed derives one (as its record's
    /// `config.seed` shows).
    private let sweepSeed: UInt64
    private let sweepID: String
    /// Counts what changed the rows: runs read as finished or failed, the map set again.
    private var changes = 0
    /// Tells this index from an earlier one of a sweep with the same id (deleted, then
    /// submitted again), whose change count may coincide.
    private let instance = UInt64.random(in: 1...UInt64.max)

    /// Parameter columns kept besides those a query uses now.
    static let keptColumns = 2
    /// Runs read between two publications of what a read found.
    static let readChunk = 4096

    /// An index of `definition`'s runs, none known to have finished yet.
    public init(definition: SweepDefinition) {
        runs = definition.runs
        sweepSeed = definition.seed
        sweepID = definition.id
        states = Array(repeating: RunIndexFile.State.unknown.rawValue, count: runs.count)
        statistics = Array(repeating: Array(repeating: .nan, count: runs.count), count: RunQuery.statistics.count)
    }

    /// A numeric parameter's column. Call with the lock held.
    private func numberColumn(_ name: String) -> [Double] {
        if let column = numbers[name] {
            used(name)
            return column
        }
        let key = ParameterKey(rawValue: name)!
        let column: [Double]
        if key == .seed {
            // Approximate above 2^53: filters and sorts on the seed compare it exactly instead.
            column = runs.indices.map { Double(seed($0)) }
        } else {
            column = perPoint { configuration in
                guard case .number(let text)? = configuration.value(key) else { return Double.nan }
                return Double(text) ?? .nan
            }
        }
        numbers[name] = column
        used(name)
        return column
    }

    /// Notes that column `name` was used, and drops the least recently used beyond ``keptColumns``.
    private func used(_ name: String) {
        columnUse.removeAll { $0 == name }
        columnUse.append(name)
        while columnUse.count > Self.keptColumns {
            let oldest = columnUse.removeFirst()
            numbers[oldest] = nil
            texts[oldest] = nil
        }
    }

    /// The seed run `index` is computed with: its own, or derived from the sweep's.
    private func seed(_ index: Int) -> UInt64 {
        runs[index].configuration.seed ?? CounterRandom.runSeed(sweepSeed: sweepSeed, runID: runs[index].id)
    }

    /// A column of what `value` says of each run's configuration, found once per point of
    /// the definition (replicates share it) rather than once per run.
    private func perPoint<T>(_ value: (RunConfiguration) -> T) -> [T] {
        var column: [T] = []
        column.reserveCapacity(runs.count)
        for block in runs.blocks {
            for point in 0..<block.points {
                let found = value(block.configuration(point: point))
                column.append(contentsOf: repeatElement(found, count: block.replicates))
            }
        }
        return column
    }

    /// Each run's mode, as its place in `Mode.allCases`: a byte a run, made once.
    private lazy var modes: [UInt8] = perPoint { UInt8(Mode.allCases.firstIndex(of: $0.mode)!) }

    /// A text column's values by run: `mode` and `label` from ``modes``, others from
    /// ``textColumn(_:)``. Call with the lock held.
    private func textValues(_ name: String) -> (Int) -> String {
        if name == "mode" || name == "label" {
            let codes = modes
            return { Mode.allCases[Int(codes[$0])].rawValue }
        }
        let column = textColumn(name)
        return { column[$0] }
    }

    /// A text column (`run_id` or a text parameter). Call with the lock held.
    private func textColumn(_ name: String) -> [String] {
        if let column = texts[name] {
            used(name)
            return column
        }
        let column: [String]
        switch name {
        case "run_id": column = runs.map(\.id)
        default:
            let key = ParameterKey(rawValue: name)!
            column = perPoint { configuration in
                if case .text(let text)? = configuration.value(key) { return text }
                return ""
            }
        }
        texts[name] = column
        used(name)
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

    /// Brings the index up to date with the records of runs that finished since the last
    /// look, at most once per `interval` seconds, and waits at most `wait` seconds for that
    /// read. Each finished run is read once, ever; the first look takes the folder's
    /// ``RunIndexFile`` instead, when it has one.
    ///
    /// The read runs on a thread of its own and is shared: a call while one is under way
    /// waits for it rather than starting another. Returns false when `wait` ran out first;
    /// the read goes on, and keeps what it finds.
    @discardableResult
    public func refresh(from folder: SweepFolder, interval: Double = 1, wait: Double = .infinity) -> Bool {
        let now = ProcessInfo.processInfo.systemUptime
        lock.lock()
        defer { lock.unlock() }
        if !reading && now - lastRefresh >= interval {
            lastRefresh = now
            let pending = states.indices.filter { states[$0] == RunIndexFile.State.unknown.rawValue }
            let fileFirst = !triedFile
            triedFile = true
            // Every run known: nothing can change (a retry makes a new index).
            guard fileFirst || !pending.isEmpty else { return true }
            reading = true
            readProgress = (0, pending.count)
            let thread = Thread { [self] in
                if !(fileFirst && load(from: folder)) { read(pending, from: folder, publishing: true) }
                lock.withLock {
                    reading = false
                    lock.broadcast()
                }
            }
            thread.name = "runs-index"
            thread.start()
        }
        let deadline = Date(timeIntervalSinceNow: min(wait, 1e9))
        while reading {
            if !lock.wait(until: deadline) { return !reading }
        }
        return true
    }

    /// How far the read under way has got, for a caller that stopped waiting.
    public var progress: (done: Int, of: Int) { lock.withLock { readProgress } }

    /// Takes the statistics of every run from the folder's index file, if it has a whole
    /// one, straight into the columns.
    private func load(from folder: SweepFolder) -> Bool {
        let width = RunQuery.statistics.count
        let found = RunIndexFile.read(folder: folder, sweepID: sweepID, count: runs.count) { first, values in
            lock.withLock {
                for run in 0..<values.count / width {
                    for position in 0..<width { statistics[position][first + run] = values[run * width + position] }
                }
            }
        }
        guard let found else {
            // A file that broke off part-way: runs not known otherwise have no values yet.
            lock.withLock {
                for index in states.indices where states[index] == RunIndexFile.State.unknown.rawValue {
                    for position in 0..<width { statistics[position][index] = .nan }
                }
            }
            return false
        }
        var failed: [Int: String] = [:]
        for index in found.indices where found[index] == RunIndexFile.State.failed.rawValue {
            failed[index] = folder.failure(runs[index].id) ?? "failed"
        }
        lock.withLock {
            states = found
            failures = failed
            readProgress = (runs.count, runs.count)
            changes += 1
        }
        return true
    }

    /// Reads the records or failures of the runs at `indices` that have them; with
    /// `publishing`, what it found is kept every ``readChunk`` runs, so a long read shows
    /// its progress and keeps its work.
    private func read(_ indices: [Int], from folder: SweepFolder, publishing: Bool = false) {
        var found: [(Int, [Double]?, String?)] = []
        var cursor = RecordStore.Cursor(RecordStore(folder))
        var done = 0
        func keep() {
            guard !found.isEmpty || publishing else { return }
            lock.withLock {
                for (index, values, failure) in found {
                    if let values {
                        for position in values.indices { statistics[position][index] = values[position] }
                        states[index] = RunIndexFile.State.finished.rawValue
                    } else {
                        failures[index] = failure
                        states[index] = RunIndexFile.State.failed.rawValue
                    }
                }
                recordCount += found.count { $0.1 != nil }
                if !found.isEmpty { changes += 1 }
                if publishing { readProgress.done = done }
            }
            found.removeAll(keepingCapacity: true)
        }
        for index in indices {
            let run = runs[index]
            if let bytes = cursor.record(run, index: index), let summary = Self.summary(of: bytes) {
                found.append((index, RunQuery.statistics.map { summary[$0]?.doubleValue ?? .nan }, nil))
            } else if let failure = folder.failure(run.id) {
                found.append((index, nil, failure))
            }
            done += 1
            if done % Self.readChunk == 0 { keep() }
        }
        keep()
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
    /// record (read once, then looked at again at most every `interval` seconds); nil when
    /// that read did not end within `wait` seconds (it goes on: ask again). Any other query
    /// needs only the records of the page it returns, so a sweep of 100,000 runs shows its
    /// first page at once.
    public func page(
        _ query: RunQuery, offset: Int, limit: Int, folder: SweepFolder, interval: Double, wait: Double = .infinity,
        activity: @escaping (PlannedRun) -> String
    ) -> Page? {
        guard
            let chosen = select(
                query, offset: offset, limit: limit, folder: folder, interval: interval, wait: wait, activity: activity)
        else { return nil }
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

    /// The runs of ``page(_:offset:limit:folder:interval:wait:activity:)``, as indices: the
    /// records they need are read, their rows not yet rendered. Nil when the read of every
    /// record did not end within `wait` seconds (it goes on: ask again).
    public func select(
        _ query: RunQuery, offset: Int, limit: Int, folder: SweepFolder, interval: Double, wait: Double = .infinity,
        activity: @escaping (PlannedRun) -> String
    ) -> Selection? {
        if Self.needsRecords(query) {
            guard refresh(from: folder, interval: interval, wait: wait) else { return nil }
        } else {
            let wanted: [Int] = lock.withLock {
                let order = matching(query, status: { _ in "" })
                let first = min(max(0, offset), order.count)
                return order[first..<first + min(max(0, limit), order.count - first)].filter {
                    states[$0] == RunIndexFile.State.unknown.rawValue
                }
            }
            if !wanted.isEmpty { read(wanted, from: folder) }
        }
        return lock.withLock { chosen(query, offset: offset, limit: limit, activity: activity) }
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

    /// The runs matching `query`, sorted, from `offset`, at most `limit`. Call with the lock held.
    private func chosen(_ query: RunQuery, offset: Int, limit: Int, activity: @escaping (PlannedRun) -> String)
        -> Selection
    {
        let order = matching(query, status: { self.status($0, activity: activity) })
        let first = min(max(0, offset), order.count)
        let slice = order[first..<first + min(max(0, limit), order.count - first)]
        return Selection(
            total: runs.count, matched: order.count, indices: slice.map { Int32($0) }, version: currentVersion)
    }

    /// The finished runs matching `query`, in the definition's order, as one column of
    /// numbers per name in `names` (parameters or statistics; NaN where a run has none), and
    /// how many runs the sweep has. Reads every finished run's record first (at most every
    /// `interval` seconds), so the columns cover all of them, not a page; nil when that read
    /// did not end within `wait` seconds (it goes on: ask again).
    public func columns(
        _ names: [String], query: RunQuery, folder: SweepFolder, interval: Double, wait: Double = .infinity,
        activity: @escaping (PlannedRun) -> String
    ) -> (total: Int, columns: [[Double]])? {
        guard refresh(from: folder, interval: interval, wait: wait) else { return nil }
        return lock.withLock {
            // No sort: the finished runs the conditions keep, without a list of every run first.
            let tests = query.conditions.map { test($0, status: { self.status($0, activity: activity) }) }
            let finished = runs.indices.filter { index in
                states[index] == RunIndexFile.State.finished.rawValue && tests.allSatisfy { $0(index) }
            }
            return (runs.count, names.map { name in
                let value = numeric(name)
                return finished.map(value)
            })
        }
    }

    /// The numeric parameters (but the seed) that take more than one value: over the
    /// definition's field runs for a parameter that acts through the field, over all its runs
    /// for one that acts in every run (an initial density varied among the controls alone is
    /// varied too). The parameters a sweep varies, known before any run ends; found from the
    /// definition's points, not its runs, so a million runs cost nothing more.
    public func sweptParameters() -> [String] {
        if let known = lock.withLock({ swept }) { return known }
        let found = RunQuery.numericParameters.filter { name in
            guard name != "seed", let key = ParameterKey(rawValue: name) else { return false }
            var values = Set<UInt64>()
            let everyRun = !GroundTruth.isFieldParameter(key)
            runs.aggregate(over: [key, .mode]) { configuration, _ in
                guard everyRun || configuration.mode != .classical else { return }
                var value = Double.nan
                if case .number(let text)? = configuration.value(key) { value = Double(text) ?? .nan }
                // NaN (no value) is one value, as is each number whatever its sign of zero.
                values.insert(value.isNaN ? Double.nan.bitPattern : (value + 0).bitPattern)
            }
            return values.count > 1
        }
        lock.withLock { swept = found }
        return found
    }

    /// Whether answering `query` needs the records of every run, not only of its page.
    public static func needsRecords(_ query: RunQuery) -> Bool {
        let recorded = Set(RunQuery.statistics + ["status"])
        return query.conditions.contains { recorded.contains($0.column) }
            || query.sort.map { recorded.contains($0.column) } ?? false
    }

    /// The runs matching `query`, as `runs.csv` rows: run_id, mode, status, then the
    /// chosen parameters and statistics; from `offset`, at most `limit`, as ``page`` counts.
    /// Call ``refresh(from:interval:wait:)`` first for the statistics to be known.
    public func csv(_ query: RunQuery, offset: Int = 0, limit: Int = .max, activity: @escaping (PlannedRun) -> String)
        -> [UInt8]
    {
        let selection = csvSelection(query, offset: offset, limit: limit, activity: activity)
        return csvHeader(query) + csvLines(selection.indices, query: query, activity: activity)
    }

    /// The runs `runs.csv` lists for `query`, from `offset`, at most `limit`, as indices.
    public func csvSelection(_ query: RunQuery, offset: Int, limit: Int, activity: @escaping (PlannedRun) -> String)
        -> Selection
    {
        lock.withLock { chosen(query, offset: offset, limit: limit, activity: activity) }
    }

    /// The header line of `runs.csv` for `query`.
    public func csvHeader(_ query: RunQuery) -> [UInt8] {
        let (text, parameters, stats) = Self.csvColumns(query)
        var out = Array((["run_id", "mode", "status"] + text + parameters + stats).joined(separator: ",").utf8)
        out.append(0x0A)
        return out
    }

    /// The `runs.csv` lines of the runs `indices`. Parameters are taken from each run's
    /// plan, not kept as columns.
    public func csvLines(_ indices: some Collection<Int32>, query: RunQuery, activity: (PlannedRun) -> String)
        -> [UInt8]
    {
        let (textParameters, parameters, stats) = Self.csvColumns(query)
        let positions = stats.map { RunQuery.statistics.firstIndex(of: $0)! }
        let textKeys = textParameters.map { ParameterKey(rawValue: $0)! }
        let numberKeys = parameters.map { ParameterKey(rawValue: $0)! }
        return lock.withLock {
            var out: [UInt8] = []
            out.reserveCapacity(indices.count * 200)
            for position in indices {
                let index = Int(position)
                let run = runs[index]
                var cells = [run.id, run.configuration.mode.rawValue, status(index, activity: activity)]
                cells += textKeys.map { key in
                    if case .text(let text)? = run.configuration.value(key) { return text }
                    return ""
                }
                cells += numberKeys.map { key in
                    if key == .seed { return String(seed(index)) }
                    guard case .number(let text)? = run.configuration.value(key) else { return "" }
                    return Self.cell(Double(text) ?? .nan)
                }
                let finished = states[index] == RunIndexFile.State.finished.rawValue
                cells += positions.map { finished ? Self.cell(statistics[$0][index]) : "" }
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
    private func matching(_ query: RunQuery, status: @escaping (Int) -> String) -> [Int] {
        let tests = query.conditions.map { test($0, status: status) }
        let order = runs.indices.filter { index in tests.allSatisfy { $0(index) } }
        guard let sort = query.sort else { return order }
        // Keys gathered once, then sorted as plain pairs: ties keep the definition's order,
        // and unknown numbers (runs not finished) come last either way.
        if RunQuery.textColumns.contains(sort.column) {
            let values = sort.column == "status" ? status : textValues(sort.column)
            return Self.sorted(order, by: values, descending: sort.descending)
        }
        if sort.column == "seed" {
            // Exactly, as UInt64: seeds above 2^53 differ where their Doubles do not.
            return Self.sorted(order, by: seed, descending: sort.descending)
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

    /// `order` sorted by each run's `key`, ties in `order`'s own order.
    private static func sorted<Key: Comparable>(_ order: [Int], by key: (Int) -> Key, descending: Bool) -> [Int] {
        var keyed: [(key: Key, index: Int)] = order.map { (key($0), $0) }
        keyed.sort { a, b in
            if a.key == b.key { return a.index < b.index }
            return descending ? a.key > b.key : a.key < b.key
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
        let values = statistics[position]
        return { values[$0] }
    }

    private func test(_ condition: RunQuery.Condition, status: @escaping (Int) -> String) -> (Int) -> Bool {
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
        let text = condition.column == "status" ? status : textValues(condition.column)
        let target = condition.column == "label" && condition.text == "control" ? "classical" : condition.text
        switch condition.comparison {
        case .notEqual: return { text($0) != target }
        case .prefix: return { text($0).hasPrefix(target) }
        default: return { text($0) == target }
        }
    }

    private func status(_ index: Int, activity: (PlannedRun) -> String) -> String {
        if states[index] == RunIndexFile.State.finished.rawValue { return "completed" }
        if states[index] == RunIndexFile.State.failed.rawValue { return "failed" }
        return activity(runs[index])
    }

    /// A run as the API shows it. Call with the lock held.
    private func row(_ index: Int, fields: Set<String>?, status: String) -> JSON {
        let run = runs[index]
        var configuration = run.configuration
        configuration.seed = seed(index)
        var config = RunRecord.config(configuration)
        var summary = summaryJSON(index)
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

    /// Run `index`'s `summary_stats` as its record holds them, from the columns: integers
    /// as integers, doubles in their shortest form, null where the record has null.
    private func summaryJSON(_ index: Int) -> JSON {
        guard states[index] == RunIndexFile.State.finished.rawValue else { return .null }
        return .object(
            RunQuery.statistics.indices.map { position in
                let value = statistics[position][index]
                let json: JSON =
                    !value.isFinite ? .null : Self.integral[position] ? .int(Int(value)) : .double(value)
                return JSON.Member(RunQuery.statistics[position], json)
            })
    }

    /// Which statistics records write as integers.
    private static let integral = RunQuery.statistics.map { RunRecord.integerStatistics.contains($0) }
}
