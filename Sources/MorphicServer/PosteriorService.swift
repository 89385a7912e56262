import Foundation
import HTTP
import MorphicCore
import MorphicData
import MorphicInference
import Synchronization

/// Posteriors and calibration of finished sweeps taken as references, for the API. A
/// reference is trained once, on its own thread at the least priority (one at a time, those
/// of fewer runs first, never on an event loop or a pool: training a large one takes
/// minutes, and the page's queries come first), and kept in memory, at most
/// ``InferenceLimits/cachedReferences`` of them and ``InferenceLimits/cachedReferenceRuns``
/// runs together, the least recently used dropped first.
/// Training is deterministic, so a reference trained again after a restart or an eviction
/// gives the same bytes.
final class PosteriorService: Sendable {
    /// What is known of one reference.
    enum Entry: Sendable {
        case training(Double)
        case ready(ReferenceSweep, PosteriorModel)
        case failed(InferenceError)
    }

    private struct State {
        /// By sweep id and the version of its dataset (a retried sweep is a new reference).
        var entries: [String: (version: String, entry: Entry, used: Int)] = [:]
        /// Run maps, by sweep id and the version of its dataset: being computed, computed or
        /// refused; at most ``InferenceLimits/cachedMaps`` computed or refused.
        var maps: [String: (version: String, map: MapEntry, used: Int)] = [:]
        var clock = 0
    }

    /// What is known of one sweep's run map.
    enum MapEntry: Sendable {
        /// Queued or being computed on the mapper's thread.
        case computing
        case ready(RunMap)
        /// The features cannot be read: kept as a map would be, so asking again answers at
        /// once instead of reading every run's features again.
        case refused(APIError)
    }

    /// A sweep's run map as `GET …/map` answers it: coordinates rounded to 4 decimals, the
    /// same numbers the runs query compares `map_x` and `map_y` with, so a brushed rectangle
    /// matches exactly the points drawn inside it.
    struct RunMap: Sendable {
        let runIDs: [String]
        let x: [Double]
        let y: [Double]
        let explained: [Double]

        static func rounded(_ value: Double) -> Double { (value * 10_000).rounded() / 10_000 }
    }

    private let service: JobService
    private let limits: InferenceLimits
    private let state = Mutex(State())
    /// Where references are trained: nice 19, below the queries and the run maps.
    private let training = BackgroundThread(name: "posterior-training", nice: 19)
    /// Where run maps asked by `GET …/map` are computed: nice 10, below the queries (each map
    /// reads every run's features: seconds for 100,000 runs) and above training.
    private let mapper = BackgroundThread(name: "run-map", nice: 10)
    /// Computes the run map of a dataset folder (``computeMap(_:)``; tests count the calls).
    private let computeMap: @Sendable (String) throws(APIError) -> RunMap

    init(
        service: JobService, limits: InferenceLimits = InferenceLimits(),
        computeMap: @escaping @Sendable (String) throws(APIError) -> RunMap = PosteriorService.computeMap
    ) {
        self.service = service
        self.limits = limits
        self.computeMap = computeMap
    }

    /// The reference `id` trained, or an answer saying it is being trained (202) or cannot be
    /// (422), starting its training if needed. Call off the event loops: it looks at files.
    func reference(_ id: String) throws -> (ReferenceSweep, PosteriorModel) {
        let (folder, version) = try dataset(id)
        let runs = try service.definition(id).runs.count
        if !state.withLock({ $0.entries[id]?.version == version }) { try refuseHopeless(id) }
        let entry = state.withLock { state -> Entry in
            state.clock += 1
            if let known = state.entries[id], known.version == version {
                state.entries[id]!.used = state.clock
                return known.entry
            }
            state.entries[id] = (version, .training(0), state.clock)
            evict(&state)
            training.async(cost: runs) { [self] in train(id, folder: folder, version: version) }
            return .training(0)
        }
        switch entry {
        case .ready(let sweep, let model): return (sweep, model)
        case .failed(let error):
            throw APIError(
                status: .unprocessableContent, code: "invalid_reference", message: error.message, field: error.field)
        case .training(let fraction):
            throw Training(id: id, fraction: fraction)
        }
    }

