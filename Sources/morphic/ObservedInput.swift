import Foundation
import MorphicData
import MorphicInference

/// What `morphic infer` reads as observed runs.
enum ObservedInput {
    /// The observations in `path`: a dataset folder, a dataset archive, a run record or a
    /// bare-series file.
    static func read(_ written: String) throws -> [Observation] {
        let path = written.withoutFinalSlashes
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw InferenceError("\(path) does not exist")
        }
        if isDirectory.boolValue { return try ReferenceSweep.observations(path: path) }
        guard path == written else { throw InferenceError("\(path) is a file, not a folder as the / after it says") }
        if path.hasSuffix(".tar.gz") || path.hasSuffix(".tgz") {
            return try DatasetArchive.withUnpacked(path) { folder in try ReferenceSweep.observations(path: folder) }
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw InferenceError("cannot read \(path)") }
        let json: JSON
        do {
            json = try JSONParser.parse(Array(data))
        } catch {
            throw InferenceError("\(path) is not JSON: \(error)")
        }
        // The server's way to name a run it holds: here the run's own record is given.
        if json["sweep"] != nil && json["run"] != nil && json["series"] == nil {
            throw InferenceError(
                "\(path) names a run of a server's sweep ({\"sweep\", \"run\"}, for the posterior endpoint); "
                    + "here give that run's record (<run_id>.json), a dataset folder or a bare-series file",
                field: "sweep")
        }
        // Named with its file: several may be given at once.
        do {
            return [json["series"] != nil ? try Observation(seriesRequest: json) : try Observation(record: json)]
        } catch let error as InferenceError {
            throw InferenceError("\(path): \(error.message)", field: error.field)
        }
    }
}
