/// The server-side settings of generated Envoy resources, named after envoy-control's
/// `envoy-control.envoy.snapshot.*` properties and defaulting to envoy-control's values, so a fleet that ran
/// envoy-control with its defaults behaves the same here. Set under `snapshot:` in the `--config` YAML.
public struct SnapshotProperties: Hashable, Sendable {
    public var incomingPermissions = IncomingPermissionsProperties()
    public var outgoingPermissions = OutgoingPermissionsProperties()
    public var egress = EgressProperties()
    public var localService = LocalServiceProperties()
    public var ingress = IngressProperties()
    public var loadBalancing = LoadBalancingProperties()
    public var routes = RoutesProperties()
    public var routing = RoutingProperties()
    public var pathNormalization = PathNormalization()
    /// Dependencies every Envoy gets besides its own (envoy-control's `defaultDependencies`).
    public var defaultDependencies = DefaultDependencies()
    /// OAuth providers for endpoints that require tokens.
    public var jwt = JwtProperties()
    /// The retry policy of dependencies that set none.
    public var retryPolicy = RetryPolicyProperties()
    public var clusterOutlierDetection = ClusterOutlierDetectionProperties()
    public var compression = CompressionProperties()
    public var dynamicForwardProxy = DynamicForwardProxyProperties()
    public var enabledCommunicationModes = EnabledCommunicationModes()
    /// An Envoy without `service_name` (and `node.cluster`) is refused.
    public var requireServiceName = false
    /// The egress ignores `Upgrade: TLS/…` requests (HTTP/1.1 TLS upgrades it cannot proxy), on Envoy 1.34 and later.
    public var ignoreTLSUpgradeEnabled = false
    /// `dynamicListeners.enabled`: off, no Envoy gets listeners (every bootstrap brings static ones).
    public var dynamicListeners = DynamicListenersProperties()
    /// The connect timeout of service clusters, and of domain and JWKS clusters.
    public var edsConnectionTimeout: Duration = .seconds(2)
    public var staticClusterConnectionTimeout: Duration = .seconds(2)
    /// The CA bundle (a path on the Envoy's host) that https domain dependencies' and JWKS endpoints' certificates
    /// must chain to.
    public var trustedCaFile = "/etc/ssl/certs/ca-certificates.crt"
    /// The bootstrap's static cluster that reaches this control plane: the config source of EDS and RDS for Envoys
    /// that do not use ADS (`ads: false`).
    public var xdsClusterName = "envoy-control-xds"
    /// Non-ADS Envoys fetch EDS and RDS over delta xDS (`DELTA_GRPC`) instead of state of the world.
    public var deltaXdsEnabled = false
    /// TLS (and secured plaintext) transport sockets wrapped in Envoy's tap socket, recordable through admin `/tap`.
    public var tcpDumpsEnabled = true

    public init() {}

    public struct IncomingPermissionsProperties: Hashable, Sendable {
        /// Off: `proxy_settings.incoming.endpoints` are ignored and every caller is allowed (envoy-control's default).
        public var enabled = false
        /// The request header that names the calling service; egress routes set it when permissions are on.
        public var serviceNameHeader = "x-service-name"
        /// When RBAC believes `serviceNameHeader` rather than a certificate (see `ServiceNameHeaderTrust`).
        public var trustServiceNameHeader = ServiceNameHeaderTrust.originalDestination
        public var tlsAuthentication = TlsAuthenticationProperties()
        public var sourceIpAuthentication = SourceIpAuthenticationProperties()
        /// Clients every endpoint admits besides its own (monitoring, a debugging tool).
        public var clientsAllowedToAllEndpoints: [String] = []
        public var clientsLists = ClientsListsProperties()
        /// `selectorMatching.<client>.header`: a source-IP client written `client:selector` also needs this request
        /// header to equal the selector (`client:!selector`: to differ from it).
        public var selectorMatching: [String: SelectorMatching] = [:]
    }

    public struct SelectorMatching: Hashable, Sendable {
        public var header = ""
    }

    /// Named client lists: an endpoint's client naming a custom list stands for the list's clients; an endpoint
    /// that names none of them also admits `defaultClientsList`.
    public struct ClientsListsProperties: Hashable, Sendable {
        public var defaultClientsList: [String] = []
        public var customClientsLists: [String: [String]] = [:]
    }

