import Shared

/// `sidecarCertificates:` in the `--config` YAML: the control plane signs each service's sidecar certificate with this
/// CA and serves it over SDS, renewed before it expires (no restart of Envoy or the control plane). Envoys that define
/// their own secrets (`has_static_secrets_defined`) keep them.
public struct SidecarCertificateSettings: Decodable, Sendable, Equatable {
    /// PEM file: the signing CA's certificate first, then any CA still trusted during a CA rotation.
    public var caCert = ""
    /// PEM file: the signing CA's private key.
    public var caKey = ""
    /// How long each issued certificate is valid; it is renewed after half of it.
    public var validity: Duration = .seconds(24 * 3600)
    public var nodeAuthentication = NodeAuthentication.xdsClientCertificate

    /// How the control plane knows an Envoy is the service it claims to be before it hands it that service's key.
    public enum NodeAuthentication: String, Sendable, CaseIterable {
        /// The Envoy's xDS client certificate (`--tls-*` mTLS on the xDS port) carries the service's URI SAN: its
        /// bootstrap identity proves the service, and the control plane issues and rotates the short-lived ones.
        case xdsClientCertificate
        /// The node metadata's `service_name` is believed: only where nothing but the mesh's own Envoys can reach
        /// the xDS port. Anyone who can reach it gets any service's key.
        case nodeMetadata
    }

    public static let minimumValidity: Duration = .seconds(10)

    public init() {}

    public init(from decoder: any Decoder) throws {
        self.init()
        let keys = try decoder.settings(known: ["caCert", "caKey", "validity", "nodeAuthentication"])
        try keys.set(&caCert, "caCert")
        try keys.set(&caKey, "caKey")
        try keys.setDuration(&validity, "validity")
        try keys.setCase(&nodeAuthentication, "nodeAuthentication")
        if caCert.isEmpty || caKey.isEmpty { throw keys.invalid("caCert", "caCert and caKey are both required") }
        if validity < Self.minimumValidity { throw keys.invalid("validity", "at least 10s (certificates are renewed at half their validity)") }
    }

    /// When a certificate issued now is renewed: half its validity, as Istio's and Kuma's agents do.
    public var renewAfter: Duration { validity / 2 }
}

/// The sidecar-certificate settings with their CA, loaded.
public struct SidecarCertificateIssuer: Sendable {
    public let settings: SidecarCertificateSettings
    public let authority: SidecarCertificateAuthority

    public init(settings: SidecarCertificateSettings, authority: SidecarCertificateAuthority) {
        self.settings = settings
        self.authority = authority
    }
}
