import Foundation
import TestSupport
@testable import MorphicServer
import Testing

@Suite struct ServerConfigurationTests {
    func write(_ text: String) throws -> String {
        let folder = try temporaryFolder()
        let path = folder + "/server.json"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A host that could never be listened on is refused, token or not: it is not replaced
    /// by loopback in silence.
    @Test(arguments: ["999.1.1.1", "example.invalid", "::1", "[::1]", ""])
    func hostThatIsNoIPv4Address_IsRefused(_ host: String) throws {
        var configuration = ServerConfiguration()
        configuration.host = host
        configuration.dataDirectory = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: configuration.dataDirectory) }
        let error = #expect(throws: ServerConfiguration.Error.self) { try MorphicServer(configuration: configuration, log: Log(destination: nil)) }
        #expect(error?.description.contains("host '\(host)' is not an IPv4 address") == true, "\(String(describing: error))")
    }

    @Test func shippedConfig_IsAccepted() throws {
        var configuration = ServerConfiguration()
        try configuration.apply(file: ServerProcess.packageFolder + "/Config/server.json")
        #expect(configuration.port == 8080 && configuration.isLoopback && configuration.apiToken == nil)
        var slurm = ServerConfiguration()
        try slurm.apply(file: ServerProcess.packageFolder + "/Config/server-slurm.json")
        #expect(slurm.executor == .slurm && slurm.slurm.shards == 16)
    }

    @Test func anyHost_IsRefusedWithoutAToken_WhereverTheTokenWouldComeFrom() throws {
        var open = ServerConfiguration()
        try open.apply(file: try write(#"{"allowed_hosts": ["*"]}"#))
        #expect(throws: ServerConfiguration.Error.self) { try open.checkCombined() }
        #expect(throws: ServerConfiguration.Error.self) { _ = try MorphicServer(configuration: open, log: Log(destination: nil)) }
        var tokened = open
        try tokened.apply(environment: ["MORPHIC_API_TOKEN": "a-token-of-sixteen+"])
        try tokened.checkCombined()
        var named = ServerConfiguration()
        try named.apply(file: try write(#"{"allowed_hosts": ["Lab.Example.org", "::1"]}"#))
        try named.checkCombined()
        #expect(named.allowedHosts == ["lab.example.org", "[::1]"])
    }

    @Test func environment_OverridesTheFile() throws {
        var configuration = ServerConfiguration()
        try configuration.apply(file: try write(#"{"port": 9000, "data_dir": "from-file"}"#))
        try configuration.apply(environment: ["MORPHIC_PORT": "9100", "MORPHIC_API_TOKEN": "a-token-of-sixteen+"])
        #expect(configuration.port == 9100)
        #expect(configuration.dataDirectory == "from-file")
        #expect(configuration.apiToken == "a-token-of-sixteen+")
    }

    @Test(arguments: [
        (#"{"colour": 1}"#, "unknown setting 'colour'"),
        (#"{"port": 70000}"#, "port must be an integer in 0...65535"),
        (#"{"limits": {"max_body_bytes": 10}}"#, "limits.max_body_bytes must be"),
        (#"{"limits": {"header_timeout_seconds": 0}}"#, "limits.header_timeout_seconds must be seconds"),
        (#"{"api_token": "short"}"#, "api_token must be a string of at least 16 visible ASCII characters"),
        // No client could send these as they are: a header's value loses its outer whitespace.
        (#"{"api_token": "                "}"#, "api_token must be a string of at least 16 visible ASCII characters"),
        (#"{"api_token": "sixteen chars and a space"}"#, "(no spaces)"),
        (#"{"api_token": "sixteen-chars-and-a-tab\t"}"#, "(no spaces)"),
        (#"{"executor": "cloud"}"#, "executor must be"),
        (#"{"slurm": {"binary": "morphic"}}"#, "slurm.binary must be an absolute path"),
        // What the server sets each job itself, cancelling and failure reports rely on.
        (#"{"slurm": {"sbatch_options": ["--partition=a", "--job-name=evil"]}}"#, "may not hold '--job-name=evil'"),
        (#"{"slurm": {"sbatch_options": ["-Jevil"]}}"#, "may not hold '-Jevil'"),
        (#"{"slurm": {"sbatch_options": ["--job", "x"]}}"#, "may not hold '--job'"),
        (#"{"slurm": {"sbatch_options": ["--array=0-3"]}}"#, "may not hold"),
        (#"{"slurm": {"sbatch_options": ["-o", "/tmp/x"]}}"#, "may not hold '-o'"),
        (#"{"slurm": {"sbatch_options": ["--wrap=sleep 1"]}}"#, "may not hold"),
        (#"{"llm": {"endpoint": "ftp://x", "model": "m"}}"#, "llm must be"),
        (#"{"notify": {"allowed_hosts": "x"}}"#, "notify.allowed_hosts must be an array of host names"),
        (#"{"notify": []}"#, "notify must be an object"),
        (#"{"notify": {"allowed_host": ["x"]}}"#, "unknown setting 'notify.allowed_host'"),
        (#"{"notify": {"allowed_hosts": ["x"], "allowed_ports": [0, 70000]}}"#, "notify.allowed_ports must be an array of ports in 1...65535"),
        (#"{"notify": {"allowed_hosts": ["hooks.example.org:443"]}}"#, "'hooks.example.org:443' is not a host name"),
        (#"{"notify": {"allowed_hosts": ["user@hooks.example.org"]}}"#, "is not a host name"),
        (#"{"notify": {"allowed_hosts": [""]}}"#, "is not a host name"),
        (#"{"allowed_hosts": ["lab.example.org:80"]}"#, "allowed_hosts: 'lab.example.org:80' is not a host name"),
        (#"{"allowed_hosts": ["http://lab.example.org"]}"#, "is not a host name"),
        (
            #"{"llm": {"endpoint": "http://user:pw@127.0.0.1/v1", "model": "m"}}"#,
            "llm.endpoint must not hold a user name or password"
        ),
        (#"{"llm": {"endpoint": "https://:key@api.example/v1", "model": "m"}}"#, "api_key_env"),
        (
            #"{"llm": {"endpoint": "http://127.0.0.1/v1\u0000@evil", "model": "m"}}"#,
            "llm.endpoint must not hold spaces or control"
        ),
        (
            #"{"llm": {"endpoint": "http://127.0.0.1/v1", "model": "m", "ca_file": "/nonexistent/ca.pem"}}"#,
            "llm.ca_file '/nonexistent/ca.pem' cannot be read"
        ),
        (
            #"{"llm": {"endpoint": "http://127.0.0.1/v1", "model": "m", "ca_file": "/etc/hostname"}}"#,
            "holds no PEM certificate"
        ),
        (
            #"{"llm": {"endpoint": "http://127.0.0.1/v1", "model": "m", "timeout_seconds": 0.001}}"#,
            "llm.timeout_seconds must be seconds in [0.1, 3600], to the millisecond"
        ),
        (
            #"{"llm": {"endpoint": "http://127.0.0.1/v1", "model": "m", "timeout_seconds": 0.1234}}"#,
            "to the millisecond"
        ),
        (#"{"llm": {"endpoint": "http://127.0.0.1/v1", "model": "m", "deadline_seconds": 0.01}}"#, "deadline_seconds"),
        (
            #"{"llm": {"endpoint": "http://127.0.0.1/v1", "model": "m", "api_key_env": "sk-proj-ABCDEFGH"}}"#,
            "llm.api_key_env must name an environment variable"
        ),
        ("{", "server.json"),
    ])
    func badSetting_IsRefusedNamingIt(_ text: String, _ message: String) throws {
        var configuration = ServerConfiguration()
        let path = try write(text)
        do {
            try configuration.apply(file: path)
            Issue.record("accepted \(text)")
        } catch {
            #expect(String(describing: error).contains(message), "\(error)")
            #expect(!String(describing: error).contains("sk-proj"), "a key put in the wrong place is not shown")
        }
        #expect(throws: (any Error).self) {
            try ServerConfiguration().applying(environment: ["MORPHIC_PORT": "eighty"])
        }
    }
}

@Suite struct OutboundSettingsTests {
    @Test(arguments: [
        (["::1"], "http://[::1]:9/hook", true), (["[::1]"], "http://[::1]:9/hook", true),
        (["::1"], "http://[0:0:0:0:0:0:0:1]:9/hook", true), (["0:0::1"], "http://[::1]/hook", true),
        (["::1"], "http://127.0.0.1/hook", false), (["127.0.0.1"], "http://[::1]/hook", false),
        (["Hooks.Example.ORG"], "https://hooks.example.org/x", true), (["127.0.0.1"], "http://127.1/x", true),
    ])
    func notifyHosts_AreReadAsURLHostsAre(_ hosts: [String], _ url: String, _ allowed: Bool) throws {
        var configuration = ServerConfiguration()
        let list = hosts.map { "\"\($0)\"" }.joined(separator: ", ")
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try #"{"notify": {"allowed_hosts": [\#(list)]}}"#.write(
            toFile: folder + "/s.json", atomically: true, encoding: .utf8)
        try configuration.apply(file: folder + "/s.json")
        let notifier = SweepNotifier(allowedHosts: configuration.notifyHosts, log: Log(destination: nil))
        defer { notifier.shutdown() }
        #expect(notifier.allows(url) == allowed, "\(hosts) \(url) → \(configuration.notifyHosts)")
    }

    @Test func caFile_ThatHoldsACertificate_IsAccepted() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n".write(
            toFile: folder + "/ca.pem", atomically: true, encoding: .utf8)
        try
            #"{"llm": {"endpoint": "https://127.0.0.1/v1", "model": "m", "ca_file": "\#(folder)/ca.pem", "timeout_seconds": 0.25}}"#
            .write(toFile: folder + "/s.json", atomically: true, encoding: .utf8)
        var configuration = ServerConfiguration()
        try configuration.apply(file: folder + "/s.json")
        #expect(configuration.llm?.caFile == folder + "/ca.pem" && configuration.llm?.timeout == 0.25)
    }

    @Test func notifyURL_WithAControlCharacter_IsRefusedNamingIt() throws {
        let data = try temporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: data) }
        var configuration = ServerConfiguration()
        configuration.dataDirectory = data
        configuration.workers = 1
        configuration.notifyHosts = ["127.0.0.1"]
        let service = try JobService(configuration: configuration, log: Log(destination: nil))
        defer { service.shutdown() }
        for character in ["\\u0000", "\\u0001", "\\u001f", "\\u007f", "\\u0085", "\\t"] {
            let definition =
                #"{"notify_url": "http://127.0.0.1:9/\#(character)@evil.example/", "groups": [{"prefix": "a"}]}"#
            do {
                _ = try service.submit(Array(definition.utf8))
                Issue.record("accepted \(character)")
            } catch {
                let answer = APIError.from(error)
                #expect(answer.status.code == 422 && answer.field == "notify_url", "\(character): \(answer.message)")
            }
        }
        #expect((try? FileManager.default.contentsOfDirectory(atPath: data + "/sweeps"))?.isEmpty ?? true)
    }
}

extension ServerConfiguration {
    func applying(environment: [String: String]) throws -> ServerConfiguration {
        var copy = self
        try copy.apply(environment: environment)
        return copy
    }
}