    public struct OutgoingPermissionsProperties: Hashable, Sendable {
        /// Off: every Envoy may call every service, as if it depended on `service: "*"` (envoy-control's default).
        public var enabled = false
        /// The services that may depend on `service: "*"` while outgoing permissions are on.
        public var servicesAllowedToUseWildcard: Set<String> = []
        public var allServicesDependencies = AllServicesDependenciesProperties()
    }

    /// `allServicesDependencies`: the dependency name that means every service, and the services it leaves out.
    public struct AllServicesDependenciesProperties: Hashable, Sendable {
        public var identifier = "*"
        /// Services whose name starts with one of these are never part of "every service".
        public var notIncludedByPrefix: [String] = []
    }

    /// `enabledCommunicationModes`: an Envoy in a mode switched off is refused (its metadata names the mode).
    public struct EnabledCommunicationModes: Hashable, Sendable {
        public var ads = true
        public var xds = true
    }

    public struct EgressProperties: Hashable, Sendable {
        /// The status of a call whose Host header names no dependency.
        public var clusterNotFoundStatusCode = 503
        /// A service that disappears keeps its (then empty) cluster in the snapshots of the Envoys that had it, so a
        /// dependency that comes back later, or the registry's brief mistake, never makes Envoy drain the cluster.
        public var neverRemoveClusters = true
        public var commonHttp = CommonHttpProperties()
        public var hostHeaderRewriting = HostHeaderRewritingProperties()
        /// Request headers the egress drops before they leave.
        public var headersToRemove: [String] = []
        public var http2 = Http2Properties()
        /// Dependencies that do not say `handleInternalRedirect` follow redirects when this is on.
        public var handleInternalRedirect = false
        /// Suffixes a service is also reachable under (`backend` + `.service.consul`).
        public var domains: [String] = []
    }

    /// With `enabled`, a service whose every instance carries `tagName` (its sidecar) is called over HTTP/2.
    public struct Http2Properties: Hashable, Sendable {
        public var enabled = true
        public var tagName = "envoy"
    }

    /// With `enabled`, a dependency's `rewriteHostHeader: true` sets the upstream Host from this request header.
    public struct HostHeaderRewritingProperties: Hashable, Sendable {
        public var enabled = false
        public var customHostHeader = "x-envoy-original-host"
    }

    public struct CommonHttpProperties: Hashable, Sendable {
        public var requestTimeout: Duration = .seconds(120)
        public var idleTimeout: Duration = .seconds(120)
        public var connectionIdleTimeout: Duration = .seconds(120)
        public var circuitBreakers = CircuitBreakerProperties()
    }

    public struct IngressProperties: Hashable, Sendable {
        /// Request headers the ingress drops before the local service sees them.
        public var headersToRemove: [String] = []
        public var addServiceNameHeaderToResponse = false
        public var addRequestedAuthorityHeaderToResponse = false
        public var serviceNameHeader = "x-service-name"
        public var requestedAuthorityHeader = "x-requested-authority"
    }

    public struct LocalServiceProperties: Hashable, Sendable {
        public var responseTimeout: Duration = .seconds(15)
        public var idleTimeout: Duration = .seconds(60)
        public var connectionIdleTimeout: Duration = .seconds(120)
        /// Retries towards the local service: `default` on every request, `perHttpMethod` for requests of a method.
        public var retryPolicy = LocalRetryPolicies()
    }

    public struct LocalRetryPolicies: Hashable, Sendable {
        public var `default` = LocalRetryPolicy()
        public var perHttpMethod: [String: LocalRetryPolicy] = [:]
    }

    /// envoy-control's `LocalRetryPolicyProperties`.
    public struct LocalRetryPolicy: Hashable, Sendable {
        public var enabled = false
        public var retryOn: [String] = []
        public var numRetries = 1
        /// Zero: Envoy's default (the route timeout).
        public var perTryTimeout: Duration = .zero
        public var hostSelectionRetryMaxAttempts = 1
        public var retriableStatusCodes: [Int] = []

        /// The same policy in the form egress routes use, so both directions build Envoy's retry policy one way.
        var policy: RetryPolicy {
            RetryPolicy(
                retryOn: retryOn, numberRetries: numRetries, perTryTimeout: perTryTimeout > .zero ? perTryTimeout : nil,
                hostSelectionRetryMaxAttempts: hostSelectionRetryMaxAttempts, retriableStatusCodes: retriableStatusCodes)
        }
    }

