import CSystem
import Foundation
import Glibc

extension Thread {
    /// Sets the nice value of the calling thread alone to `nice` (0 to 19; higher is served
    /// later). Linux schedules each thread as a task of its own, so `setpriority` on the
    /// thread's id lowers this thread without touching the rest of the process, which
    /// `Thread.threadPriority` cannot do under the default scheduler. A thread may always
    /// lower its own priority, so the result is not checked; raising it needs a privilege
    /// the server does not hold, and the kernel then leaves the thread where it was.
    package static func setCurrentNice(_ nice: Int32) {
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), id_t(CSystem.gettid()), nice)
    }
}
