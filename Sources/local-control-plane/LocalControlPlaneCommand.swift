import ArgumentParser
import LocalControlPlane
import Shared

/// `local-control-plane`: serves one datacenter's Envoys over ADS (`serve`, the default) or checks a config file.
@main
struct LocalControlPlaneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "local-control-plane",
        abstract: "Serve one datacenter's Envoys over xDS (ADS), from Consul or a registry file.",
        subcommands: [Serve.self, CheckConfig.self], defaultSubcommand: Serve.self)
}

/// Checks a `--config` YAML file: every problem with its line; exit status 1 if there is any.
struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check-config", abstract: "Validate a configuration file.")

    @Argument(help: "The YAML configuration file.") var file: String

    func run() throws {
        guard ConfigCheck.run(file: file, check: LocalControlPlaneConfig.check(yaml:)) else { throw ExitCode(1) }
    }
}

/// Serves xDS. Flags win over `--config`.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Serve xDS (the default).")

    @Option(help: "YAML file with any of the options below (camelCase keys); flags win.") var config: String?
    @Option(help: "This datacenter's name (the Envoy locality zone).") var datacenter: String?
    @Option(name: .customLong("consul-url"), help: "Watch this Consul agent's catalog.") var consulURL: String?
    @Option(help: "File with the Consul ACL token (sent as X-Consul-Token).") var consulTokenFile: String?
    @Option(help: "Blocking-query wait of every Consul watch (default 30s).") var consulWait: String?
    @Option(help: "Window in which Consul changes coalesce into one update (default 100ms).") var consulDebounce: String?
    @Flag(help: "Also route to Consul instances whose checks are in warning.") var includeWarning = false
    @Option(help: "Most Consul blocking queries at once (default 2048).") var consulMaxWatches: Int?
    @Option(help: "YAML registry file, re-read on change (default: an embedded empty registry).") var registryFile: String?
    @Option(name: .customLong("xds-port"), help: "gRPC ADS port (default 18000).") var xdsPort: Int?
    @Option(help: "HTTP API port (default 18080).") var httpPort: Int?
    @Option(help: "Address to listen on (default 127.0.0.1).") var bind: String?
    @Option(help: "File with the bearer token required on PUT /v1/remote-state.") var pushTokenFile: String?
    @Option(help: "File with a bearer token to require on GET /v1/state (default: none).") var stateTokenFile: String?
    @Option(help: "File that keeps the applied remote state across restarts (default remote-state-<dc>.json).")
    var remoteStateFile: String?
    @Option(help: "Regex of the instance tags that x-service-tag may select (default: every tag).") var routableTags: String?
    @Option(help: "PEM certificate (chain) for mTLS; needs --tls-key and --tls-ca.") var tlsCert: String?
    @Option(help: "PEM private key of --tls-cert.") var tlsKey: String?
    @Option(help: "PEM CA bundle: peers need a certificate it signed.") var tlsCa: String?
    @Option(help: "trace, debug, info, notice, warning, error or critical (default info).") var logLevel: String?
    @Option(help: "text or json (default text).") var logFormat: LogFormat?

    func run() async throws {
        var flags = LocalControlPlaneConfig()
        flags.datacenter = datacenter
        flags.consulURL = consulURL
        flags.consulTokenFile = consulTokenFile
        flags.consulWait = consulWait
        flags.consulDebounce = consulDebounce
        flags.includeWarning = includeWarning ? true : nil
        flags.consulMaxWatches = consulMaxWatches
        flags.registryFile = registryFile
        flags.xdsPort = xdsPort
        flags.httpPort = httpPort
        flags.bind = bind
        flags.pushTokenFile = pushTokenFile
        flags.stateTokenFile = stateTokenFile
        flags.remoteStateFile = remoteStateFile
        flags.routableTags = routableTags
        flags.tlsCert = tlsCert
        flags.tlsKey = tlsKey
        flags.tlsCa = tlsCa
        flags.logLevel = logLevel
        flags.logFormat = logFormat
        let fromFile = try config.map { try ConfigFile.load(LocalControlPlaneConfig.self, from: $0) } ?? LocalControlPlaneConfig()
        let valid: ValidLocalControlPlaneConfig
        do {
            valid = try flags.overriding(fromFile).validated()
        } catch {
            throw ValidationError(error.description)
        }
        LoggingBootstrap.bootstrap(format: valid.logFormat, level: valid.logLevel, metadata: ["dc": "\(valid.datacenter)"])
        try await LocalControlPlaneApp(config: valid, metrics: .bootstrap()).run()
    }
}

extension LogFormat: ExpressibleByArgument {}
