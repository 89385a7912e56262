import Foundation
import MorphicData

/// SIGINT and SIGTERM for the commands that write a dataset: the temporaries of files not
/// yet in place are removed, then the process dies of the signal as it would have (a shell
/// sees the same status). Records are kept as they are written, so nothing else is lost;
/// without this, an interrupted sweep left hidden temporaries until a later run over its
/// folder removed them.
enum Interruption {
    /// Called first in a command's run, before any other thread starts: they inherit the
    /// signals blocked, and only the thread made here takes them.
    static func removesTemporaries() {
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGINT)
        sigaddset(&signals, SIGTERM)
        pthread_sigmask(SIG_BLOCK, &signals, nil)
        let blocked = signals
        Thread.detachNewThread {
            var waited = blocked
            var received: Int32 = 0
            guard sigwait(&waited, &received) == 0 else { return }
            StreamingFile.removeTemporaries()
            // Dies of the signal itself: its default action, unblocked on this thread.
            signal(received, SIG_DFL)
            var only = sigset_t()
            sigemptyset(&only)
            sigaddset(&only, received)
            pthread_sigmask(SIG_UNBLOCK, &only, nil)
            raise(received)
        }
    }
}
