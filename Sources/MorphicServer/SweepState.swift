/// Where a sweep is in its life.
public enum SweepState: String, Sendable, CaseIterable {
    /// Accepted, waiting for a worker.
    case queued
    /// Runs are being computed.
    case running
    /// Every run finished; the dataset is ready.
    case completed
    /// Some runs failed (the others are in the dataset), or the dataset could not be written.
    case failed
    /// Asked to stop; its Slurm jobs have not yet all left the queue.
    case cancelling
    /// Stopped on request; finished runs are kept.
    case cancelled

    /// Whether the sweep still has work to do.
    var isActive: Bool { self == .queued || self == .running }
}