    /// Refuses at once, from the definition alone, a sweep that can never be a reference
    /// (more runs than the limit, it varies nothing, or plans too few runs in a split), rather
    /// than answering 202 for a training that would only fail, after reading every run's
    /// features (gigabytes for a million runs).
    private func refuseHopeless(_ id: String) throws {
        let definition = try service.definition(id)
        let refuse = { (message: String) in
            APIError(status: .unprocessableContent, code: "invalid_reference", message: message)
        }
        try refuseTooLarge(definition)
        if Theta(definition).names.isEmpty {
            throw refuse(ReferenceSweep.nothingToInfer(definition, subject: "the reference"))
        }
        do {
            _ = try ReferenceSweep.shape(definition)
        } catch let error as InferenceError {
            throw refuse(error.message)
        }
        let counts = DatasetSplit.counts(definition)
        do {
            try PosteriorModel.checkSplits(train: counts[0], validation: counts[1], test: counts[2], limits: limits)
        } catch let error as InferenceError {
            throw refuse(error.message)
        }
    }

    /// The answer while a reference trains: 202, how far it is, and where to look.
    struct Training: Error {
        let id: String
        let fraction: Double

        var response: HTTPResponse {
            let link = "/api/sweeps/\(id)/calibration"
            return .json(
                .accepted,
                .object([
                    "status": .string("training"), "progress": .double((fraction * 1000).rounded() / 1000),
                    "links": .object(["calibration": .string(link)]),
                ]), headers: [("Location", link), ("Retry-After", "1")])
        }
    }

    /// `POST /api/sweeps/{id}/posterior`: the body is `{"sweep": OTHER, "run": RUN}`, a run
    /// record, or `{"series": {...}}`.
    func posterior(_ id: String, body: [UInt8]) throws -> HTTPResponse {
        let json: JSON
        do {
            json = try JSONParser.parse(body)
        } catch {
            throw APIError(status: .badRequest, code: "malformed", message: "the body is not JSON: \(error)")
        }
        guard json.members != nil else {
            throw APIError(
                status: .unprocessableContent, code: "invalid_observation",
                message: "send {\"sweep\": ID, \"run\": RUN_ID}, a run record, or {\"series\": {...}}")
        }
        // The observation first: a wrong one is refused without training anything.
        let observation = try Self.invalidObservation { try observe(json) }
        let (sweep, model): (ReferenceSweep, PosteriorModel)
        do {
            (sweep, model) = try reference(id)
        } catch let training as Training {
            return training.response
        }
        let posterior = try Self.invalidObservation {
            try sweep.check(
                gridSize: observation.gridSize, generations: observation.generations, run: observation.runID)
            return try model.posterior(observation.features)
        }
        return .json(
            .ok,
            PosteriorJSON.answer(
                posterior, runID: observation.runID, reference: sweep.id, calibration: model.calibration))
    }

    /// `GET /api/sweeps/{id}/calibration`.
    func calibration(_ id: String) throws -> HTTPResponse {
        do {
            let (sweep, model) = try reference(id)
            return .json(.ok, PosteriorJSON.calibrationJSON(model.calibration, reference: sweep.id))
        } catch let training as Training {
            return training.response
        }
    }

    /// A sweep's dataset folder and the version of its features (a retried sweep writes
    /// new ones). Throws 409 while the dataset is not written.
    private func dataset(_ id: String) throws -> (folder: String, version: String) {
        let manifest = try service.datasetFile(id, name: "manifest.json")
        let folder = manifest.parentFolder
        return (folder, Self.version(folder))
    }

    /// The version of the dataset in `folder`: its features.csv's time and size.
    private static func version(_ folder: String) -> String {
        let attributes = try? FileManager.default.attributesOfItem(atPath: folder + "/features.csv")
        return "\((attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)-\(attributes?[.size] ?? 0)"
    }

    /// Keeps the reference trained while sweep `id`'s dataset in `folder` was assembled (for
    /// its card), so its first posterior needs no training of its own; one trained with
    /// other limits than this service's is left to be trained as usual. Training is
    /// deterministic, so the answers are the same bytes either way.
    func adopt(_ id: String, folder: String, reference: TrainedReference) {
        guard reference.model.limits == limits else { return }
        let version = Self.version(folder)
        state.withLock { state in
            state.clock += 1
            state.entries[id] = (version, .ready(reference.sweep, reference.model), state.clock)
            evict(&state)
        }
    }

    /// Refuses a sweep of more runs than a reference may hold (``InferenceLimits/maximumRuns``):
    /// its features alone would take the server gigabytes to read.
    private func refuseTooLarge(_ definition: SweepDefinition) throws {
        let count = definition.runs.count
        guard count <= limits.maximumRuns else {
            throw APIError(
                status: .unprocessableContent, code: "invalid_reference",
                message: "the reference has \(count) runs, more than the limit of \(limits.maximumRuns)")
        }
    }

