import Shared

/// Who a caller is: envoy-control's `incoming-permissions.tls-authentication` and `source-ip-authentication`
/// properties, and when the service-name header is believed.
extension SnapshotProperties {
    /// When RBAC takes a caller's `serviceNameHeader` as its identity. A certificate's URI SAN is always believed.
    public enum ServiceNameHeaderTrust: String, Hashable, Sendable, CaseIterable {
        /// envoy-control's rule: only on requests addressed to the original-destination cluster
        /// (`:authority: envoy-original-destination`); every other caller needs a certificate.
        case originalDestination
        /// Any request's header: a plaintext mesh whose ingress ports only sidecars can reach. Anyone who reaches an
        /// ingress port directly can claim any name.
        case always
        /// Never: only certificates (and source addresses or ranges) identify callers.
        case never
    }

    /// Sidecar mTLS, in envoy-control's model: an Envoy whose bootstrap defines the secrets
    /// (`has_static_secrets_defined`) gets a TLS filter chain on its ingress and, towards instances tagged
    /// `mtlsEnabledTag`, clusters that present its certificate and check the peer's URI SAN.
    public struct TlsAuthenticationProperties: Hashable, Sendable {
        /// The services whose endpoints may list `*` (every caller) as a client.
        public var servicesAllowedToUseWildcard: Set<String> = []
        public var wildcardClientIdentifier = "*"
        /// The endpoint metadata key (under `envoy.transport_socket_match`) that selects the cluster's TLS socket.
        public var tlsContextMetadataMatchKey = "acceptMTLS"
        public var tlsProtocol = TlsProtocolProperties()  // the `protocol` key
        /// The ingress's TLS chain refuses a handshake without a client certificate (plaintext callers still reach
        /// the plaintext chain, where RBAC decides).
        public var requireClientCertificate = false
        /// The names of the secrets the bootstrap defines.
        public var validationContextSecretName = "validation_context"
        public var tlsCertificateSecretName = "server_cert"
        public var mtlsEnabledTag = "mtls:enabled"
        /// Every instance is treated as carrying `mtlsEnabledTag` (a mesh where every sidecar has a certificate).
        public var mtlsEnabledForAllServices = false
        /// What `*` matches in a certificate's service name.
        public var serviceNameWildcardRegex = ".+"
        /// The URI SAN of a service's certificate; `{service-name}` appears exactly once.
        public var sanUriFormat = "spiffe://{service-name}"

        public static let serviceNamePlaceholder = "{service-name}"

        /// The URI SAN a certificate of `service` carries.
        public func sanURI(of service: String) -> String {
            sanUriFormat.replacingOccurrences(of: Self.serviceNamePlaceholder, with: service)
        }

        /// A RE2 pattern matching the URI SAN of any service (for the `*` client).
        public var anyServiceSanPattern: String {
            let parts = sanUriFormat.components(separatedBy: Self.serviceNamePlaceholder)
            return RegexText.escaped(parts[0]) + serviceNameWildcardRegex + RegexText.escaped(parts.count > 1 ? parts[1] : "")
        }
    }

    /// envoy-control's `tls-authentication.protocol`: TLS 1.2 with two ECDHE AES-GCM suites.
    public struct TlsProtocolProperties: Hashable, Sendable {
        public var cipherSuites = ["ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256"]
        public var minimumVersion = TlsVersion.tls12
        public var maximumVersion = TlsVersion.tls12
    }

    /// Envoy's `TlsParameters.TlsProtocol` names.
    public enum TlsVersion: String, Hashable, Sendable, CaseIterable {
        case auto = "TLS_AUTO"
        case tls10 = "TLSv1_0"
        case tls11 = "TLSv1_1"
        case tls12 = "TLSv1_2"
        case tls13 = "TLSv1_3"
    }

    /// Callers identified by where they connect from: the instances of some services (as the catalog lists them,
    /// every DC) and named address ranges.
    public struct SourceIpAuthenticationProperties: Hashable, Sendable {
        /// `ipFromServiceDiscovery.enabledForIncomingServices`: a client entry naming one of these services is
        /// matched by its instances' addresses, not by certificate or header.
        public var enabledForIncomingServices: Set<String> = []
        /// `ipFromRange`: a client name standing for CIDR ranges (`10.0.0.0/8`).
        public var ipFromRange: [String: [CIDRRange]] = [:]
    }
}

/// An address range `address/prefix`, checked when read.
public struct CIDRRange: Hashable, Sendable {
    public var address: String
    public var prefixLength: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let length = Int(parts[1]) else { return nil }
        let address = String(parts[0])
        let maximum = IPAddressText.isIPv4(address) ? 32 : IPAddressText.isIPv6(address) ? 128 : -1
        guard (0...maximum).contains(length) else { return nil }
        self.address = address
        prefixLength = length
    }

    /// One host: /32 or /128.
    public init(host: String) {
        address = host
        prefixLength = IPAddressText.isIPv6(host) ? 128 : 32
    }
}

extension SnapshotProperties.TlsAuthenticationProperties: TableDecodedSettings {
    public static var defaults: Self { Self() }

    public static var settingFields: [SettingField<Self>] {
        [
            .value("servicesAllowedToUseWildcard", \.servicesAllowedToUseWildcard),
            .value("wildcardClientIdentifier", \.wildcardClientIdentifier),
            .value("tlsContextMetadataMatchKey", \.tlsContextMetadataMatchKey),
            .value("protocol", \.tlsProtocol),
            .value("requireClientCertificate", \.requireClientCertificate),
            .value("validationContextSecretName", \.validationContextSecretName),
            .value("tlsCertificateSecretName", \.tlsCertificateSecretName),
            .value("mtlsEnabledTag", \.mtlsEnabledTag),
            .value("mtlsEnabledForAllServices", \.mtlsEnabledForAllServices),
            .value("serviceNameWildcardRegex", \.serviceNameWildcardRegex),
            .value("sanUriFormat", \.sanUriFormat),
        ]
    }

    public mutating func check(_ keys: StrictSettings) throws {
        guard sanUriFormat.components(separatedBy: Self.serviceNamePlaceholder).count == 2 else {
            throw keys.invalid("sanUriFormat", "'\(sanUriFormat)' must contain \(Self.serviceNamePlaceholder) exactly once")
        }
    }
}

extension SnapshotProperties.TlsProtocolProperties: TableDecodedSettings {
    public static var defaults: Self { Self() }

    public static var settingFields: [SettingField<Self>] {
        [
            .value("cipherSuites", \.cipherSuites),
            .anyCase("minimumVersion", \.minimumVersion),
            .anyCase("maximumVersion", \.maximumVersion),
        ]
    }
}

extension SnapshotProperties.SourceIpAuthenticationProperties: Decodable {
    public init(from decoder: any Decoder) throws {
        self.init()
        let keys = try decoder.settings(known: ["ipFromServiceDiscovery", "ipFromRange"])
        if keys.container.contains(SettingKey("ipFromServiceDiscovery")) {
            try keys.container.superDecoder(forKey: SettingKey("ipFromServiceDiscovery")).settings(known: ["enabledForIncomingServices"])
                .set(&enabledForIncomingServices, "enabledForIncomingServices")
        }
        let ranges = try keys.container.decodeIfPresent([String: [String]].self, forKey: SettingKey("ipFromRange")) ?? [:]
        ipFromRange = try ranges.mapValues { texts in
            try texts.map { text in
                guard let range = CIDRRange(text) else { throw keys.invalid("ipFromRange", "'\(text)' is not an address range (like 10.0.0.0/8)") }
                return range
            }
        }
    }
}
