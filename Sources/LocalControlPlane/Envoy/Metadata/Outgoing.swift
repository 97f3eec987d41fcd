/// `proxy_settings.outgoing` (envoy-control's model): the services and domains this Envoy may call, each with its
/// settings resolved against the server's defaults.
public struct Outgoing: Hashable, Sendable {
    /// Named service dependencies, sorted by name (a repeated name: the last one wins, as in envoy-control).
    public var services: [ServiceDependency]
    /// Every other service of the mesh with these settings: `service: "*"`, or outgoing permissions off.
    public var allServices: DependencySettings?
    /// External `domain` dependencies, sorted by cluster name.
    public var domains: [DomainDependency]
    /// `domainPattern` dependencies (dynamic forward proxy), sorted.
    public var domainPatterns: [String]
    /// Services `allServices` leaves out (`allServicesDependencies.notIncludedByPrefix`); named ones still count.
    public var notIncludedByPrefix: [String]

    public init(
        services: [ServiceDependency] = [], allServices: DependencySettings? = nil, domains: [DomainDependency] = [],
        domainPatterns: [String] = [], notIncludedByPrefix: [String] = []
    ) {
        self.services = services.sorted { $0.service < $1.service }
        self.allServices = allServices
        self.domains = domains.sorted { $0.clusterName < $1.clusterName }
        self.domainPatterns = domainPatterns.sorted()
        self.notIncludedByPrefix = notIncludedByPrefix.sorted()
    }

    /// The dependencies that exist in `available` (names in ascending order), sorted, each with its settings. With
    /// `keep`, named dependencies are resolved even when absent from `available` (envoy-control keeps clusters of
    /// services that vanished).
    public func resolve(among available: [String], keeping kept: Set<String> = []) -> [ServiceDependency] {
        var named: [String: DependencySettings] = [:]
        for dependency in services { named[dependency.service] = dependency.settings }
        guard allServices != nil else {
            // Only named dependencies resolve: each is looked up in the sorted names (every group's snapshot does
            // this on every change; walking and sorting all services was a tenth of a rebuild at 1,000 services).
            return named.keys.sorted().compactMap { name in
                guard kept.contains(name) || available.sortedContains(name) else { return nil }
                return ServiceDependency(service: name, settings: named[name]!)
            }
        }
        return Set(available).union(kept).sorted().compactMap { name in
            guard let settings = named[name] ?? (notIncludedByPrefix.contains { name.hasPrefix($0) } ? nil : allServices) else { return nil }
            return ServiceDependency(service: name, settings: settings)
        }
    }

    /// Whether a change of `service` can change this Envoy's resources.
    public func dependsOn(anyOf changed: Set<String>) -> Bool {
        allServices != nil || services.contains { changed.contains($0.service) }
    }
}

public struct ServiceDependency: Hashable, Sendable {
    public var service: String
    public var settings: DependencySettings

    public init(service: String, settings: DependencySettings = DependencySettings()) {
        self.service = service
        self.settings = settings
    }
}

/// A dependency's settings (envoy-control's `DependencySettings`): explicit values over the server's defaults.
public struct DependencySettings: Hashable, Sendable {
    public var timeoutPolicy: TimeoutPolicy
    public var handleInternalRedirect: Bool
    public var rewriteHostHeader: Bool
    /// nil: no retries.
    public var retryPolicy: RetryPolicy?
    public var routingPolicy: RoutingPolicy

    public init(
        timeoutPolicy: TimeoutPolicy = TimeoutPolicy(), handleInternalRedirect: Bool = false, rewriteHostHeader: Bool = false,
        retryPolicy: RetryPolicy? = nil, routingPolicy: RoutingPolicy = RoutingPolicy()
    ) {
        self.timeoutPolicy = timeoutPolicy
        self.handleInternalRedirect = handleInternalRedirect
        self.rewriteHostHeader = rewriteHostHeader
        self.retryPolicy = retryPolicy
        self.routingPolicy = routingPolicy
    }

