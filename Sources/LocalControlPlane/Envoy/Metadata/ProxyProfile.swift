import Shared
import Synchronization

/// What one Envoy asked for through its node metadata (envoy-control's keys), with the server's defaults already
/// applied. Envoys with equal profiles share one snapshot group, so only settings that change generated resources
/// belong here (never the node id). Collections are kept sorted, so equal requests make equal profiles.
public struct ProxyProfile: Hashable, Sendable {
    public var serviceName: String
    /// `ads: true`: everything over one ADS stream; otherwise EDS and RDS are fetched from the bootstrap's
    /// `envoy-control-xds` cluster over separate streams, and resources must point there.
    public var communicationMode: CommunicationMode
    /// The ingress and egress listeners; nil for a bootstrap with static listeners (envoy-control creates dynamic
    /// listeners only when all of `ingress_host`, `ingress_port`, `egress_host` and `egress_port` are given).
    public var listeners: ListenersConfig?
    public var incoming: Incoming
    public var outgoing: Outgoing
    /// The ingress's path normalization: the server's, then `path_normalization`, then the incoming policy.
    public var pathNormalization = PathNormalization()
    /// The control plane issues this Envoy its service's certificate over SDS (`sidecarCertificates`); set by the
    /// stream once the Envoy proved it is the service, never from metadata alone.
    public var issuedCertificate = false
    /// The egress's response (and request) compressors.
    public var compression = CompressionSettings()

    public init(
        serviceName: String, communicationMode: CommunicationMode = .ads, listeners: ListenersConfig? = nil,
        incoming: Incoming = Incoming(), outgoing: Outgoing = Outgoing()
    ) {
        self.serviceName = serviceName
        self.communicationMode = communicationMode
        self.listeners = listeners
        self.incoming = incoming
        self.outgoing = outgoing
    }

    public enum CommunicationMode: String, Hashable, Sendable {
        case ads
        case xds
    }

    /// Where the Envoy's certificate comes from; nil: it has none.
    public enum CertificateSource: Hashable, Sendable {
        /// Static secrets in its bootstrap (`has_static_secrets_defined`), envoy-control's mode.
        case bootstrap
        /// SDS from this control plane, which signs and renews it.
        case controlPlane
    }

    public var certificate: CertificateSource? {
        if listeners?.hasStaticSecretsDefined == true { return .bootstrap }
        return issuedCertificate && listeners != nil ? .controlPlane : nil
    }

    /// The Envoy has a certificate: its ingress takes TLS and its clusters use mTLS towards instances that accept it.
    public var mutualTLS: Bool { certificate != nil }

    /// A short stable name for the group of Envoys sharing this profile (logs, metrics, `/debug/envoys`).
    /// Costs about a millisecond (`String(reflecting:)` of the whole profile): `SnapshotCache` computes it once per
    /// group and hands it to each stream with its watch.
    public var groupId: String {
        var hash = ContentHash()
        hash.add(String(reflecting: self))
        return "\(serviceName.isEmpty ? "-" : serviceName)-\(hash.hex.prefix(8))"
    }
}

public struct ListenerAddress: Hashable, Sendable {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }
}

/// envoy-control's listener keys: where the two listeners bind and how their HTTP connection managers behave.
public struct ListenersConfig: Hashable, Sendable {
    public var ingress: ListenerAddress
    public var egress: ListenerAddress
    public var useRemoteAddress = false
    public var generateRequestId = false
    public var preserveExternalRequestId = false
    public var addUpstreamExternalAddressHeader = false
    public var accessLog = AccessLogSettings()
    /// `has_static_secrets_defined`: the bootstrap defines the sidecar's certificate and trusted CA as static
    /// secrets (`server_cert`, `validation_context`), so the ingress accepts TLS and clusters may use mTLS.
    public var hasStaticSecretsDefined = false
    /// The Envoy is new enough for `ignore_http_11_upgrade` (1.34) and the JWT filter's failure status (1.26).
    public var ignoreHttp11Upgrades = false
    public var jwtFailureStatus = false

    public init(ingress: ListenerAddress, egress: ListenerAddress) {
        self.ingress = ingress
        self.egress = egress
    }
}

/// `access_log_enabled`, `access_log_path` and `access_log_filter`.
public struct AccessLogSettings: Hashable, Sendable {
    public var enabled = false
    public var path = "/dev/stdout"
    public var filter: AccessLogFilterSpec?

    public init(enabled: Bool = false, path: String = "/dev/stdout", filter: AccessLogFilterSpec? = nil) {
        self.enabled = enabled
        self.path = path
        self.filter = filter
    }
}

/// `compression: {gzip: {enabled, quality}, brotli: {enabled, quality}}`, over the server's `compression` defaults.
public struct CompressionSettings: Hashable, Sendable {
    public struct Compressor: Hashable, Sendable {
        public var enabled: Bool
        public var quality: Int
    }

    public var gzip: Compressor
    public var brotli: Compressor

    /// zlib's levels 1-9 (envoy-control passes the number as Envoy's `CompressionLevel`).
    public static let gzipLevels = 1...9
    public static let brotliLevels = 0...11

    public init(_ defaults: SnapshotProperties.CompressionProperties = .init()) {
        gzip = Compressor(enabled: defaults.gzip.enabled, quality: defaults.gzip.quality)
        brotli = Compressor(enabled: defaults.brotli.enabled, quality: defaults.brotli.quality)
    }
}