    /// What is known of sweep `id`'s run map, its computation queued on the mapper's thread
    /// when nothing is known of the dataset's current version. Refused as a map is: 409 before
    /// the dataset is written, then 422 for more runs than a reference may hold.
    private func knownMap(_ id: String) throws -> (map: MapEntry, version: String) {
        let (folder, version) = try dataset(id)
        try refuseTooLarge(try service.definition(id))
        let known = state.withLock { state -> MapEntry in
            state.clock += 1
            if let known = state.maps[id], known.version == version {
                state.maps[id]!.used = state.clock
                return known.map
            }
            state.maps[id] = (version, .computing, state.clock)
            evictMaps(&state)
            mapper.async { [self] in compute(id, folder: folder, version: version) }
            return .computing
        }
        return (known, version)
    }

    /// The run map of sweep `id` for a query on `map_x` or `map_y`: computed once per version
    /// of its dataset, on the mapper's thread. While it is computed (queued now if it was
    /// not), 503 with `Retry-After` at once: a query's thread neither computes a map (seconds
    /// at 100,000 runs, while every other sweep's queries wait for the pool) nor waits for one.
    func runMap(_ id: String) throws -> (map: RunMap, version: String) {
        let (known, version) = try knownMap(id)
        switch known {
        case .ready(let map): return (map, version)
        case .refused(let error): throw error
        case .computing:
            throw APIError.from(
                .busy("the run map of sweep \(id) is being computed; ask again (GET /api/sweeps/\(id)/map says when it is ready)"))
        }
    }

    /// Computes the run map of dataset version `version` and keeps it or its refusal, unless
    /// the entry was dropped or replaced meanwhile (the sweep deleted or retried).
    private func compute(_ id: String, folder: String, version: String) {
        let result: MapEntry
        do throws(APIError) {
            result = .ready(try computeMap(folder))
        } catch {
            result = .refused(error)
        }
        state.withLock { state in
            guard let known = state.maps[id], known.version == version, case .computing = known.map else { return }
            // Counted as just used, so that it is not the one dropped before it is read.
            state.clock += 1
            state.maps[id]!.map = result
            state.maps[id]!.used = state.clock
            evictMaps(&state)
        }
    }

    /// The run map of the dataset in `folder`.
    static func computeMap(_ folder: String) throws(APIError) -> RunMap {
        let observations: [Observation]
        // The message names the file within the sweep, not where the server keeps it.
        func refusal(_ message: String) -> APIError {
            APIError(
                status: .unprocessableContent, code: "invalid_reference",
                message: message.namingFiles(within: folder, as: SweepFolder.placeholder))
        }
        do {
            observations = try ReferenceSweep.observations(path: folder)
        } catch let error as InferenceError {
            throw refusal(error.message)
        } catch {
            throw refusal("\(error)")
        }
        let features = FeatureMap(observations.map(\.features))
        return RunMap(
            runIDs: observations.map(\.runID), x: features.points.map { RunMap.rounded($0.x) },
            y: features.points.map { RunMap.rounded($0.y) }, explained: features.explained.map(RunMap.rounded))
    }

    /// Drops the least recently used computed maps and refusals beyond
    /// ``InferenceLimits/cachedMaps``. Maps being computed are neither dropped nor counted:
    /// counted, maps asked for by other sweeps' views evicted finished ones before they were
    /// read, and no map was ever answered.
    private func evictMaps(_ state: inout State) {
        while true {
            let settled = state.maps.filter {
                if case .computing = $0.value.map { return false }
                return true
            }
            guard settled.count > limits.cachedMaps,
                let oldest = settled.min(by: { $0.value.used < $1.value.used })
            else { return }
            state.maps[oldest.key] = nil
        }
    }

    /// Forgets deleted sweep `id`: its reference and its run map or refusal. A training or a
    /// map under way ends unkept.
    func forget(_ id: String) {
        state.withLock { state in
            state.entries[id] = nil
            state.maps[id] = nil
        }
    }

    /// Run maps held, computed, refused or under way (at most ``InferenceLimits/cachedMaps``
    /// computed or refused).
    var mapsHeld: Int { state.withLock { $0.maps.count } }

    /// Gives sweep `id`'s run index the map's coordinates as its `map_x` and `map_y`
    /// columns, unless it has those of the same dataset already. Call off the event loops.
    func placeMap(_ id: String) throws {
        let index = try service.index(of: id)
        let (map, version) = try runMap(id)
        guard index.mapVersion != version else { return }
        var coordinates: [String: (x: Double, y: Double)] = [:]
        for (position, runID) in map.runIDs.enumerated() { coordinates[runID] = (map.x[position], map.y[position]) }
        index.setMap(version: version, coordinates: coordinates)
    }

