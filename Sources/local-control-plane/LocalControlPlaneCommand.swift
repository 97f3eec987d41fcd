import ArgumentParser
import LocalControlPlane
import Shared

/// `local-control-plane`: serves one datacenter's Envoys over ADS (`serve`, the default) or checks a config file.
@main
struct LocalControlPlaneCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "local-control-plane",
        abstract: "Serve one datacenter's Envoys over xDS (ADS), from Consul or a registry file.",
        version: BuildInfo.description,
        subcommands: [Serve.self, CheckConfig.self, Bootstrap.self], defaultSubcommand: Serve.self)
}

/// Checks a `--config` YAML file: every problem with its line; exit status 1 if there is any.
struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check-config", abstract: "Validate a configuration file.")

    @Argument(help: "The YAML configuration file.") var file: String

    func run() throws {
        guard ConfigCheck.run(file: file, check: LocalControlPlaneConfig.check(yaml:)) else { throw ExitCode(1) }
    }
}

/// Prints a sidecar Envoy's bootstrap in envoy-control's form.
struct Bootstrap: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the bootstrap YAML of a sidecar Envoy served by this control plane.")

    @OptionGroup var options: SidecarBootstrapOptions

    func run() throws {
        print(try options.bootstrap().yaml, terminator: "")
    }
}

/// Serves xDS. Flags win over `--config`.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Serve xDS (the default).", version: BuildInfo.description)

    @OptionGroup var options: LocalControlPlaneOptions

    func run() async throws {
        let valid: ValidLocalControlPlaneConfig
        do {
            valid = try options.configuration().validated()
        } catch {
            throw ValidationError(error.description)
        }
        LoggingBootstrap.bootstrap(format: valid.logFormat, level: valid.logLevel, metadata: [LogKey.datacenter: "\(valid.datacenter)"])
        try await LocalControlPlaneApp(config: valid, metrics: .bootstrap()).run()
    }
}
