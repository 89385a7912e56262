/// What runs the coupling groups of queued sweeps: this machine's worker threads
/// (``LocalExecutor``) or a Slurm cluster (``SlurmExecutor``).
///
/// The ``JobService`` keeps the sweeps, their states and the queue on a ``SweepBoard``; an
/// executor takes queued sweeps from the board's `active` list (submit), records their
/// progress there as its groups finish or as it polls them (follow), stops them on request
/// (cancel) and, after a restart, picks up what it left in the sweep folders (recover).
/// Once every group of a sweep is done, the ``SweepAssembler`` writes its dataset, whoever
/// ran it.
protocol SweepExecutor: AnyObject, Sendable {
    /// Whether a cancel is carried out later, by the executor, rather than at once: the sweep
    /// is then `cancelling` until the executor has seen its work stop and ends it
    /// (``SweepBoard/finish(_:as:error:)``).
    var confirmsCancel: Bool { get }

    /// Starts the executor's threads (``SweepBoard/spawn(_:_:)``); they return once the
    /// board is stopping.
    func start()

    /// A sweep was queued on the board (new, retried or resumed). Call with the board's lock
    /// held; it must not wait.
    func submit(_ job: SweepJob)

    /// A sweep is being cancelled: its `cancelled` flag is set and, if ``confirmsCancel``,
    /// its state is `cancelling`. Call with the board's lock held; it must not wait.
    func cancel(_ job: SweepJob)

    /// Forgets a previous attempt before a retry, so the sweep's unfinished groups run
    /// again. Called without the lock.
    func reset(_ job: SweepJob)

    /// The state a sweep loaded at start-up is shown in, given the state its folder recorded
    /// (`queued` or `running`): what this executor knows it to be doing. Called without the
    /// lock, before the sweep is on the board.
    func recover(_ job: SweepJob, recorded: SweepState) -> SweepState
}
