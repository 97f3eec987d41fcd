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
        version: BuildInfo.description,
        subcommands: [Serve.self, CheckConfig.self, Explain.self], defaultSubcommand: Serve.self)
}

/// Asks a running aggregator where an Envoy in one DC sends a service's traffic, and why.
struct Explain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain", abstract: "Explain the routing decision for a service, seen from one datacenter.")

    @Option(help: "The service an Envoy calls.") var service: String
    @Option(help: "The datacenter the Envoy runs in.") var datacenter: String
    @Option(help: "The aggregator's HTTP address.") var url = "http://127.0.0.1:19000"

    func run() async throws {
        do {
            print(try await RouteExplainer.explain(aggregator: url, service: service, datacenter: datacenter), terminator: "")
        } catch {
            throw ValidationError("\(error)")
        }
    }
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
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the aggregator (the default).", version: BuildInfo.description)

    @OptionGroup var options: AggregatorOptions

    func run() async throws {
        let valid: ValidAggregatorConfig
        do {
            valid = try options.configuration().validated()
        } catch {
            throw ValidationError(error.description)
        }
        LoggingBootstrap.bootstrap(format: valid.logFormat, level: valid.logLevel, metadata: ["region": "\(valid.region)"])
        try await GlobalAggregatorApp(config: valid, metrics: .bootstrap()).run()
    }
}
