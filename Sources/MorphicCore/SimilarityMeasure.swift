/// How alike a neighbourhood and a crystal's form are (docs/model.md section 4).
public enum SimilarityMeasure: String, CaseIterable, Sendable {
    /// The fraction of the k² cells on which they agree.
    case hamming
    /// Live cells in both over live cells in either.
    case jaccard
}
