/// `theta_x.npz`: a finished sweep as the two arrays simulation-based inference asks for,
/// written run by run, one row per finished run in the order of `features.csv`.
///
/// `run_id` (text), `theta` float64 [runs, k] (``Theta``: the effective truth of each varied
/// parameter), `theta_names` (text [k]), `x` float64 [runs, features] (`features.csv`'s
/// observable features, NaN where the table's field is empty), `x_names` (text [features])
/// and `split` (text: ``DatasetSplit``).
final class ThetaXArrays {
    /// The archive's name.
    static let fileName = "theta_x.npz"

    private let archive: ZipWriter
    private let identifiers: ZipWriter.Member
    private let theta: ZipWriter.Member
    private let thetaNames: ZipWriter.Member
    private let x: ZipWriter.Member
    private let xNames: ZipWriter.Member
    private let splits: ZipWriter.Member

    /// The width of the `split` array's text.
    static let splitWidth = DatasetSplit.allCases.map(\.rawValue.count).max()!

    /// The width of a list of names' text.
    static func width(_ names: [String]) -> Int { max(1, names.map(\.unicodeScalars.count).max() ?? 1) }

    /// The arrays as the manifest's `columns` lists them.
    static func columns(idWidth: Int, theta: Theta) -> [DatasetColumn] {
        [
            DatasetColumn("run_id", .identifier, "<U\(idWidth)"),
            DatasetColumn("theta", .truth, "<f8"),
            DatasetColumn("theta_names", .identifier, "<U\(width(theta.names))"),
            DatasetColumn("x", .feature, "<f8"),
            DatasetColumn("x_names", .identifier, "<U\(width(Features.names))"),
            DatasetColumn("split", .identifier, "<U\(splitWidth)"),
        ]
    }

    /// Starts the archive for `runs` runs whose ids have at most `idWidth` characters.
    init(path: String, runs: Int, theta: Theta, idWidth: Int) throws {
        archive = try ZipWriter(path: path)
        identifiers = try archive.begin("run_id.npy")
        try identifiers.write(NumpyArray.header(.text(idWidth), shape: [runs]))
        self.theta = try archive.begin("theta.npy")
        try self.theta.write(NumpyArray.header(.float64, shape: [runs, theta.keys.count]))
        thetaNames = try archive.begin("theta_names.npy")
        try thetaNames.write(Self.names(theta.names))
        x = try archive.begin("x.npy")
        try x.write(NumpyArray.header(.float64, shape: [runs, Features.names.count]))
        xNames = try archive.begin("x_names.npy")
        try xNames.write(Self.names(Features.names))
        splits = try archive.begin("split.npy")
        try splits.write(NumpyArray.header(.text(Self.splitWidth), shape: [runs]))
    }

    /// A whole array of names.
    private static func names(_ names: [String]) -> [UInt8] {
        var bytes = NumpyArray.header(.text(width(names)), shape: [names.count])
        for name in names { NumpyArray.append(name, width: width(names), to: &bytes) }
        return bytes
    }

    /// The encoded elements of some runs, made on any thread, written in order by ``write(_:)``.
    struct Rows: Sendable {
        var identifiers: [UInt8] = []
        var theta: [UInt8] = []
        var x: [UInt8] = []
        var splits: [UInt8] = []

        /// Adds a run's row.
        mutating func add(runID: String, idWidth: Int, theta: [Double], x: [Double], split: DatasetSplit) {
            NumpyArray.append(runID, width: idWidth, to: &identifiers)
            for value in theta { NumpyArray.append(value, to: &self.theta) }
            for value in x { NumpyArray.append(value.isFinite ? value : .nan, to: &self.x) }
            NumpyArray.append(split.rawValue, width: ThetaXArrays.splitWidth, to: &splits)
        }
    }

    /// Appends encoded runs.
    func write(_ rows: Rows) throws {
        try identifiers.write(rows.identifiers)
        try theta.write(rows.theta)
        try x.write(rows.x)
        try splits.write(rows.splits)
    }

    /// Completes the archive and renames it into place.
    func finish() throws {
        for member in [identifiers, theta, thetaNames, x, xNames, splits] { try archive.end(member) }
        try archive.finish()
    }
}
