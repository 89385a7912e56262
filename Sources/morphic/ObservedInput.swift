import Foundation
import MorphicData
import MorphicInference

/// What `morphic infer` reads as observed runs.
enum ObservedInput {
    /// The observations in `path`: a dataset folder, a dataset archive, a run record or a
    /// bare-series file.
    static func read(_ path: String) throws -> [Observation] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw InferenceError("\(path) does not exist")
        }
        if isDirectory.boolValue { return try ReferenceSweep.observations(path: path) }
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
        // Named with its file: several may be given at once.
        do {
            return [json["series"] != nil ? try Observation(seriesRequest: json) : try Observation(record: json)]
        } catch let error as InferenceError {
            throw InferenceError("\(path): \(error.message)", field: error.field)
        }
    }
}
