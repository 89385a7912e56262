import MorphicCore

/// A parameter sweep (README, "Sweeps and datasets"), checked, normalized and expanded into runs.
///
/// A run's parameters are docs/model.md's defaults, overridden by `defaults`, then by its
/// group's `params`, then by its point: a grid's (axes combine in the order of docs/model.md's
/// parameter table, the first outermost), a sample's draw or one of a list of points. Each
/// point has `replicates` runs, replicates innermost.
public struct SweepDefinition: Sendable {
    /// One group of runs sharing a prefix.
    public struct Group: Hashable, Sendable {
        /// Run ids are `<prefix>_<n>`.
        public let prefix: String
        /// Runs per point.
        public let replicates: Int
        /// Fixed parameters, in docs/model.md's order.
        public let params: [(key: ParameterKey, value: ParameterValue)]
        /// Swept parameters and their values, in docs/model.md's order (empty for a sample or
        /// a list of points).
        public let grid: [(key: ParameterKey, values: [ParameterValue])]
        /// The group's drawn points, when it has `sample`.
        public let sample: ParameterSample?
        /// The group's listed points (`points`), each its parameters in docs/model.md's order.
        public let points: [[(key: ParameterKey, value: ParameterValue)]]?

        /// Groups are equal when every field is.
        public static func == (lhs: Group, rhs: Group) -> Bool {
            lhs.prefix == rhs.prefix && lhs.replicates == rhs.replicates
                && lhs.params.elementsEqual(rhs.params) { $0 == $1 }
                && lhs.grid.elementsEqual(rhs.grid) { $0 == $1 } && lhs.sample == rhs.sample
                && (lhs.points ?? []).elementsEqual(rhs.points ?? []) { $0.elementsEqual($1) { $0 == $1 } }
                && (lhs.points == nil) == (rhs.points == nil)
        }

        /// Hashes the prefix and replicates (enough to spread groups apart).
        public func hash(into hasher: inout Hasher) {
            hasher.combine(prefix)
            hasher.combine(replicates)
        }
    }

    /// A person's name for the sweep.
    public let name: String
    /// The sweep seed from which run seeds are derived.
    public let seed: UInt64
    /// Parameters shared by every group, in docs/model.md's order.
    public let defaults: [(key: ParameterKey, value: ParameterValue)]
    /// The groups, in order.
    public let groups: [Group]
    /// Where to POST the final status when the sweep ends.
    public let notifyURL: String?
    /// Generations between the grid snapshots of `frames.npz` (`"snapshots": {"every": N}`),
    /// or nil for none.
    public let snapshotEvery: Int?
    /// Every run, in order (computed when asked for, not held).
    public let runs: SweepRuns

    /// The normalized definition: every value canonical, keys in a fixed order, defaults
    /// filled in. Equal sweeps have equal normalized definitions.
    public let normalized: JSON
    /// Derived from the normalized definition and the model version: a readable slug of the
    /// name and 16 hex digits of a SHA-256.
    public private(set) var id: String

    /// The normalized definition as a dataset records it (its manifest and its card): without
    /// `notify_url`, whose path or query may hold a receiver's token, while the dataset is
    /// served to anyone who may read. The sweep's folder keeps the whole definition.
    public var published: JSON {
        guard let members = normalized.members else { return normalized }
        return .object(members.filter { $0.key != "notify_url" })
    }

    /// This definition read from a dataset's manifest (``published``), under the sweep id the
    /// manifest records: a definition published without its `notify_url` derives another.
    public func identified(as recordedID: String) -> SweepDefinition {
        var definition = self
        definition.id = recordedID
        return definition
    }

    /// Where each group's runs start in ``runs``, and how many it has, by prefix.
    private let groupRanges: [String: Range<Int>]

    /// The index in ``runs`` of the run named `id`, without a search: ids are
    /// `<prefix>_<n>` and a group's runs are consecutive.
    public func index(ofRun id: String) -> Int? {
        guard let separator = id.lastIndex(of: "_"), let range = groupRanges[String(id[..<separator])],
            let number = Int(id[id.index(after: separator)...]), number >= 1, number <= range.count,
            id[id.index(after: separator)...].first != "0" && id[id.index(after: separator)...].first != "+"
        else { return nil }
        return range.lowerBound + number - 1
    }

