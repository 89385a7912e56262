import Foundation
import MorphicData

/// Sweep progress on standard error: a redrawn bar on a terminal, a plain line every few
/// seconds otherwise (logs and CI stay readable).
final class ProgressBar {
    private let enabled: Bool
    private let terminal = isatty(STDERR_FILENO) == 1
    private let start = Date()
    private var lastLine = Date.distantPast
    private var drawn = false

    init(enabled: Bool) { self.enabled = enabled }

    func show(_ progress: SweepRunner.Progress) {
        guard enabled else { return }
        let elapsed = Date().timeIntervalSince(start)
        let done = progress.runsCompleted + progress.runsFailed
        let fraction = progress.fraction
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = fraction > 0 && fraction < 1 ? elapsed * (1 - fraction) / fraction : 0
        let text = String(
            format: "%d/%d runs  %.0f%%  %.1f runs/s  ETA %@", done, progress.runsTotal, fraction * 100, rate,
            Self.duration(eta))
        if terminal {
            let width = 30
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            FileHandle.standardError.write(Data("\r\(bar) \(text)\u{1B}[K".utf8))
            drawn = true
        } else if Date().timeIntervalSince(lastLine) >= 5 || done == progress.runsTotal {
            lastLine = Date()
            FileHandle.standardError.write(Data((text + "\n").utf8))
        }
    }

    func finish() {
        if drawn { FileHandle.standardError.write(Data("\n".utf8)) }
    }

    private static func duration(_ seconds: Double) -> String {
        let total = Int(seconds.rounded())
        return total >= 3600
            ? String(format: "%d:%02d:%02d", total / 3600, total / 60 % 60, total % 60)
            : String(format: "%d:%02d", total / 60, total % 60)
    }
}
