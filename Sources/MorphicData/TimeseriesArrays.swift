import MorphicCore

/// `timeseries.npz`: numpy arrays of every finished run's series, written run by run.
///
/// `run_id` (text), `generations` (int64: each run's length), and one float64 array per
/// series, shaped [runs, most generations], named as in `timeseries.csv` (hidden series
/// prefixed `hidden_`). Column j is generation j, the state after step j, exactly as in
/// `timeseries.csv`; a run shorter than the longest is padded with NaN.
final class TimeseriesArrays {
    private let archive: ZipWriter
    private let identifiers: ZipWriter.Member
    private let lengths: ZipWriter.Member
    private let series: [ZipWriter.Member]

    /// Starts the archive for `runs` runs of at most `generations` steps whose ids have at
    /// most `idWidth` characters.
    init(path: String, runs: Int, generations: Int, idWidth: Int) throws {
        archive = try ZipWriter(path: path)
        identifiers = try archive.begin("run_id.npy")
        try identifiers.write(NumpyArray.header(.text(idWidth), shape: [runs]))
        lengths = try archive.begin("generations.npy")
        try lengths.write(NumpyArray.header(.int64, shape: [runs]))
        var series: [ZipWriter.Member] = []
        for name in Series.names {
            let member = try archive.begin(DatasetColumn.seriesName(name) + ".npy")
            try member.write(NumpyArray.header(.float64, shape: [runs, generations]))
            series.append(member)
        }
        self.series = series
    }

    /// The encoded elements of some runs, made on any thread, written in order by ``write(_:)``.
    struct Rows: Sendable {
        var identifiers: [UInt8] = []
        var lengths: [UInt8] = []
        var series: [[UInt8]] = Array(repeating: [], count: Series.names.count)

        /// Adds a run's series (in the order of `Series.names`), padded to `generations`.
        mutating func add(runID: String, values: [[Double]], idWidth: Int, generations: Int) {
            NumpyArray.append(runID, width: idWidth, to: &identifiers)
            lengths.le64(values[0].count)
            for (index, column) in values.enumerated() {
                for value in column { NumpyArray.append(value, to: &series[index]) }
                for _ in column.count..<generations { NumpyArray.append(.nan, to: &series[index]) }
            }
        }
    }

    /// Appends encoded runs.
    func write(_ rows: Rows) throws {
        try identifiers.write(rows.identifiers)
        try lengths.write(rows.lengths)
        for (member, bytes) in zip(series, rows.series) { try member.write(bytes) }
    }

    /// Completes the archive and renames it into place.
    func finish() throws {
        try archive.end(identifiers)
        try archive.end(lengths)
        for member in series { try archive.end(member) }
        try archive.finish()
    }
}