    /// Total cell updates of all runs (saturating at `Int.max`).
    public var cellSteps: Int { runs.total(over: [.gridSize, .generations]) { $0.cellSteps } }

    /// Runs grouped for computation: each coupling group's members in order.
    public var couplingGroups: CouplingGroups { CouplingGroups(runs: runs) }


    /// Parses and checks a definition; errors name the offending field.
    public static func parse(_ bytes: some Collection<UInt8>, limits: SweepLimits = SweepLimits()) throws(SweepError)
        -> SweepDefinition
    {
        let json: JSON
        do {
            json = try JSONParser.parse(bytes)
        } catch {
            throw SweepError(
                field: error.duplicateKey == nil ? "" : error.field, message: "not valid JSON: \(error)",
                isMalformed: error.duplicateKey == nil)
        }
        return try SweepDefinition(json: json, limits: limits)
    }

    /// Checks a parsed definition; errors name the offending field.
    public init(json: JSON, limits: SweepLimits = SweepLimits()) throws(SweepError) {
        guard let members = json.members else {
            throw SweepError(field: "", message: "a sweep definition is a JSON object")
        }
        let allowed = ["name", "seed", "defaults", "groups", "notify_url", "snapshots"]
        if let unknown = members.first(where: { !allowed.contains($0.key) }) {
            throw SweepError(
                field: unknown.key, message: "unknown key; a definition has \(allowed.joined(separator: ", "))")
        }
        switch json["name"] {
        case nil: name = "sweep"
        case .string(let text) where !text.isEmpty && text.count <= 200: name = text
        default: throw SweepError(field: "name", message: "must be a string of 1-200 characters")
        }
        switch json["seed"] {
        case nil: seed = 0
        case .number(let text) where UInt64(text) != nil: seed = UInt64(text)!
        default: throw SweepError(field: "seed", message: "must be an integer in 0...18446744073709551615")
        }
        switch json["notify_url"] {
        case nil: notifyURL = nil
        case .string(let url)
        where (url.hasPrefix("http://") || url.hasPrefix("https://")) && url.utf8.count <= 2048
            && !url.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.properties.generalCategory == .control }):
            notifyURL = url
        default:
            throw SweepError(
                field: "notify_url", message: "must be an http:// or https:// URL without spaces or control characters")
        }
        snapshotEvery = try Self.snapshots(json["snapshots"])
        let defaults = try Self.parameters(json["defaults"], field: "defaults", allowSeed: false)
        self.defaults = defaults
        guard let groupList = json["groups"]?.elements, !groupList.isEmpty else {
            throw SweepError(field: "groups", message: "must be a non-empty array of groups")
        }
        groups = try groupList.enumerated().map { (index, group) throws(SweepError) in
            try Self.group(group, field: "groups[\(index)]", defaults: defaults, limits: limits)
        }
        runs = try Self.expand(seed: seed, defaults: defaults, groups: groups, limits: limits)
        groupRanges = Dictionary(uniqueKeysWithValues: runs.blocks.map { ($0.prefix, $0.start..<$0.start + $0.count) })
        let totalCellSteps = runs.total(over: [.gridSize, .generations]) { $0.cellSteps }
        guard totalCellSteps <= limits.maximumCellSteps else {
            throw SweepError(
                field: "groups",
                message:
                    "the sweep asks for \(totalCellSteps) cell updates; the limit is \(limits.maximumCellSteps) (max_cell_steps; --max-cell-steps on the command line)",
                isOverLimit: true)
        }
        let estimatedBytes = runs.total(over: [.generations]) { SweepLimits.estimatedBytes(generations: $0.generations) }
        guard estimatedBytes <= limits.maximumEstimatedBytes else {
            throw SweepError(
                field: "groups",
                message:
                    "the sweep's dataset would take about \(SweepLimits.size(estimatedBytes)) on disk; the limit is \(SweepLimits.size(limits.maximumEstimatedBytes)) (max_sweep_bytes; --max-sweep-bytes on the command line)",
                isOverLimit: true)
        }
        if let every = snapshotEvery {
            let bytes = runs.total(over: [.gridSize, .generations]) {
                SweepLimits.snapshotBytes(gridSize: $0.gridSize, generations: $0.generations, every: every)
            }
            guard bytes <= limits.maximumSnapshotBytes else {
                throw SweepError(
                    field: "snapshots.every",
                    message:
                        "the snapshots would take \(SweepLimits.size(bytes)); the limit is \(SweepLimits.size(limits.maximumSnapshotBytes)) (max_snapshot_bytes; --max-snapshot-bytes on the command line): snapshot less often",
                    isOverLimit: true)
            }
        }
        normalized = Self.normalize(
            name: name, seed: seed, defaults: defaults, groups: groups, notifyURL: notifyURL, snapshotEvery: snapshotEvery)
        id = Self.identifier(name: name, normalized: normalized)
    }

    /// `{"every": N}`: N in 1...100,000.
    private static func snapshots(_ json: JSON?) throws(SweepError) -> Int? {
        guard let json else { return nil }
        guard let members = json.members, members.count == 1, members[0].key == "every" else {
            throw SweepError(field: "snapshots", message: "must be {\"every\": N}, N generations between snapshots")
        }
        guard let every = members[0].value.intValue, (1...100_000).contains(every) else {
            throw SweepError(field: "snapshots.every", message: "must be an integer in 1...100000")
        }
        return every
    }

    private static func group(
        _ json: JSON, field: String, defaults: [(key: ParameterKey, value: ParameterValue)], limits: SweepLimits
    ) throws(SweepError) -> Group {
        guard let members = json.members else { throw SweepError(field: field, message: "a group is a JSON object") }
        let allowed = ["prefix", "mode", "replicates", "params", "grid", "sample", "points"]
        if let unknown = members.first(where: { !allowed.contains($0.key) }) {
            throw SweepError(
                field: "\(field).\(unknown.key)", message: "unknown key; a group has \(allowed.joined(separator: ", "))"
            )
        }
        let designs = members.filter { ["grid", "sample", "points"].contains($0.key) }
        if designs.count > 1 {
            throw SweepError(
                field: "\(field).\(designs[1].key)",
                message: "a group has at most one of grid, sample and points; this one has "
                    + designs.map(\.key).joined(separator: " and "))
        }
        guard let prefix = json["prefix"]?.stringValue, RunIdentifier.isValid(prefix + "_1"),
            prefix.utf8.count <= RunIdentifier.maximumLength - 7
        else {
            throw SweepError(
                field: "\(field).prefix",
                message:
                    "must be a string of letters, digits, '_', '-' and '.' of at most \(RunIdentifier.maximumLength - 7) characters"
            )
        }
        var replicates = 1
        if let value = json["replicates"] {
            guard let count = value.intValue, (1...limits.maximumRuns).contains(count) else {
                throw SweepError(
                    field: "\(field).replicates", message: "must be an integer in 1...\(limits.maximumRuns)",
                    isOverLimit: (value.intValue ?? 0) > limits.maximumRuns)
            }
            replicates = count
        }
        var params = try parameters(json["params"], field: "\(field).params", allowSeed: true)
        if let mode = json["mode"] {
            guard !params.contains(where: { $0.key == .mode }) else {
                throw SweepError(field: "\(field).mode", message: "set both here and in params")
            }
            guard case .string(let text) = mode else {
                throw SweepError(field: "\(field).mode", message: "must be \(ParameterKey.mode.allowed)")
            }
            params += try parameters(.object(["mode": .string(text)]), field: field, allowSeed: false)
            params.sort { $0.key < $1.key }
        }
        var grid: [(key: ParameterKey, values: [ParameterValue])] = []
        if let axes = json["grid"] {
            guard let members = axes.members else {
                throw SweepError(field: "\(field).grid", message: "must be an object of parameter: [values]")
            }
            for member in members {
                let axisField = "\(field).grid.\(member.key)"
                guard let key = ParameterKey(rawValue: member.key) else {
                    throw SweepError(field: axisField, message: "unknown parameter")
                }
                guard !params.contains(where: { $0.key == key }) else {
                    throw SweepError(field: axisField, message: "set both in \(Self.fixedWhere(key, json)) and in grid")
                }
                guard let list = member.value.elements, !list.isEmpty else {
                    throw SweepError(field: axisField, message: "must be a non-empty array of values")
                }
                var values: [ParameterValue] = []
                // A set, not a search of the list: a list of 100,000 values in a small body
                // once took half a minute of a server's thread.
                var seen: Set<ParameterValue> = []
                for (index, element) in list.enumerated() {
                    let value = try canonical(key, element, field: "\(axisField)[\(index)]")
                    guard seen.insert(value).inserted else {
                        throw SweepError(field: "\(axisField)[\(index)]", message: "repeats an earlier value")
                    }
                    values.append(value)
                }
                grid.append((key, values))
            }
            grid.sort { $0.key < $1.key }
        }
        let sample = try json["sample"].map { (json) throws(SweepError) in
            try ParameterSample(json: json, field: "\(field).sample", fixed: params.map(\.key), limits: limits)
        }
        let group = json
        let points = try json["points"].map { (json) throws(SweepError) in
            try Self.points(json, field: "\(field).points", fixed: params.map(\.key), group: group, limits: limits)
        }
        return Group(prefix: prefix, replicates: replicates, params: params, grid: grid, sample: sample, points: points)
    }

    /// Checks min_form_cells ≤ form_size², the one limit between parameters, for every run
    /// the group can have: a grid's or a sample's largest min_form_cells against its smallest
    /// form_size (so the verdict never depends on the draws), and each listed point. The
    /// error names the bound, value or point that breaks it.
    private static func checkFormLimit(
        _ group: Group, index: Int, fixed: RunConfiguration, defaults: [(key: ParameterKey, value: ParameterValue)]
    ) throws(SweepError) {
        let field = "groups[\(index)]"
        func fixedField(_ key: ParameterKey) -> String {
            group.params.contains { $0.key == key }
                ? "\(field).params.\(key.rawValue)"
                : defaults.contains { $0.key == key } ? "defaults.\(key.rawValue)" : field
        }
        if let points = group.points {
            for (number, point) in points.enumerated() {
                var configuration = fixed
                for (key, value) in point { try! configuration.set(key, value) }
                do throws(ConfigurationError) {
                    _ = try configuration.validated()
                } catch {
                    let key: ParameterKey = point.contains { $0.key == .minFormCells } || !point.contains { $0.key == .formSize }
                        ? .minFormCells : .formSize
                    throw SweepError(
                        field: point.contains { $0.key == key }
                            ? "\(field).points[\(number)].\(key.rawValue)" : fixedField(key),
                        message: error.message)
                }
            }
            return
        }
        // The extreme value of `key` over the group's runs, and the field that declares it.
        func extreme(_ key: ParameterKey, largest: Bool) -> (value: Int, field: String, varies: Bool) {
            var candidates: [(Int, String)] = []
            if let axis = group.grid.first(where: { $0.key == key }) {
                for (number, value) in axis.values.enumerated() {
                    candidates.append((Int(value.string)!, "\(field).grid.\(key.rawValue)[\(number)]"))
                }
            } else if let drawn = group.sample?.parameters.first(where: { $0.key == key }) {
                let at = "\(field).sample.params.\(key.rawValue)"
                switch drawn.distribution {
                case .integer(let lo, let hi): candidates = [(lo, "\(at).integer[0]"), (hi, "\(at).integer[1]")]
                case .choice(let values):
                    for (number, value) in values.enumerated() {
                        candidates.append((Int(value.string)!, "\(at).choice[\(number)]"))
                    }
                case .uniform, .logUniform: break  // whole-number parameters are never drawn so
                }
            }
            guard !candidates.isEmpty else {
                return (Int(fixed.value(key)!.string)!, fixedField(key), false)
            }
            let best = largest ? candidates.max { $0.0 < $1.0 }! : candidates.min { $0.0 < $1.0 }!
            return (best.0, best.1, true)
        }
        let cells = extreme(.minFormCells, largest: true)
        let size = extreme(.formSize, largest: false)
        guard cells.value > size.value * size.value else { return }
        let limit = "form_size² = \(size.value * size.value)"
        switch (cells.varies, size.varies) {
        case (true, true):
            throw SweepError(
                field: cells.field,
                message: "min_form_cells goes up to \(cells.value), above \(limit) for the smallest form_size, \(size.value): "
                    + "every combination must satisfy min_form_cells ≤ form_size²")
        case (true, false):
            throw SweepError(
                field: cells.field,
                message: "min_form_cells goes up to \(cells.value); it must be at most \(limit)")
        case (false, true):
            throw SweepError(
                field: size.field,
                message: "form_size goes down to \(size.value), whose \(limit) is below min_form_cells = \(cells.value)")
        case (false, false):
            throw SweepError(
                field: cells.field, message: "min_form_cells must be at most \(limit), not \(cells.value)")
        }
    }

    /// Where a group fixed `key`: its own `mode`, or its `params`.
    private static func fixedWhere(_ key: ParameterKey, _ group: JSON) -> String {
        key == .mode && group["mode"] != nil ? "the group's mode" : "params"
    }

    /// `[{parameter: value, …}, …]`: at least one point, each of known parameters that the
    /// group's `params` leave free.
    private static func points(_ json: JSON, field: String, fixed: [ParameterKey], group: JSON, limits: SweepLimits)
        throws(SweepError) -> [[(key: ParameterKey, value: ParameterValue)]]
    {
        guard let list = json.elements, !list.isEmpty else {
            throw SweepError(field: field, message: "must be a non-empty array of objects of parameter values")
        }
        guard list.count <= limits.maximumRuns else {
            throw SweepError(
                field: field, message: "has \(list.count) points; the limit is \(limits.maximumRuns) runs (max_runs; --max-runs on the command line)",
                isOverLimit: true)
        }
        var points: [[(key: ParameterKey, value: ParameterValue)]] = []
        for (index, element) in list.enumerated() {
            let pointField = "\(field)[\(index)]"
            guard element.members != nil else {
                throw SweepError(field: pointField, message: "a point is an object of parameter values")
            }
            let point = try parameters(element, field: pointField, allowSeed: false)
            if let both = point.first(where: { fixed.contains($0.key) }) {
                throw SweepError(
                    field: "\(pointField).\(both.key.rawValue)",
                    message: "set both in \(fixedWhere(both.key, group)) and in points")
            }
            points.append(point)
        }
        return points
    }

    /// Checks an object of parameters and writes each value canonically.
    private static func parameters(_ json: JSON?, field: String, allowSeed: Bool) throws(SweepError)
        -> [(key: ParameterKey, value: ParameterValue)]
    {
        guard let json else { return [] }
        guard let members = json.members else {
            throw SweepError(field: field, message: "must be an object of parameters")
        }
        var result: [(key: ParameterKey, value: ParameterValue)] = []
        for member in members {
            let memberField = "\(field).\(member.key)"
            guard let key = ParameterKey(rawValue: member.key) else {
                throw SweepError(field: memberField, message: "unknown parameter")
            }
            guard key != .seed || allowSeed else {
                throw SweepError(
                    field: memberField,
                    message: "run seeds derive from the sweep's seed; set seed in a group's params to fix one")
            }
            result.append((key, try canonical(key, member.value, field: memberField)))
        }
        return result.sorted { $0.key < $1.key }
    }

    /// The value as docs/model.md writes it (`0.20` becomes `0.2`, `control` becomes `classical`).
    static func canonical(_ key: ParameterKey, _ json: JSON, field: String) throws(SweepError) -> ParameterValue
    {
        let value: ParameterValue
        switch json {
        case .number(let text): value = .number(text)
        case .string(let text): value = .text(text)
        default: throw SweepError(field: field, message: "\(key.rawValue) must be \(key.allowed), not \(json.typeName)")
        }
        var configuration = RunConfiguration()
        do {
            try configuration.set(key, value)
        } catch {
            throw SweepError(field: field, message: error.message)
        }
        return configuration.value(key)!
    }

    /// Places each group in the sweep, checking the run limit, every point's configuration
    /// and that no run id repeats (ids `<prefix>_<n>` repeat exactly when prefixes do).
    private static func expand(
        seed: UInt64, defaults: [(key: ParameterKey, value: ParameterValue)], groups: [Group], limits: SweepLimits
    ) throws(SweepError) -> SweepRuns {
        var total = 0
        for (index, group) in groups.enumerated() {
            var count = group.replicates
            for size in group.grid.map(\.values.count) + [group.sample?.count ?? 1, group.points?.count ?? 1] {
                let (product, overflow) = count.multipliedReportingOverflow(by: size)
                count = overflow ? Int.max : product
            }
            total = total > Int.max - count ? Int.max : total + count
            guard total <= limits.maximumRuns else {
                throw SweepError(
                    field: "groups[\(index)]",
                    message: "the sweep has more than \(limits.maximumRuns) runs, the limit (max_runs; --max-runs on the command line)",
                    isOverLimit: true)
            }
        }
        // Every value below was checked and made canonical by `canonical`, so setting it
        // again cannot fail; only the checks between keys (`validated()`) remain.
        var base = RunConfiguration()
        for (key, value) in defaults { try! base.set(key, value) }
        var blocks: [SweepRuns.Block] = []
        var seen = Set<String>()
        var (start, pointStart, groupStart) = (0, 0, 0)
        for (groupIndex, group) in groups.enumerated() {
            guard seen.insert(group.prefix).inserted else {
                throw SweepError(field: "groups[\(groupIndex)].prefix", message: "run id \(group.prefix)_1 is used twice")
            }
            var fixed = base
            for (key, value) in group.params { try! fixed.set(key, value) }
            let design: SweepRuns.Block.Design =
                if let sample = group.sample {
                    .sample(SampleDraws(sample, seed: seed, group: groupIndex))
                } else if let list = group.points {
                    .points(list)
                } else {
                    .grid(group.grid)
                }
            let points = design.count
            try checkFormLimit(group, index: groupIndex, fixed: fixed, defaults: defaults)
            let couples = { (configuration: RunConfiguration) in
                configuration.crossSystemCoupling > 0 && configuration.mode == .morphic
            }
            var groupsBefore: [Int]?
            var groupCount: Int
            let varies = !design.keys.isDisjoint(with: [.crossSystemCoupling, .mode])
            if varies {
                var before = [0]
                before.reserveCapacity(points + 1)
                for point in 0..<points {
                    let configuration = SweepRuns.Block.configuration(fixed, design, at: point)
                    before.append(before[point] + (couples(configuration) ? 1 : group.replicates))
                }
                groupCount = before[points]
                groupsBefore = before
            } else {
                groupCount = couples(fixed) ? points : points * group.replicates
            }
            blocks.append(
                SweepRuns.Block(
                    prefix: group.prefix, start: start, pointStart: pointStart, groupStart: groupStart,
                    count: points * group.replicates, points: points, replicates: group.replicates,
                    groupCount: groupCount, fixed: fixed, design: design, groupsBefore: groupsBefore,
                    coupled: !varies && couples(fixed)))
            start += points * group.replicates
            pointStart += points
            groupStart += groupCount
        }
        return SweepRuns(blocks: blocks)
    }

    private static func normalize(
        name: String, seed: UInt64, defaults: [(key: ParameterKey, value: ParameterValue)], groups: [Group],
        notifyURL: String?, snapshotEvery: Int?
    ) -> JSON {
        func object(_ parameters: [(key: ParameterKey, value: ParameterValue)]) -> JSON {
            .object(parameters.map { JSON.Member($0.key.rawValue, RunRecord.json($0.value)) })
        }
        var members: [JSON.Member] = [
            .init("name", .string(name)),
            .init("seed", .int(seed)),
            .init("defaults", object(defaults)),
            .init(
                "groups",
                .array(
                    groups.map { group in
                        var members: [JSON.Member] = [
                            .init("prefix", .string(group.prefix)),
                            .init("replicates", .int(group.replicates)),
                            .init("params", object(group.params)),
                        ]
                        if let sample = group.sample {
                            members.append(.init("sample", sample.json))
                        } else if let points = group.points {
                            members.append(.init("points", .array(points.map(object))))
                        } else {
                            members.append(
                                .init(
                                    "grid",
                                    .object(
                                        group.grid.map {
                                            JSON.Member($0.key.rawValue, .array($0.values.map(RunRecord.json)))
                                        })))
                        }
                        return .object(members)
                    })),
        ]
        if let notifyURL { members.append(.init("notify_url", .string(notifyURL))) }
        if let snapshotEvery { members.append(.init("snapshots", .object(["every": .int(snapshotEvery)]))) }
        return .object(members)
    }

    private static func identifier(name: String, normalized: JSON) -> String {
        var slug = ""
        for character in name.lowercased() {
            if character.isASCII && (character.isLetter || character.isNumber) {
                slug.append(character)
            } else if !slug.isEmpty && slug.last != "-" {
                slug.append("-")
            }
        }
        while slug.last == "-" { slug.removeLast() }
        slug = String(slug.prefix(40))
        while slug.last == "-" { slug.removeLast() }
        let digest = SHA256.hex(Array((RunRecord.modelVersion + "\n").utf8) + normalized.compactBytes)
        return (slug.isEmpty ? "sweep" : slug) + "-" + digest.prefix(16)
    }
}
