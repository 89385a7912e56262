import ArgumentParser
import Foundation
import MorphicData

/// A folder of a sweep's runs as the commands read it: a folder written by `morphic sweep` or
/// `morphic merge` (records as `<run_id>.json` files or, with `--packed`, in packs), a
/// server's sweep folder, or an unpacked `dataset.tar.gz` (no `definition.json`: the
/// definition is read from `manifest.json`).
struct DatasetFolder {
    let folder: SweepFolder
    let definition: SweepDefinition

    /// Reads the folder's definition, or says what `path` is instead.
    init(_ path: String) throws {
        let path = path.withoutFinalSlashes
        try Self.requireFolder(path)
        folder = SweepFolder(path: path)
        let json: JSON
        let source: String
        // A manifest's definition is published without its notify_url: its sweep id is the
        // one the manifest records.
        var recordedID: String?
        do {
            if let recorded = try folder.recordedSweep() {
                json = recorded.definition
                source = folder.definitionPath
            } else if let manifest = FileManager.default.contents(atPath: path + "/manifest.json") {
                source = path + "/manifest.json"
                guard let parsed = try? JSONParser.parse(Array(manifest)), let definition = parsed["definition"] else {
                    throw ValidationError("\(source) is not a dataset manifest (no definition)")
                }
                json = definition
                recordedID = parsed["sweep_id"]?.stringValue
            } else {
                throw ValidationError(
                    "\(path) holds neither definition.json nor manifest.json: it is not a sweep folder or an unpacked dataset")
            }
        } catch let error as FileError {
            throw ValidationError("\(error)")
        }
        do {
            let read = try SweepDefinition(json: json, limits: SweepLimits(maximumRuns: .max, maximumCellSteps: .max))
            definition = recordedID.map(read.identified(as:)) ?? read
        } catch {
            throw ValidationError("\(source): \(error)")
        }
    }

    /// The run `id` and its index, or "no such run".
    func run(_ id: String) throws -> (run: PlannedRun, index: Int) {
        guard let index = definition.index(ofRun: id) else {
            throw ValidationError("no such run: sweep \(definition.id) in \(folder.path) has no run \(id.quotedInMessage)")
        }
        return (definition.runs[index], index)
    }

    /// A finished run's record, or why there is none.
    func record(_ id: String) throws -> [UInt8] {
        let (run, index) = try run(id)
        let store = RecordStore(folder)
        guard let record = store.record(run, index: index) else {
            if let failure = folder.failure(id) { throw ValidationError("run \(id) failed: \(failure)") }
            // A record there that is not whole, or not this run's, was changed or damaged.
            if store.pack(RecordStore.pack(ofRun: index)).hasAnyRecord(run, index: index) {
                throw ValidationError(
                    "run \(id)'s record in \(folder.path) is torn, damaged or changed (not whole, not JSON, or not "
                        + "the sweep's run); 'morphic sweep' with its definition over the folder computes it anew")
            }
            throw ValidationError("run \(id) has no record in \(folder.path): it has not been computed")
        }
        return record
    }

    /// Throws unless `path` is an existing folder, saying what it is otherwise.
    static func requireFolder(_ path: String) throws {
        let path = path.withoutFinalSlashes
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw ValidationError("no such folder: \(path)")
        }
        guard isFolder.boolValue else { throw ValidationError("\(path) is a file; a folder is needed here") }
    }

    /// Throws if `path` exists and is not a folder, or its parent is a file: an output folder
    /// that cannot be made.
    static func requireOutputFolder(_ path: String) throws {
        guard !path.isEmpty else { throw ValidationError("--output is empty; give a folder for the output") }
        // `afile/` names no file (the system says it is no folder): asked about as `afile`.
        let path = path.withoutFinalSlashes
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) {
            guard isFolder.boolValue else {
                throw ValidationError("\(path) is a file; give a folder for the output (new or existing)")
            }
            return
        }
        if let target = try? FileManager.default.destinationOfSymbolicLink(atPath: path) {
            throw ValidationError("\(path) is a symbolic link to \(target), which does not exist; give a folder for the output")
        }
        var parent = path.parentFolder
        while !parent.isEmpty && parent != "/" {
            if FileManager.default.fileExists(atPath: parent, isDirectory: &isFolder) {
                guard isFolder.boolValue else { throw ValidationError("\(parent) is a file, so \(path) cannot be made") }
                return
            }
            parent = parent.parentFolder
        }
    }
}