    /// `GET /api/sweeps/{id}/map`: every finished run on the first two principal components
    /// of its standardized observable features; while the map is computed (on its own thread,
    /// below the queries' priority, started by the first request), 202 and where to ask again.
    func map(_ id: String) throws -> HTTPResponse {
        let known = try knownMap(id).map
        let map: RunMap
        switch known {
        case .ready(let ready): map = ready
        case .refused(let error): throw error
        case .computing:
            let link = "/api/sweeps/\(id)/map"
            return .json(
                .accepted, .object(["status": .string("computing"), "links": .object(["map": .string(link)])]),
                headers: [("Location", link), ("Retry-After", "1")])
        }
        return .json(
            .ok,
            .object([
                "method": .string("pca of standardized observable features"),
                "explained": .array(map.explained.map(JSON.double)),
                "run_id": .array(map.runIDs.map(JSON.string)),
                "x": .array(map.x.map(JSON.double)),
                "y": .array(map.y.map(JSON.double)),
            ]))
    }

    private func observe(_ json: JSON) throws -> Observation {
        try Observation.checkKeys(json)
        if json["sweep"] != nil || json["run"] != nil {
            guard let otherID = json["sweep"]?.stringValue else {
                throw InferenceError("give \"sweep\", the observed run's sweep id, as a string", field: "sweep")
            }
            guard let run = json["run"]?.stringValue else {
                throw InferenceError("give \"run\", the observed run's id (morphic_7), as a string", field: "run")
            }
            // A missing sweep is not a missing run of it.
            try requireSweep(otherID)
            return try Observation(record: try JSONParser.parse(try record(otherID, run: run)))
        }
        if json["series"] != nil { return try Observation(seriesRequest: json) }
        return try Observation(record: json)
    }

    /// Throws 404 when there is no sweep `id`; one not loaded yet is waited for, not missing.
    private func requireSweep(_ id: String) throws {
        do {
            _ = try service.definition(id)
        } catch .notFound {
            throw APIError(status: .notFound, code: "not_found", message: "no sweep \(id.quotedInMessage)", field: "sweep")
        }
    }

    /// Run `run`'s record in sweep `id`, which exists.
    private func record(_ id: String, run: String) throws -> [UInt8] {
        do {
            return try service.runRecord(id, run: run)
        } catch .notFound {
            throw APIError(status: .notFound, code: "not_found", message: "no run \(run.quotedInMessage) in sweep \(id)", field: "run")
        }
    }

    private static func invalidObservation<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as InferenceError {
            throw APIError(
                status: .unprocessableContent, code: "invalid_observation", message: error.message, field: error.field)
        } catch let error as FileError {
            throw APIError(status: .unprocessableContent, code: "invalid_reference", message: error.description)
        }
    }

    private func train(_ id: String, folder: String, version: String) {
        let entry: Entry
        do {
            let sweep = try ReferenceSweep(path: folder)
            let model = try PosteriorModel(sweep.table, limits: limits) { [self] fraction in
                state.withLock { state in
                    if state.entries[id]?.version == version { state.entries[id]!.entry = .training(fraction) }
                }
            }
            entry = .ready(sweep, model)
        } catch let error as InferenceError {
            entry = .failed(error)
        } catch {
            entry = .failed(InferenceError("\(error)"))
        }
        state.withLock { state in
            if state.entries[id]?.version == version { state.entries[id]!.entry = entry }
            // Its runs are known now: the references kept may hold too many.
            evict(&state)
        }
    }

    /// Drops the least recently used trained references beyond the limits: more than
    /// ``InferenceLimits/cachedReferences`` of them, or more runs together than
    /// ``InferenceLimits/cachedReferenceRuns`` (the most recently used always stays).
    /// References being trained stay.
    private func evict(_ state: inout State) {
        func runs(_ entry: Entry) -> Int {
            if case .ready(let sweep, _) = entry { return sweep.table.runIDs.count }
            return 0
        }
        while true {
            let done = state.entries.filter {
                if case .training = $0.value.entry { return false }
                return true
            }
            let held = done.values.reduce(0) { $0 + runs($1.entry) }
            let tooMany = state.entries.count > limits.cachedReferences
            let tooLarge = held > limits.cachedReferenceRuns && done.count > 1
            guard tooMany || tooLarge, let oldest = done.min(by: { $0.value.used < $1.value.used }) else { return }
            state.entries[oldest.key] = nil
        }
    }
}
