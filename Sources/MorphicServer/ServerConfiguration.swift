import Foundation
import HTTP
import MorphicData
import MorphicLLM

/// Everything `morphic serve` can be told, from `Config/server.json`, then environment
/// variables (`MORPHIC_PORT`, …), then command-line flags, later ones winning.
public struct ServerConfiguration: Sendable {
    /// Address to listen on. Without an API token only loopback addresses are used.
    public var host = "127.0.0.1"
    /// Port to listen on; 0 picks a free one (the chosen port is printed).
    public var port = 8080
    /// Folder holding one folder per sweep.
    public var dataDirectory = "data"
    /// Simulation worker threads; 0 means one per core.
    public var workers = 0
    /// Folder of the browser page and other static files.
    public var publicDirectory = "Public"
    /// When set, state-changing requests need `Authorization: Bearer <token>`.
    public var apiToken: String?
    /// Limits of the HTTP layer.
    public var http = HTTPLimits()
    /// Limits of one sweep.
    public var sweeps = SweepLimits()
    /// Most sweeps queued or running at once; more get 429.
    public var maximumActiveSweeps = 64
    /// Most sweeps kept in the data directory, finished ones included; a new one beyond
    /// that gets 422 until one is deleted. 10,000: the sweep list stays quick to sort and
    /// page, and a disk is not filled by a script that submits in a loop.
    public var maximumStoredSweeps = 10_000
    /// Most runs the runs indexes of all sweeps may cover together (about 130 bytes a run):
    /// past it, the least recently asked sweeps' indexes are dropped and made again when
    /// asked (``RunIndexBudget``).
    public var maximumIndexedRuns = 2_000_000
    /// Host names (the Host field, port ignored) the server answers besides loopback names
    /// and its own listening address; others get 421, which stops DNS-rebinding pages from
    /// reaching a server on this machine. `"*"` allows any host.
    public var allowedHosts: [String] = []
    /// The language model of `llm_control` runs; without it such runs fail with a clear error.
    public var llm: LLMSettings?
    /// Where runs are computed: `local` worker threads, or a Slurm cluster.
    public enum Executor: String, Sendable {
        /// This server's worker pool.
        case local
        /// Job arrays on a Slurm cluster sharing the data directory.
        case slurm
    }

    /// Where runs are computed.
    public var executor = Executor.local
    /// The Slurm executor's settings.
    public var slurm = SlurmSettings()
    /// Hosts a sweep's `notify_url` may name. None by default, so that a submitter cannot
    /// make the server call arbitrary (internal) addresses.
    public var notifyHosts: [String] = []
    /// Ports a `notify_url` may name; any port of an allowed host when empty.
    public var notifyPorts: [Int] = []

    /// The built-in defaults.
    public init() {}

    /// Worker threads to start.
    public var workerCount: Int { workers > 0 ? workers : ProcessInfo.processInfo.activeProcessorCount }

    /// A configuration that cannot be used, naming the setting.
    public struct Error: Swift.Error, CustomStringConvertible {
        /// What is wrong.
        public let description: String
    }

    /// Refuses settings that are each valid but unsafe together; call once every source
    /// (file, environment, flags) has been applied.
    public func checkCombined() throws(Error) {
        if allowedHosts.contains("*") && apiToken == nil {
            throw Error(
                description:
                    "allowed_hosts [\"*\"] answers any Host name, so any web page could reach this server by DNS "
                    + "rebinding; it needs api_token (or list the names this server is reached by)")
        }
    }