    /// envoy-control's `routingPolicy`: with `autoServiceTag` (and the server's `autoServiceTagEnabled`), requests
    /// without `x-service-tag` go to the instances of the first tag of `serviceTagPreference` any instance has;
    /// when none has any, to any instance with `fallbackToAnyInstance`, else nowhere (503).
    public struct RoutingPolicy: Hashable, Sendable {
        public var autoServiceTag = false
        public var serviceTagPreference: [String] = []
        public var fallbackToAnyInstance = false

        public init(autoServiceTag: Bool = false, serviceTagPreference: [String] = [], fallbackToAnyInstance: Bool = false) {
            self.autoServiceTag = autoServiceTag
            self.serviceTagPreference = serviceTagPreference
            self.fallbackToAnyInstance = fallbackToAnyInstance
        }
    }

    public struct TimeoutPolicy: Hashable, Sendable {
        public var requestTimeout: Duration
        public var idleTimeout: Duration
        public var connectionIdleTimeout: Duration

        public init(requestTimeout: Duration = .seconds(120), idleTimeout: Duration = .seconds(120), connectionIdleTimeout: Duration = .seconds(120)) {
            self.requestTimeout = requestTimeout
            self.idleTimeout = idleTimeout
            self.connectionIdleTimeout = connectionIdleTimeout
        }
    }
}

/// envoy-control's `retryPolicy` of a dependency (and the server's default one).
public struct RetryPolicy: Hashable, Sendable {
    public var retryOn: [String]
    public var numberRetries: Int
    public var perTryTimeout: Duration?
    public var hostSelectionRetryMaxAttempts: Int?
    /// Envoy retry host predicate names (`envoy.retry_host_predicates.previous_hosts`).
    public var retryHostPredicates: [String]
    public var backOffBaseInterval: Duration?
    public var backOffMaxInterval: Duration?
    public var retriableStatusCodes: [Int]
    /// `rateLimitedRetryBackOff.resetHeaders`: the response headers (`Retry-After`) that say when to retry.
    public var resetHeaders: [ResetHeader]
    /// `retryableHeaders`: response headers that make a response retriable (with `retryOn: retriable-headers`).
    public var retriableHeaders: [String]
    /// `methods`: only requests of these methods are retried (nil: all).
    public var methods: [String]?

    public struct ResetHeader: Hashable, Sendable {
        public enum Format: String, Hashable, Sendable, CaseIterable {
            case seconds = "SECONDS"
            case unixTimestamp = "UNIX_TIMESTAMP"
        }

        public var name: String
        public var format: Format

        public init(name: String, format: Format) {
            self.name = name
            self.format = format
        }
    }

    public init(
        retryOn: [String] = [], numberRetries: Int = 1, perTryTimeout: Duration? = nil, hostSelectionRetryMaxAttempts: Int? = nil,
        retryHostPredicates: [String] = [], backOffBaseInterval: Duration? = nil, backOffMaxInterval: Duration? = nil,
        retriableStatusCodes: [Int] = [], resetHeaders: [ResetHeader] = [], retriableHeaders: [String] = [], methods: [String]? = nil
    ) {
        self.resetHeaders = resetHeaders
        self.retriableHeaders = retriableHeaders
        self.methods = methods
        self.retryOn = retryOn
        self.numberRetries = numberRetries
        self.perTryTimeout = perTryTimeout
        self.hostSelectionRetryMaxAttempts = hostSelectionRetryMaxAttempts
        self.retryHostPredicates = retryHostPredicates
        self.backOffBaseInterval = backOffBaseInterval
        self.backOffMaxInterval = backOffMaxInterval
        self.retriableStatusCodes = retriableStatusCodes
    }
}

extension [String] {
    /// Binary search in an array sorted in ascending order.
    fileprivate func sortedContains(_ name: String) -> Bool {
        var low = startIndex
        var high = endIndex
        while low < high {
            let middle = (low + high) / 2
            if self[middle] < name { low = middle + 1 } else { high = middle }
        }
        return low < endIndex && self[low] == name
    }
}
