extension Int {
    /// "1 run", "2 runs": a count of runs as a sentence says it.
    var runs: String { self == 1 ? "1 run" : "\(self) runs" }
}
