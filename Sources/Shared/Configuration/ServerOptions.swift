import ArgumentParser

/// The flags both servers share; each is also a key of their `--config` file (same name).
public struct ServerOptions: ParsableArguments {
    @Option(help: "YAML file with any of these options (camelCase keys); flags win.") public var config: String?
    @Option(help: "Address to listen on (default 127.0.0.1).") public var bind: String?
    @Option(help: "HTTP API port (default 18080 for local-control-plane, 19000 for global-aggregator).") public var httpPort: Int?
    @Option(help: "PEM certificate (chain) for mTLS; needs --tls-key and --tls-ca.") public var tlsCert: String?
    @Option(help: "PEM private key of --tls-cert.") public var tlsKey: String?
    @Option(help: "PEM CA bundle: peers need a certificate it signed.") public var tlsCa: String?
    @Option(help: "How often --tls-cert and --tls-key are re-read, so renewed ones apply without a restart (default 30s).")
    public var tlsReloadInterval: String?
    @Option(help: "trace, debug, info, notice, warning, error or critical (default info).") public var logLevel: String?
    @Option(help: "text or json (default text).") public var logFormat: LogFormat?

    public init() {}
}

extension LogFormat: ExpressibleByArgument {}
