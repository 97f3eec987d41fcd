import Logging

/// The settings both servers share (`ServerOptions` are their flags): where the HTTP API listens, mTLS, logging.
/// Config keys at the top level of either executable's `--config` file, beside its own.
public struct ServerSettings: ConfigFileSettings, Equatable {
    public var bind: String?
    public var httpPort: Int?
    public var tlsCert: String?
    public var tlsKey: String?
    public var tlsCa: String?
    public var tlsReloadInterval: String?
    public var logLevel: String?
    public var logFormat: LogFormat?

    public init() {}

    public static let defaultBind = "127.0.0.1"

    /// The checked settings, or nil with every problem appended (the TLS files are read here).
    public func validated(defaultHTTPPort: Int, problems: inout [String]) -> ValidServerSettings? {
        let before = problems.count
        if let httpPort, !(1...65535).contains(httpPort) { problems.append("httpPort: \(httpPort) is not a port (1-65535)") }
        let level = logLevel.flatMap(Logger.Level.init(rawValue:))
        if let logLevel, level == nil {
            problems.append("logLevel: '\(logLevel)' is not one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let tls = TLSIdentity.load(cert: tlsCert, key: tlsKey, ca: tlsCa, reloadInterval: tlsReloadInterval, problems: &problems)
        guard problems.count == before else { return nil }
        return ValidServerSettings(
            bind: bind ?? Self.defaultBind, httpPort: httpPort ?? defaultHTTPPort, tls: tls,
            logLevel: level ?? .info, logFormat: logFormat ?? .text)
    }
}

/// `ServerSettings` that passed validation.
public struct ValidServerSettings: Sendable {
    public let bind: String
    public let httpPort: Int
    /// mTLS: the server requires client certificates signed by its CA; outgoing calls present this certificate.
    public let tls: TLSIdentity?
    public let logLevel: Logger.Level
    public let logFormat: LogFormat
}
