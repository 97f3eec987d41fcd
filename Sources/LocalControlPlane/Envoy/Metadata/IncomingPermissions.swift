/// `proxy_settings.incoming` (envoy-control's model): who may call which endpoints of this Envoy's service, the
/// custom health-check route and the ingress timeouts.
public struct Incoming: Hashable, Sendable {
    /// The RBAC rules; nil when the metadata has no `endpoints` or the server's incoming permissions are off (then
    /// every caller is allowed, as in envoy-control).
    public var permissions: IncomingPermissions?
    /// `healthCheck.path`: GET requests with this path prefix go to `healthCheck.clusterName` (a bootstrap cluster).
    public var healthCheck: HealthCheck?
    public var timeoutPolicy = TimeoutPolicy()
    /// `rateLimitEndpoints`: request limits per endpoint (and per client, when clients are listed).
    public var rateLimits: [RateLimitedEndpoint] = []
    /// The endpoints whose `oauth` requires a token, whether or not the server enforces permissions.
    public var oauthEndpoints: [OAuthEndpoint] = []

    public init(permissions: IncomingPermissions? = nil, healthCheck: HealthCheck? = nil, timeoutPolicy: TimeoutPolicy = TimeoutPolicy()) {
        self.permissions = permissions
        self.healthCheck = healthCheck
        self.timeoutPolicy = timeoutPolicy
    }

    public struct HealthCheck: Hashable, Sendable {
        public static let defaultClusterName = "local_service_health_check"
        public var path: String
        public var clusterName: String

        public init(path: String, clusterName: String = Self.defaultClusterName) {
            self.path = path
            self.clusterName = clusterName
        }
    }

    /// Ingress timeouts; nil takes the server's `localService` values.
    public struct TimeoutPolicy: Hashable, Sendable {
        public var responseTimeout: Duration?
        public var idleTimeout: Duration?
        public var connectionIdleTimeout: Duration?

        public init(responseTimeout: Duration? = nil, idleTimeout: Duration? = nil, connectionIdleTimeout: Duration? = nil) {
            self.responseTimeout = responseTimeout
            self.idleTimeout = idleTimeout
            self.connectionIdleTimeout = connectionIdleTimeout
        }
    }
}

/// An endpoint whose requests Envoy's JWT filter checks: it requires a token (`oauth`), or it lists clients with
/// token selectors (`name:selector` where `name` is a key of a provider's `matchings`), whose tokens the filter
/// verifies when present so that RBAC can match their fields.
public struct OAuthEndpoint: Hashable, Sendable {
    public var paths: [PathMatch]
    public var methods: [String]
    public var oauth: OAuth?
    /// Providers whose `matchings` name one of the endpoint's clients, sorted.
    public var selectorProviders: [String] = []

    /// Every provider whose tokens the endpoint verifies.
    public var providers: [String] { Array(Set(selectorProviders + [oauth?.provider].compactMap { $0 })).sorted() }
}

/// One of `proxy_settings.incoming.rateLimitEndpoints`: requests matching the path and methods are limited to
/// `limit`, counted per listed client (by the service-name header) or, without clients, for everyone together.
public struct RateLimitedEndpoint: Hashable, Sendable {
    public var path: PathMatch
    /// Empty: every method.
    public var methods: [String]
    /// Empty or `*`: one limit shared by every caller.
    public var clients: [String]
    public var limit: RateLimit

    public init(path: PathMatch, methods: [String] = [], clients: [String] = [], limit: RateLimit) {
        self.path = path
        self.methods = methods
        self.clients = clients
        self.limit = limit
    }
}

/// envoy-control's `N/s`, `N/m`, `N/h`.
public struct RateLimit: Hashable, Sendable {
    public var requests: Int
    public var interval: Duration

    public init(requests: Int, interval: Duration) {
        self.requests = requests
        self.interval = interval
    }

    /// nil for text that is not a rate limit.
    public init?(_ text: String) {
        guard let match = text.wholeMatch(of: /(0|[1-9][0-9]{0,8})\/([smh])/), let requests = Int(match.1) else { return nil }
        self.requests = requests
        interval = switch match.2 {
        case "s": .seconds(1)
        case "m": .seconds(60)
        default: .seconds(3600)
        }
    }
}

/// The RBAC part of `proxy_settings.incoming`.
public struct IncomingPermissions: Hashable, Sendable {
    public struct Endpoint: Hashable, Sendable {
        /// One or more (`paths: [...]` is several exact paths).
        public var paths: [PathMatch]
        /// Empty: every method.
        public var methods: [String]
        /// Service names, role names, or `*` for every caller, as written (selectors kept: `name:selector`).
        public var clients: [String]
        /// `log`: callers not listed are allowed (and logged); `blockAndLog` (default): denied.
        public var unlistedClientsPolicy: UnlistedPolicy

        public init(paths: [PathMatch], methods: [String] = [], clients: [String], unlistedClientsPolicy: UnlistedPolicy = .blockAndLog) {
            self.paths = paths
            self.methods = methods
            self.clients = clients
            self.unlistedClientsPolicy = unlistedClientsPolicy
        }
    }

    /// What happens to a request no endpoint permits.
    public enum UnlistedPolicy: String, Hashable, Sendable {
        /// Denied with 403 (and logged by Envoy's RBAC filter).
        case blockAndLog
        /// Allowed; the RBAC filter evaluates the rules in shadow mode and the ingress access log shows the verdict.
        case log
    }

    public struct Role: Hashable, Sendable {
        public var name: String
        public var clients: [String]

        public init(name: String, clients: [String]) {
            self.name = name
            self.clients = clients
        }
    }

    public var endpoints: [Endpoint]
    /// Sorted by name.
    public var roles: [Role]
    public var unlistedEndpointsPolicy: UnlistedPolicy

    public init(endpoints: [Endpoint] = [], roles: [Role] = [], unlistedEndpointsPolicy: UnlistedPolicy = .blockAndLog) {
        self.endpoints = endpoints
        self.roles = roles.sorted { $0.name < $1.name }
        self.unlistedEndpointsPolicy = unlistedEndpointsPolicy
    }

    /// The service names a client entry stands for: a role expands to its clients, a selector is dropped; `*` stays `*`.
    public func callers(_ client: String) -> [String] {
        entries(client).map { ClientSelector($0).name }
    }

    /// A client entry with roles expanded, selectors kept (`name`, `name:selector`, `name:!selector`).
    public func entries(_ client: String) -> [String] {
        roles.first { $0.name == client }?.clients ?? [client]
    }
}

/// envoy-control's client with selector: `name:selector` narrows a source-IP client by a request header
/// (`selectorMatching`) or a token client by a token field (`jwt.providers.*.matchings`); `name:!selector` negates it.
/// For any other client the selector means nothing and the name alone counts.
public struct ClientSelector: Hashable, Sendable {
    public let name: String
    public let selector: String?
    public let negated: Bool

    public init(_ entry: String) {
        let parts = entry.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        name = String(parts[0])
        guard parts.count == 2 else {
            (selector, negated) = (nil, false)
            return
        }
        negated = parts[1].hasPrefix("!")
        selector = String(negated ? parts[1].dropFirst() : parts[1])
    }
}
