import Logging
import Shared

/// Everything `local-control-plane` is configured with: from `--config FILE.yaml`, then flags (flags win).
public struct LocalControlPlaneConfig: Codable, Sendable, Equatable {
    public var datacenter: String?
    public var consulURL: String?
    public var consulTokenFile: String?
    public var registryFile: String?
    public var xdsPort: Int?
    public var httpPort: Int?
    public var bind: String?
    public var pushTokenFile: String?
    public var remoteStateFile: String?
    public var routableTags: String?
    public var logLevel: String?
    public var logFormat: LogFormat?

    public init() {}

    enum CodingKeys: String, CodingKey {
        case datacenter, registryFile, xdsPort, httpPort, bind, pushTokenFile, remoteStateFile, routableTags, logLevel, logFormat
        case consulURL = "consulUrl"
        case consulTokenFile
    }

    public static let defaultXDSPort = 18000
    public static let defaultHTTPPort = 18080
    public static let defaultBind = "127.0.0.1"

    /// Fills every unset field of `self` from `fallback` (flags over the config file).
    public func overriding(_ fallback: LocalControlPlaneConfig) -> LocalControlPlaneConfig {
        var merged = self
        merged.datacenter = datacenter ?? fallback.datacenter
        merged.consulURL = consulURL ?? fallback.consulURL
        merged.consulTokenFile = consulTokenFile ?? fallback.consulTokenFile
        merged.registryFile = registryFile ?? fallback.registryFile
        merged.xdsPort = xdsPort ?? fallback.xdsPort
        merged.httpPort = httpPort ?? fallback.httpPort
        merged.bind = bind ?? fallback.bind
        merged.pushTokenFile = pushTokenFile ?? fallback.pushTokenFile
        merged.remoteStateFile = remoteStateFile ?? fallback.remoteStateFile
        merged.routableTags = routableTags ?? fallback.routableTags
        merged.logLevel = logLevel ?? fallback.logLevel
        merged.logFormat = logFormat ?? fallback.logFormat
        return merged
    }

    /// Checks the whole configuration once and reports every problem together.
    public func validated() throws(ConfigError) -> ValidLocalControlPlaneConfig {
        var problems: [String] = []
        if datacenter.map(ServiceName.isValid) != true {
            problems.append("datacenter: required, letters, digits, '-', '_' or '.' (e.g. --datacenter dc1)")
        }
        if consulURL != nil && registryFile != nil {
            problems.append("registry: give either consulUrl or registryFile, not both")
        }
        if consulURL != nil {
            problems.append("consulUrl: the Consul watcher is not available in this build; use registryFile")
        }
        for (name, port) in [("xdsPort", xdsPort), ("httpPort", httpPort)] {
            if let port, !(1...65535).contains(port) { problems.append("\(name): \(port) is not a port (1-65535)") }
        }
        let level = logLevel.flatMap(Logger.Level.init(rawValue:))
        if logLevel != nil && level == nil {
            problems.append("logLevel: '\(logLevel!)' is not one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        var pushToken: String?
        if let pushTokenFile {
            do {
                pushToken = try BearerToken.read(file: pushTokenFile)
            } catch {
                problems += error.problems.map { "pushTokenFile: \($0)" }
            }
        }
        var tagFilter = TagFilter()
        if let routableTags {
            do {
                tagFilter = try TagFilter(pattern: routableTags)
            } catch {
                problems.append("routableTags: '\(routableTags)' is not a valid regular expression")
            }
        }
        guard problems.isEmpty else { throw ConfigError(problems: problems) }
        return ValidLocalControlPlaneConfig(
            datacenter: datacenter!, registryFile: registryFile, xdsPort: xdsPort ?? Self.defaultXDSPort,
            httpPort: httpPort ?? Self.defaultHTTPPort, bind: bind ?? Self.defaultBind, pushToken: pushToken,
            remoteStateFile: remoteStateFile ?? "remote-state-\(datacenter!).json", tagFilter: tagFilter,
            logLevel: level ?? .info, logFormat: logFormat ?? .text)
    }
}

/// A configuration that passed validation; the app is built only from this.
public struct ValidLocalControlPlaneConfig: Sendable {
    public let datacenter: String
    /// `nil`: the embedded default registry (an empty catalog) is served.
    public let registryFile: String?
    public let xdsPort: Int
    public let httpPort: Int
    public let bind: String
    /// Required on `PUT /v1/remote-state`; without it pushes are refused.
    public let pushToken: String?
    /// Where the applied remote state is kept across restarts.
    public let remoteStateFile: String
    /// Which instance tags `x-service-tag` may select (`--routable-tags`).
    public let tagFilter: TagFilter
    public let logLevel: Logger.Level
    public let logFormat: LogFormat
}
