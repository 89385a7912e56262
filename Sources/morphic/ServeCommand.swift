import ArgumentParser
import Foundation
import MorphicData
import MorphicServer

/// `morphic serve`: the job server.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the job server: REST API, worker pool and browser page.",
        discussion: """
            Settings come from the config file, then MORPHIC_HOST, MORPHIC_PORT, \
            MORPHIC_DATA_DIR, MORPHIC_WORKERS, MORPHIC_API_TOKEN and MORPHIC_PUBLIC_DIR, \
            then these flags. Without an API token the server listens on 127.0.0.1 only. \
            SIGTERM or SIGINT stops it gracefully; unfinished sweeps resume on the next start.
            """
    )

    @Option(help: "Server configuration file. [default: Config/server.json when it exists, else built-in defaults]")
    var config: String?

    @Option(help: "Address to listen on.")
    var host: String?

    @Option(parsing: .unconditional, help: "Port to listen on; 0 picks a free one.")
    var port: Int?

    @Option(name: .customLong("data-dir"), help: "Folder for sweeps and datasets.")
    var dataDir: String?

    @Option(parsing: .unconditional, help: "Simulation worker threads; 0 means one per core.")
    var workers: Int?

    func run() throws {
        // Blocked before any thread starts, so every thread inherits the mask and a stop
        // signal waits for `sigwait` below. A signal-handling thread started later (a
        // dispatch source) lost signals sent right after start-up: another thread that did
        // not block them took and dropped them.
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGTERM)
        sigaddset(&stopSignals, SIGINT)
        pthread_sigmask(SIG_BLOCK, &stopSignals, nil)
        var settings = ServerConfiguration()
        do {
            if let config {
                try settings.apply(file: config)
            } else if FileManager.default.fileExists(atPath: "Config/server.json") {
                try settings.apply(file: "Config/server.json")
            }
            try settings.apply(environment: ProcessInfo.processInfo.environment)
            try settings.checkCombined()
        } catch {
            throw ValidationError("\(error)")
        }
        if let host { settings.host = host }
        if let port {
            guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535") }
            settings.port = port
        }
        if let dataDir { settings.dataDirectory = dataDir }
        if let workers {
            guard workers >= 0 else { throw ValidationError("--workers must be 0 (all cores) or more") }
            settings.workers = workers
        }
        let page = Self.locatePage(settings.publicDirectory)
        if let found = page.found { settings.publicDirectory = found }
        signal(SIGPIPE, SIG_IGN)
        let server: MorphicServer
        do {
            server = try MorphicServer(configuration: settings)
        } catch let error as FileError {
            throw ValidationError(error.description)
        } catch let error as ServerConfiguration.Error {
            throw ValidationError(error.description)
        }
        let port = try server.start()
        let url = "http://\(server.configuration.host):\(port)"
        say("MorphicLab listening on \(url)")
        if let found = page.found {
            say("Browser page and /openapi.json from \(found)")
        } else {
            say(
                "No browser page: openapi.json not found in \(page.looked.joined(separator: ", ")); "
                    + "set MORPHIC_PUBLIC_DIR to the repository's Public folder. The API answers without it.")
        }
        // The README's lines, with this server's URL (and its token, when it has one).
        let auth = server.configuration.apiToken == nil ? "" : " -H \"Authorization: Bearer $MORPHIC_API_TOKEN\""
        if server.configuration.apiToken == nil {
            say("No API token set: only this machine can connect (set MORPHIC_API_TOKEN to listen elsewhere).")
        }
        say(
            """
            Try (from the repository's folder):
              curl -s\(auth) -X POST -H 'Content-Type: application/json' --data @Config/sweeps/seed.json \(url)/api/sweeps
              curl -s\(auth) \(url)/api/sweeps/seed-sweep-7f41200d7684a6fb          # poll: status, progress, eta_seconds
              curl -s\(auth) -o seed.tar.gz \(url)/api/sweeps/seed-sweep-7f41200d7684a6fb/dataset.tar.gz
            """)

        var received: Int32 = 0
        sigwait(&stopSignals, &received)
        say("Stopping: finishing requests and bringing simulations to a safe point…")
        server.stop()
    }
}

extension ServeCommand {
    /// The folder of the browser page and `openapi.json`: `configured` when it holds them
    /// (the working folder's `Public` by default); else, for the default, a `Public` next to
    /// the binary, in `../share/morphiclab/`, or in a folder above it (a clone's
    /// `.build/release/morphic`). Also where it looked, to say so when nothing is found.
    static func locatePage(_ configured: String) -> (found: String?, looked: [String]) {
        func holdsPage(_ folder: String) -> Bool { FileManager.default.fileExists(atPath: folder + "/openapi.json") }
        let here = FileManager.default.currentDirectoryPath
        let absolute = configured.hasPrefix("/") ? configured : here + "/" + configured
        var looked = [absolute]
        if holdsPage(absolute) { return (absolute, looked) }
        guard configured == ServerConfiguration().publicDirectory else { return (nil, looked) }
        // The running binary's own path, even when it was found on the PATH.
        let binary = URL(
            fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
                ?? CommandLine.arguments[0]
        ).resolvingSymlinksInPath()
        var folder = binary.deletingLastPathComponent()
        looked.append(folder.appendingPathComponent("../share/morphiclab/Public").standardized.path)
        for _ in 0..<5 {
            looked.append(folder.appendingPathComponent("Public").path)
            folder = folder.deletingLastPathComponent()
        }
        return (looked.dropFirst().first(where: holdsPage), looked)
    }
}

/// Writes a line to standard output at once (print buffers when output is a pipe). A closed
/// output (its pipe's reader gone) loses the line, not the server: the throwing write, since
/// the other one traps on EPIPE.
private func say(_ text: String) {
    try? FileHandle.standardOutput.write(contentsOf: Data((text + "\n").utf8))
}