    /// Reads a configuration file (keys as in `Config/server.json`) over the defaults.
    public mutating func apply(file path: String) throws {
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw Error(description: "cannot read \(path)")
        }
        let json: JSON
        do {
            json = try JSONParser.parse(Array(bytes))
        } catch {
            throw Error(description: "\(path): \(error)")
        }
        guard let members = json.members else { throw Error(description: "\(path): expected a JSON object") }
        for member in members {
            try apply(key: member.key, value: member.value, source: path)
        }
    }

    /// Applies `MORPHIC_*` environment variables.
    public mutating func apply(environment: [String: String]) throws {
        let names: [(String, String)] = [
            ("MORPHIC_HOST", "host"), ("MORPHIC_PORT", "port"), ("MORPHIC_DATA_DIR", "data_dir"),
            ("MORPHIC_WORKERS", "workers"), ("MORPHIC_API_TOKEN", "api_token"), ("MORPHIC_PUBLIC_DIR", "public_dir"),
        ]
        for (variable, key) in names {
            guard let text = environment[variable] else { continue }
            let value: JSON = ["port", "workers"].contains(key) ? .number(text) : .string(text)
            try apply(key: key, value: value, source: variable)
        }
    }

    private mutating func apply(key: String, value: JSON, source: String) throws {
        let setting = Setting(name: key, value: value, source: source)
        switch key {
        case "host":
            guard let text = value.stringValue, !text.isEmpty else { throw setting.fail("an IPv4 address") }
            host = text
        case "port": port = try setting.integer(0...65535)
        case "data_dir":
            guard let text = value.stringValue, !text.isEmpty else { throw setting.fail("a folder") }
            dataDirectory = text
        case "workers": workers = try setting.integer(0...1024)
        case "public_dir":
            guard let text = value.stringValue, !text.isEmpty else { throw setting.fail("a folder") }
            publicDirectory = text
        case "api_token":
            switch value {
            case .null: apiToken = nil
            case .string(let text) where text.isEmpty: apiToken = nil
            // Visible ASCII only: a header's value loses its outer whitespace, so a token with
            // a space or a control character in it could never be sent as it is.
            case .string(let text) where text.utf8.count >= 16 && text.utf8.allSatisfy({ (0x21...0x7E).contains($0) }):
                apiToken = text
            default: throw setting.fail("a string of at least 16 visible ASCII characters (no spaces), or null")
            }
        case "limits":
            guard let members = value.members else { throw setting.fail("an object") }
            for member in members { try applyLimit(member.key, member.value, source: source) }
        case "llm":
            if value == .null {
                llm = nil
                return
            }
            guard let endpoint = value["endpoint"]?.stringValue,
                endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://"),
                let model = value["model"]?.stringValue, !model.isEmpty
            else { throw setting.fail("null or an object with an http(s) \"endpoint\" and a \"model\"") }
            if let problem = LLMSettings.problem(endpoint: endpoint) {
                throw Error(description: "\(source): llm.endpoint \(problem)")
            }
            if let unknown = value.members?.first(where: {
                ![
                    "endpoint", "model", "api_key_env", "timeout_seconds", "deadline_seconds",
                    "failure_cooldown_seconds", "ca_file",
                ].contains($0.key)
            }) {
                throw Error(description: "\(source): unknown setting 'llm.\(unknown.key)'")
            }
            var settings = LLMSettings(endpoint: endpoint, model: model)
            if let variable = value["api_key_env"] {
                guard let name = variable.stringValue, !name.isEmpty else {
                    throw setting.fail("an object whose api_key_env names a variable")
                }
                if let problem = LLMSettings.problem(variable: name) {
                    throw Error(description: "\(source): llm.api_key_env \(problem)")
                }
                settings.apiKeyVariable = name
            }
            if let timeout = value["timeout_seconds"] {
                guard let seconds = timeout.doubleValue, LLMSettings.problem(timeout: seconds) == nil else {
                    throw Error(
                        description:
                            "\(source): llm.timeout_seconds \(LLMSettings.problem(timeout: timeout.doubleValue ?? 0)!)")
                }
                settings.timeout = seconds
            }
            if let deadline = value["deadline_seconds"] {
                guard let seconds = deadline.doubleValue, seconds >= LLMSettings.shortestTimeout, seconds <= 86400
                else {
                    throw setting.fail("an object whose deadline_seconds is in [0.1, 86400]")
                }
                settings.deadline = seconds
            }
            if let cooldown = value["failure_cooldown_seconds"] {
                // At least a second: a failure forgotten at once would never reach the runs
                // waiting for it, and the model would be asked again and again.
                guard let seconds = cooldown.doubleValue, seconds >= 1, seconds <= 86400 else {
                    throw setting.fail("an object whose failure_cooldown_seconds is in [1, 86400]")
                }
                settings.failureCooldown = seconds
            }
            if let file = value["ca_file"] {
                guard let path = file.stringValue, !path.isEmpty else {
                    throw setting.fail("an object whose ca_file is a path")
                }
                // Checked now: a file that is missing or holds no certificate would fail every
                // fetch later, far from its cause.
                guard let contents = FileManager.default.contents(atPath: path) else {
                    throw Error(description: "\(source): llm.ca_file '\(path)' cannot be read (missing, or not a file)")
                }
                guard String(decoding: contents, as: UTF8.self).contains("-----BEGIN CERTIFICATE-----") else {
                    throw Error(description: "\(source): llm.ca_file '\(path)' holds no PEM certificate")
                }
                settings.caFile = path
            }
            llm = settings
        case "executor":
            guard let name = value.stringValue, let chosen = Executor(rawValue: name) else {
                throw setting.fail("\"local\" or \"slurm\"")
            }
            executor = chosen
        case "slurm":
            guard let members = value.members else { throw setting.fail("an object") }
            for member in members { try applySlurm(member.key, member.value, source: source) }
        case "allowed_hosts":
            guard let hosts = value.elements, let names = Optional(hosts.compactMap(\.stringValue)),
                names.count == hosts.count, names.allSatisfy({ !$0.isEmpty })
            else { throw setting.fail("an array of host names") }
            allowedHosts = try names.map { name in
                if name == "*" { return name }
                // Matched against a Host field's name alone, so a port here could never match.
                guard let host = SweepNotifier.host(name) else {
                    throw Error(
                        description:
                            "\(source): allowed_hosts: '\(name)' is not a host name or IP address (no port or scheme: "
                            + "a name is answered on any port this server listens on)")
                }
                return host
            }
        case "notify":
            let shape = "an object {\"allowed_hosts\": [host names], \"allowed_ports\": [ports, optional]}"
            guard let members = value.members else { throw setting.fail(shape) }
            // Each fault named: which key is unknown, which one is not a list of what.
            if let unknown = members.first(where: { !["allowed_hosts", "allowed_ports"].contains($0.key) }) {
                throw Error(description: "\(source): unknown setting 'notify.\(unknown.key)' (notify has allowed_hosts and allowed_ports)")
            }
            guard let hosts = value["allowed_hosts"]?.elements,
                let names = Optional(hosts.compactMap(\.stringValue)), names.count == hosts.count
            else { throw Error(description: "\(source): notify.allowed_hosts must be an array of host names") }
            notifyHosts = try names.map { name in
                guard let host = SweepNotifier.host(name) else {
                    throw Error(
                        description:
                            "\(source): notify.allowed_hosts: '\(name)' is not a host name or IP address "
                            + "(ports go in allowed_ports; an IPv6 address may be written with or without brackets)")
                }
                return host
            }
            if let ports = value["allowed_ports"] {
                guard let list = ports.elements, let numbers = Optional(list.compactMap(\.intValue)),
                    numbers.count == list.count, numbers.allSatisfy({ (1...65535).contains($0) })
                else { throw Error(description: "\(source): notify.allowed_ports must be an array of ports in 1...65535") }
                notifyPorts = numbers
            }
        default:
            throw Error(description: "\(source): unknown setting '\(key)'")
        }
    }

    private mutating func applySlurm(_ key: String, _ value: JSON, source: String) throws {
        let setting = Setting(name: "slurm." + key, value: value, source: source)
        switch key {
        case "shards": slurm.shards = try setting.integer(1...10_000)
        case "parallel": slurm.parallel = try setting.integer(1...10_000)
        case "retries": slurm.retries = try setting.integer(0...100)
        case "cpus_per_task": slurm.cpusPerTask = try setting.integer(1...1024)
        case "poll_seconds":
            guard let seconds = value.doubleValue, seconds >= 0.1, seconds <= 600 else {
                throw setting.fail("seconds in [0.1, 600]")
            }
            slurm.pollSeconds = seconds
        case "command_timeout_seconds":
            guard let seconds = value.doubleValue, seconds >= 0.1, seconds <= 3600 else {
                throw setting.fail("seconds in [0.1, 3600]")
            }
            slurm.commandTimeout = seconds
        case "submit_attempts": slurm.submitAttempts = try setting.integer(1...100)
        case "binary":
            switch value {
            case .null: slurm.binary = nil
            case .string(let path) where path.hasPrefix("/"): slurm.binary = path
            default: throw setting.fail("an absolute path or null")
            }
        case "sbatch_options":
            guard let options = value.elements?.compactMap(\.stringValue), options.count == value.elements?.count else {
                throw setting.fail("an array of strings")
            }
            if let option = options.first(where: SlurmSettings.isReserved) {
                throw Error(
                    description: "\(source): slurm.sbatch_options may not hold '\(option)': the server sets each job's "
                        + "name (which cancelling finds it by), array, output and error files itself")
            }
            slurm.sbatchOptions = options
        default: throw Error(description: "\(source): unknown setting 'slurm.\(key)'")
        }
    }

    private mutating func applyLimit(_ key: String, _ value: JSON, source: String) throws {
        let setting = Setting(name: "limits." + key, value: value, source: source)
        switch key {
        case "max_body_bytes": http.maximumBodyBytes = try setting.integer(1024...(1 << 30))
        case "max_connections": http.maximumConnections = try setting.integer(1...1_000_000)
        case "header_timeout_seconds": http.headerTimeout = try setting.seconds()
        case "idle_timeout_seconds": http.idleTimeout = try setting.seconds()
        case "request_timeout_seconds": http.requestTimeout = try setting.seconds()
        case "max_runs_per_sweep": sweeps.maximumRuns = try setting.integer(1...10_000_000)
        case "max_cell_steps_per_sweep": sweeps.maximumCellSteps = try setting.integer(1...Int.max)
        case "max_active_sweeps": maximumActiveSweeps = try setting.integer(1...100_000)
        case "max_stored_sweeps": maximumStoredSweeps = try setting.integer(1...1_000_000)
        case "max_indexed_runs": maximumIndexedRuns = try setting.integer(1...1_000_000_000)
        case "max_sweep_bytes": sweeps.maximumEstimatedBytes = try setting.integer(1 << 20...Int.max)
        case "max_snapshot_bytes": sweeps.maximumSnapshotBytes = try setting.integer(0...Int.max)
        case "max_frame_cells": sweeps.maximumFrameCells = try setting.integer(1...Int.max)
        case "max_frame_cell_steps": sweeps.maximumFrameCellSteps = try setting.integer(1...Int.max)
        case "max_blocking_queue": http.blockingQueueDepth = try setting.integer(1...1_000_000)
        case "blocking_per_client": http.blockingPerClient = try setting.integer(1...1_000_000)
        case "handler_timeout_seconds": http.handlerTimeout = try setting.seconds()
        case "max_queue_delay_seconds": http.maximumQueueDelay = try setting.seconds()
        case "max_queued_response_bytes": http.maximumQueuedBytes = try setting.integer(1 << 20...Int.max)
        case "max_receiving_request_bytes": http.maximumReceivingBytes = try setting.integer(1 << 20...Int.max)
        case "socket_send_buffer_bytes": http.socketSendBuffer = try setting.integer(0...(64 << 20))
        case "query_threads": http.queryThreads = try setting.integer(1...1024)
        case "max_query_queue": http.queryQueueDepth = try setting.integer(1...1_000_000)
        case "query_per_client": http.queryPerClient = try setting.integer(1...1_000_000)
        case "max_query_queued_run_visits": http.queryQueuedCost = try setting.integer(1...Int.max)
        case "max_retry_after_seconds": http.maximumRetryAfter = try setting.integer(1...86_400)
        case "heavy_threads": http.heavyThreads = try setting.integer(1...1024)
        case "max_heavy_queue": http.heavyQueueDepth = try setting.integer(1...1_000_000)
        case "max_heavy_queued_cell_steps": http.heavyQueuedCost = try setting.integer(1...Int.max)
        case "heavy_per_client": http.heavyPerClient = try setting.integer(1...1_000_000)
        default: throw Error(description: "\(source): unknown limit '\(key)'")
        }
    }

    /// Whether `host` only accepts connections from this machine.
    public var isLoopback: Bool { Loopback.isLoopback(host.lowercased()) }
}
