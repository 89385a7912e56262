/// A run record's series as ``JSONParser/parse(_:columnsOf:into:)`` reads them: each
/// element's number, converted once, and where its text lies in the record, so that the
/// dataset's rows copy the text as written without a value or a String made per number.
/// Emptied and filled again record after record, its storage kept.
struct SeriesColumns {
    /// The series' names, in the record's order.
    private(set) var names: [String] = []
    /// Where each series' elements begin in the arrays below.
    private var firsts: [Int] = []
    /// Each element's text in the record (empty for a null).
    private var texts: [Range<Int>] = []
    /// Each element's number (NaN for a null).
    private(set) var values: [Double] = []

    mutating func removeAll() {
        names.removeAll(keepingCapacity: true)
        firsts.removeAll(keepingCapacity: true)
        texts.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
    }

    /// Starts the series `name`.
    mutating func begin(_ name: String) {
        names.append(name)
        firsts.append(values.count)
    }

    /// Adds an element to the last series begun.
    mutating func append(text: Range<Int>, value: Double) {
        texts.append(text)
        values.append(value)
    }

    /// The elements of series `name`, as indices into ``values``; empty when the record has none.
    func elements(of name: String) -> Range<Int> {
        guard let column = names.firstIndex(of: name) else { return 0..<0 }
        return firsts[column]..<(column + 1 < firsts.count ? firsts[column + 1] : values.count)
    }

    /// Whether element `index` is a number rather than a null.
    func isNumber(_ index: Int) -> Bool { !texts[index].isEmpty }

    /// The rows of `timeseries.csv` for series `columns` (of equal length, in the table's
    /// order) of the record `bytes`: run id, generation, then each element's text as the
    /// record writes it, a null left empty; appended to `out`.
    func appendRows(_ columns: [Range<Int>], runID: String, record bytes: [UInt8], to out: inout [UInt8]) {
        guard let length = columns.first?.count else { return }
        var prefix = Array(runID.utf8)
        prefix.append(UInt8(ascii: ","))
        bytes.withUnsafeBufferPointer { record in
            texts.withUnsafeBufferPointer { texts in
                for generation in 0..<length {
                    out.append(contentsOf: prefix)
                    RunRecord.appendDecimal(generation, to: &out)
                    for column in columns {
                        out.append(UInt8(ascii: ","))
                        out.append(contentsOf: UnsafeBufferPointer(rebasing: record[texts[column.lowerBound + generation]]))
                    }
                    out.append(0x0A)
                }
            }
        }
    }
}