    public struct LoadBalancingProperties: Hashable, Sendable {
        public var policy = LoadBalancingPolicy.leastRequest
        public var canary = CanaryProperties()
        /// `weights.enabled`: instances' weights (`weight:N`, Consul's `Weights.Passing`) reach Envoy; off, all weigh 1.
        public var weights = WeightsProperties()
    }

    public struct WeightsProperties: Hashable, Sendable {
        public var enabled = true
    }

    public enum LoadBalancingPolicy: String, Hashable, Sendable, CaseIterable {
        case leastRequest = "LEAST_REQUEST"
        case roundRobin = "ROUND_ROBIN"
        case random = "RANDOM"
    }

    public struct CanaryProperties: Hashable, Sendable {
        /// On: a request with `x-canary: <headerValue>` goes to the instances tagged `canary` (any instance when there
        /// is none); every other request goes to any instance, canaries included.
        public var enabled = false
        public var metadataKey = "canary"
        public var headerValue = "1"
    }

    public struct RoutingProperties: Hashable, Sendable {
        public var serviceTags = ServiceTagsProperties()
    }

    public struct RoutesProperties: Hashable, Sendable {
        public var status = StatusRouteProperties()
    }

    /// Separate ingress routes for the service's status endpoints (high routing priority, their own stats).
    public struct StatusRouteProperties: Hashable, Sendable {
        public var enabled = false
        public var endpoints: [PathMatch] = [.prefix("/status/")]
        public var createVirtualCluster = false
        /// The services whose status endpoints get routes of their own at high priority (`*`: every service).
        public var separatedRouteWhiteList: [String] = []

        func separatesRoutes(of service: String) -> Bool {
            separatedRouteWhiteList.contains("*") || separatedRouteWhiteList.contains(service)
        }
    }

    /// envoy-control's default retry policy: on, but with no `retryOn` condition, so nothing is retried until a
    /// dependency (or this property) names one.
    public struct RetryPolicyProperties: Hashable, Sendable {
        public var enabled = true
        public var retryOn: [String] = []
        public var numberOfRetries = 1
        public var hostSelectionRetryMaxAttempts = 3
        public var retryHostPredicate = ["envoy.retry_host_predicates.previous_hosts"]
        public var retryBackOffBaseInterval: Duration = .milliseconds(25)
        /// `rateLimitedRetryBackOff.resetHeaders`: envoy-control's `Retry-After` in seconds.
        public var resetHeaders = [RetryPolicy.ResetHeader(name: "Retry-After", format: .seconds)]

        var policy: RetryPolicy? {
            guard enabled else { return nil }
            return RetryPolicy(
                retryOn: retryOn, numberRetries: numberOfRetries, hostSelectionRetryMaxAttempts: hostSelectionRetryMaxAttempts,
                retryHostPredicates: retryHostPredicate, backOffBaseInterval: retryBackOffBaseInterval,
                backOffMaxInterval: retryBackOffBaseInterval * 10, resetHeaders: resetHeaders)
        }
    }

    public struct DefaultDependencies: Hashable, Sendable {
        public var services: [String] = []
        /// `http(s)://host[:port]`, as `domain` dependencies.
        public var domains: [String] = []
    }
}

/// How the ingress normalizes request paths before routing and RBAC (envoy-control's `pathNormalization`; per Envoy
/// `path_normalization` and `proxy_settings.incoming.pathNormalizationPolicy`).
public struct PathNormalization: Hashable, Sendable {
    public var enabled = true
    public var mergeSlashes = true
    public var pathWithEscapedSlashesAction = EscapedSlashesAction.keepUnchanged

    public init() {}

    /// Envoy's `PathWithEscapedSlashesAction` names.
    public enum EscapedSlashesAction: String, Hashable, Sendable, CaseIterable {
        case implementationSpecificDefault = "IMPLEMENTATION_SPECIFIC_DEFAULT"
        case keepUnchanged = "KEEP_UNCHANGED"
        case rejectRequest = "REJECT_REQUEST"
        case unescapeAndRedirect = "UNESCAPE_AND_REDIRECT"
        case unescapeAndForward = "UNESCAPE_AND_FORWARD"
    }
}

/// How a route or permission matches a request path (envoy-control's `path`, `pathPrefix`, `pathRegex`).
public enum PathMatch: Hashable, Sendable {
    case exact(String)
    case prefix(String)
    case regex(String)
}
