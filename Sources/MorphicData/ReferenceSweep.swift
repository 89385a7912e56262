import Foundation
import MorphicCore
import MorphicInference

/// A finished sweep read as a reference table for inference (``ReferenceTable``): its runs'
/// observable features from `features.csv`, their split, and the parameters the sweep
/// varies, each run's value being its effective ground truth.
///
/// Parameters that describe a field (field strength, crystal count and the morphic-only
/// ones) are given only for runs on which a field acted: their posterior is the posterior
/// given that a field acted, and `p_field` says whether one did. A parameter is varied when
/// it takes more than one value where it is given; parameters written as names (rule,
/// boundary, similarity) are not inferred, nor are grid size and length, which a reference
/// has one of each (an observation gives them).
public struct ReferenceSweep: Sendable {
    /// The sweep's id.
    public let id: String
    /// The table the model trains on.
    public let table: ReferenceTable
    /// The grid side of every run of the reference: an observation must have it.
    public let gridSize: Int
    /// The length (generations) of every run of the reference: an observation must have it.
    public let generations: Int

    /// Reads the finished sweep or dataset in `path` (a sweep's folder or an unpacked archive).
    /// - Throws: ``InferenceError`` when it is not a finished sweep, or its features.csv is
    ///   not as its definition plans.
    public init(path: String) throws {
        let path = path.withoutFinalSlashes
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw InferenceError("\(path) does not exist: give a finished sweep's folder as the reference")
        }
        guard isFolder.boolValue else {
            throw InferenceError(
                path.hasSuffix(".tar.gz") || path.hasSuffix(".tgz")
                    ? "\(path) is a file: an archive cannot be a reference (it would be unpacked again for every answer); unpack it (tar xzf) or give the sweep's folder"
                    : "\(path) is a file: the reference is a finished sweep's folder (or an unpacked dataset archive)")
        }
        let (definition, rows) = try Self.read(path, needsSplit: true)
        try self.init(definition, rows: rows)
    }

    /// The reference of `definition` whose features.csv is `featuresPath`, before its
    /// dataset has a manifest (its card is written from it).
    init(_ definition: SweepDefinition, featuresPath: String) throws {
        try self.init(definition, rows: Self.rows(of: definition, featuresPath: featuresPath, needsSplit: true))
    }

    private init(_ definition: SweepDefinition, rows: [Row]) throws {
        id = definition.id
        (gridSize, generations) = try Self.shape(definition)
        var fieldActed: [Bool] = []
        var values: [[Double?]] = []
        for row in rows {
            let configuration = definition.runs[row.index].configuration
            let acted = Self.fieldActed(configuration)
            fieldActed.append(acted)
            values.append(Self.candidates.map { key in Self.value(key, of: configuration, fieldActed: acted) })
        }
        // Varied: more than one value where the parameter is given.
        let varied = Self.candidates.indices.filter { column in Self.takesTwoValues(values.lazy.map { $0[column] }) }
        if varied.isEmpty { throw InferenceError(Self.nothingToInfer(definition, subject: "the reference")) }
        table = try ReferenceTable(
            parameterNames: varied.map { Self.candidates[$0].rawValue },
            integerParameters: varied.map { Self.candidates[$0].kind == .integer }, featureNames: Features.names,
            runIDs: rows.map(\.id), theta: values.map { row in varied.map { row[$0] ?? .nan } },
            x: rows.map(\.features), fieldActed: fieldActed, split: rows.map(\.split), seed: definition.seed)
    }

    /// The one grid side and length of `definition`'s runs. Features depend on both, so a
    /// reference that mixes them would compare runs that cannot be compared, and would have
    /// to infer what an observation already says.
    /// - Throws: ``InferenceError`` when its runs have more than one grid size or length.
    public static func shape(_ definition: SweepDefinition) throws -> (gridSize: Int, generations: Int) {
        var gridSizes = Set<Int>()
        var lengths = Set<Int>()
        for run in definition.runs {
            gridSizes.insert(run.configuration.gridSize)
            lengths.insert(run.configuration.generations)
        }
        guard gridSizes.count == 1, lengths.count == 1 else {
            throw InferenceError(
                "a reference has one grid size and one length; this one has grid sizes \(list(gridSizes)) and lengths \(list(lengths)) (make one sweep per grid size and length)"
            )
        }
        return (gridSizes.first!, lengths.first!)
    }

    /// Checks that a run of `gridSize` × `gridSize` cells (nil: not known) and
    /// `generations` steps can be compared with the reference's runs: features depend on both.
    public func check(gridSize: Int?, generations: Int, run: String) throws {
        let gridMatches = gridSize.map { $0 == self.gridSize } ?? true
        guard gridMatches, generations == self.generations else {
            let observed = (gridSize.map { "is \($0)×\($0) with " } ?? "has ") + "\(generations) generations"
            throw InferenceError(
                "\(run) \(observed); the reference \(id) is \(self.gridSize)×\(self.gridSize) with \(self.generations) generations: their features cannot be compared",
                field: gridMatches ? "generations" : "grid_size")
        }
    }

    private static func list(_ values: Set<Int>) -> String { values.sorted().map(String.init).joined(separator: ", ") }

    /// Why `definition` (`subject`: "the sweep", "the reference") has nothing to infer, when
    /// no parameter varies where it describes something: parameters of the field varied only
    /// on runs where no field acted are named, since they describe nothing there.
    public static func nothingToInfer(_ definition: SweepDefinition, subject: String) -> String {
        let idle = candidates.filter { key in takesTwoValues(definition.runs.lazy.map { $0.configuration.value(key) }) }
        guard !idle.isEmpty else { return "\(subject) varies no parameter: there is nothing to infer" }
        let anyField = definition.runs.contains { fieldActed($0.configuration) }
        return "\(subject) varies \(idle.map(\.rawValue).joined(separator: ", ")) only on runs where no field acted ("
            + (anyField ? "" : "none of its runs had a field: ")
            + "field strength 0, no crystals or classical), where they describe nothing: there is nothing to infer"
    }

    /// Whether `values` hold two different values, the absent (nil) aside; stops at the second.
    private static func takesTwoValues<Value: Equatable>(_ values: some Sequence<Value?>) -> Bool {
        var first: Value?
        for case let value? in values {
            if let first, first != value { return true }
            first = first ?? value
        }
        return false
    }

    /// Numeric parameters that may be inferred, in docs/model.md's order: grid size and
    /// length are known from the observation, never inferred.
    static let candidates = ParameterKey.allCases.filter {
        $0.kind != .text && ![.seed, .gridSize, .generations].contains($0)
    }

    /// Whether a crystal field acted on a run of `configuration`.
    static func fieldActed(_ configuration: RunConfiguration) -> Bool {
        configuration.mode == .morphic && configuration.crystalCount > 0 && configuration.fieldStrength > 0
    }

    /// A parameter's effective value, nil where it describes a field and none acted.
    static func value(_ key: ParameterKey, of configuration: RunConfiguration, fieldActed: Bool) -> Double? {
        let describesField = key == .fieldStrength || key == .crystalCount || GroundTruth.isMorphicOnly(key)
        guard !describesField || fieldActed, let value = configuration.value(key) else { return nil }
        return Double(value.string)
    }

    /// One row of `features.csv`.
    struct Row {
        let id: String
        /// The run's position in its definition.
        let index: Int
        let split: ReferenceTable.Split
        let features: [Double]
    }

    /// The definition of a finished sweep or dataset in `path`, and its features.csv's rows.
    static func read(_ path: String, needsSplit: Bool) throws -> (SweepDefinition, [Row]) {
        let path = path.withoutFinalSlashes
        let manifestPath = path + "/manifest.json"
        guard FileManager.default.fileExists(atPath: manifestPath) else {
            throw InferenceError("\(path) is not a finished sweep: it has no manifest.json yet")
        }
        let definitionJSON: JSON
        // A manifest's definition is published without its notify_url: its sweep id is the
        // one the manifest records.
        var recordedID: String?
        if let recorded = try SweepFolder(path: path).recordedSweep() {
            definitionJSON = recorded.definition
        } else {
            guard let data = FileManager.default.contents(atPath: manifestPath),
                let json = try? JSONParser.parse(Array(data)), let definition = json["definition"]
            else { throw InferenceError("\(manifestPath) is not a dataset manifest") }
            definitionJSON = definition
            recordedID = json["sweep_id"]?.stringValue
        }
        let definition: SweepDefinition
        do {
            let read = try SweepDefinition(
                json: definitionJSON, limits: SweepLimits(maximumRuns: .max, maximumCellSteps: .max))
            definition = recordedID.map(read.identified(as:)) ?? read
        } catch {
            throw InferenceError("\(path): its definition is not valid: \(error)")
        }
        return (definition, try rows(of: definition, featuresPath: path + "/features.csv", needsSplit: needsSplit))
    }

    /// The rows of the features.csv at `featuresPath`, checked against `definition`.
    static func rows(of definition: SweepDefinition, featuresPath: String, needsSplit: Bool) throws -> [Row] {
        let path = featuresPath.parentFolder
        guard let data = FileManager.default.contents(atPath: featuresPath) else {
            throw InferenceError("\(path) has no features.csv (write it with 'morphic features \(path)')")
        }
        var lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
            .makeIterator()
        guard let header = lines.next().map(csvFields) else { throw InferenceError("\(path)/features.csv is empty") }
        let column = Dictionary(header.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        let splitColumn = column["split"]
        guard let idColumn = column["run_id"], splitColumn != nil || !needsSplit else {
            throw InferenceError(
                "\(path)/features.csv has no \(column["run_id"] == nil ? "run_id" : "split") column; write it again with 'morphic features \(path)'"
            )
        }
        let featureColumns = try Features.names.map { name in
            guard let index = column[name] else {
                throw InferenceError(
                    "\(path)/features.csv has no column \(name); write it again with 'morphic features \(path)'")
            }
            return index
        }
        var rows: [Row] = []
        var next = 0
        while let line = lines.next() {
            let fields = csvFields(line)
            guard fields.count == header.count else {
                throw InferenceError(
                    "\(path)/features.csv: line \(rows.count + 2) has \(fields.count) fields, not \(header.count)")
            }
            let id = fields[idColumn]
            // Rows follow the definition's order, failed runs left out.
            var index = next
            while index < definition.runs.count && definition.runs[index].id != id { index += 1 }
            guard index < definition.runs.count else {
                throw InferenceError("\(path)/features.csv: run \(id) is not a run of the definition, or out of order")
            }
            next = index + 1
            let text = splitColumn.map { fields[$0] } ?? "train"
            guard let split = ReferenceTable.Split(rawValue: text) else {
                throw InferenceError("\(path)/features.csv: run \(id) has split '\(text)'")
            }
            rows.append(
                Row(
                    id: id, index: index, split: split,
                    features: featureColumns.map { fields[$0].isEmpty ? .nan : Double(fields[$0]) ?? .nan }))
        }
        return rows
    }

    /// The fields of one CSV line, quotes removed.
    static func csvFields(_ line: Substring) -> [String] {
        guard line.contains("\"") else {
            return line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        }
        var fields: [String] = []
        var field = ""
        var quoted = false
        var previous: Character = " "
        for character in line {
            if character == "\"" {
                if quoted {
                    quoted = false
                } else {
                    if previous == "\"" { field.append("\"") }
                    quoted = true
                }
            } else if character == "," && !quoted {
                fields.append(field)
                field = ""
            } else {
                field.append(character)
            }
            previous = character
        }
        fields.append(field)
        return fields
    }
}

extension ReferenceSweep {
    /// Every run of the finished sweep or dataset in `path` as an observation, from its
    /// features.csv (the same numbers its records give).
    public static func observations(path: String) throws -> [Observation] {
        let (definition, rows) = try read(path, needsSplit: false)
        return rows.map { row in
            let configuration = definition.runs[row.index].configuration
            return Observation(
                runID: row.id, features: row.features, gridSize: configuration.gridSize,
                generations: configuration.generations)
        }
    }
}
