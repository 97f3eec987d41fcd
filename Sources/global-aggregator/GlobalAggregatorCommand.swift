import ArgumentParser
import GlobalAggregator
import Shared

/// `global-aggregator`: merges every DC's services and pushes cross-DC endpoints back (`serve`, the default),
/// or checks a config file.
@main
struct GlobalAggregatorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "global-aggregator",
        abstract: "Poll every DC's local control plane, merge with failover and weights, push remote endpoints back.",
        subcommands: [Serve.self, CheckConfig.self], defaultSubcommand: Serve.self)
}

/// Checks a `--config` YAML file (and the policy file it names): every problem with its line; exit status 1 if any.
struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check-config", abstract: "Validate a configuration file.")

    @Argument(help: "The YAML configuration file.") var file: String

    func run() throws {
        guard ConfigCheck.run(file: file, check: AggregatorConfig.check(yaml:)) else { throw ExitCode(1) }
    }
}

/// Runs the aggregator. Flags win over `--config`.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the aggregator (the default).")

    @Option(help: "YAML file with any of the options below (camelCase keys; datacenters as a list); flags win.") var config: String?
    @Option(help: "This region's name.") var region: String?
    @Option(help: "NAME=URL[,URL]: a DC and its control-plane replicas; repeat per DC.") var datacenter: [String] = []
    @Option(help: "SQLite file with the last-known state (default: memory only).") var database: String?
    @Option(help: "Policy YAML (failover order, splits, crossDc, staleness); reloaded on change.") var policy: String?
    @Option(help: "HTTP port (default 19000).") var httpPort: Int?
    @Option(help: "Address to listen on (default 127.0.0.1).") var bind: String?
    @Option(help: "File with the bearer token control planes require on PUT /v1/remote-state.") var pushTokenFile: String?
    @Option(help: "File with the bearer token control planes require on GET /v1/state, if they do.") var stateTokenFile: String?
    @Option(help: "Long-poll wait of GET /v1/state (default 30s).") var pollWait: String?
    @Option(help: "How long a fresh aggregator waits for every DC before pushing without one (default 120s).")
    var initialSyncGrace: String?
    @Option(help: "PEM certificate (chain) for mTLS; needs --tls-key and --tls-ca.") var tlsCert: String?
    @Option(help: "PEM private key of --tls-cert.") var tlsKey: String?
    @Option(help: "PEM CA bundle: peers need a certificate it signed.") var tlsCa: String?
    @Option(help: "trace, debug, info, notice, warning, error or critical (default info).") var logLevel: String?
    @Option(help: "text or json (default text).") var logFormat: LogFormat?

    func run() async throws {
        var flags = AggregatorConfig()
        flags.region = region
        flags.datacenters = datacenter
        flags.database = database
        flags.policy = policy
        flags.httpPort = httpPort
        flags.bind = bind
        flags.pushTokenFile = pushTokenFile
        flags.stateTokenFile = stateTokenFile
        flags.pollWait = pollWait
        flags.initialSyncGrace = initialSyncGrace
        flags.tlsCert = tlsCert
        flags.tlsKey = tlsKey
        flags.tlsCa = tlsCa
        flags.logLevel = logLevel
        flags.logFormat = logFormat
        let fromFile = try config.map { try ConfigFile.load(AggregatorConfig.self, from: $0) } ?? AggregatorConfig()
        let valid: ValidAggregatorConfig
        do {
            valid = try flags.overriding(fromFile).validated()
        } catch {
            throw ValidationError(error.description)
        }
        LoggingBootstrap.bootstrap(format: valid.logFormat, level: valid.logLevel, metadata: ["region": "\(valid.region)"])
        try await GlobalAggregatorApp(config: valid, metrics: .bootstrap()).run()
    }
}

extension LogFormat: ExpressibleByArgument {}
