import Dispatch

/// A grid's rows split into bands, one thread each, for a step whose result does not depend
/// on the split (the Life step and the field's: each band writes only its own rows and its
/// own scratch, and the bands' counts are joined in order afterwards).
enum RowBands {
    /// How many bands `rows` rows make for `threads` threads, each band at least
    /// `minimumRows` long (a shorter one costs more to hand out than it saves).
    static func count(rows: Int, threads: Int, minimumRows: Int) -> Int {
        max(1, min(threads, rows / minimumRows))
    }

    /// Calls `body` with each band's number and rows, on `bands` threads (on this one when
    /// there is one band), and returns when all are done.
    static func run(rows: Int, bands: Int, _ body: (_ band: Int, _ rows: Range<Int>) -> Void) {
        guard bands > 1 else { return body(0, 0..<rows) }
        withoutActuallyEscaping(body) { body in
            let shared = Shared(body: body)
            DispatchQueue.concurrentPerform(iterations: bands) { band in
                shared.body(band, band * rows / bands..<(band + 1) * rows / bands)
            }
        }
    }

    /// The body, shared by the threads: it writes only what its band owns.
    private struct Shared: @unchecked Sendable {
        let body: (Int, Range<Int>) -> Void
    }
}
