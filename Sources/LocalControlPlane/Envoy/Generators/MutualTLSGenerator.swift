import EnvoyAPI
import SwiftProtobuf

/// Sidecar mTLS as envoy-control builds it. Resources refer to the certificate and trusted CA by the secret names of
/// `tlsAuthentication`: static secrets of the Envoy's bootstrap, or secrets this control plane serves over SDS
/// (`SecretGenerator`). Clusters present the sidecar's certificate to
/// instances whose endpoint metadata accepts mTLS and check that the peer's URI SAN names the service; the ingress
/// gets a TLS filter chain beside the plaintext one, chosen by the TLS inspector.
enum MutualTLSGenerator {
    static let transportSocketMatchNamespace = "envoy.transport_socket_match"
    static let tlsSocketName = "envoy.transport_sockets.tls"
    static let tlsInspectorName = "envoy.filters.listener.tls_inspector"
    /// The ingress TLS chain's HTTP stats prefix (envoy-control's: `http.ingress_https.*`).
    static let ingressStatPrefix = "ingress_https"

    typealias Properties = SnapshotProperties.TlsAuthenticationProperties
    private typealias CommonTlsContext = Envoy_Extensions_TransportSockets_Tls_V3_CommonTlsContext

    /// The endpoint metadata that selects a cluster's TLS socket, for instances that accept mTLS.
    static func endpointMatch(_ properties: Properties) -> Google_Protobuf_Struct {
        var fields = Google_Protobuf_Struct()
        fields.fields[properties.tlsContextMetadataMatchKey] = Google_Protobuf_Value(boolValue: true)
        return fields
    }

    static func acceptsMutualTLS(tags: [String], _ properties: Properties) -> Bool {
        properties.mtlsEnabledForAllServices || tags.contains(properties.mtlsEnabledTag)
    }

    /// TLS towards endpoints whose metadata accepts mTLS (peer must be `service`), plaintext towards the rest.
    /// Where Envoy looks the secrets up: nil config source = its bootstrap's static secrets.
    struct SecretSource {
        let config: Envoy_Config_Core_V3_ConfigSource?

        init(_ certificate: ProxyProfile.CertificateSource, mode: ProxyProfile.CommunicationMode, _ properties: SnapshotProperties) {
            switch certificate {
            case .bootstrap: config = nil
            case .controlPlane: config = EnvoyValues.configSource(mode, properties)
            }
        }
    }

    /// `tap`: envoy-control's `tcpDumpsEnabled` (config ids `<service>_tap`, `plaintext_<service>_tap`).
    static func transportSocketMatches(
        service: String, secrets: SecretSource, _ properties: Properties, tap: Bool = false
    ) -> [Envoy_Config_Cluster_V3_Cluster.TransportSocketMatch] {
        var validation = Envoy_Extensions_TransportSockets_Tls_V3_CertificateValidationContext()
        var san = Envoy_Extensions_TransportSockets_Tls_V3_SubjectAltNameMatcher()
        san.sanType = .uri
        san.matcher.exact = properties.sanURI(of: service)
        validation.matchTypedSubjectAltNames = [san]
        var context = commonContext(secrets, properties)
        context.combinedValidationContext.defaultValidationContext = validation
        context.combinedValidationContext.validationContextSdsSecretConfig = secret(properties.validationContextSecretName, secrets)
        var upstream = Envoy_Extensions_TransportSockets_Tls_V3_UpstreamTlsContext()
        upstream.commonTlsContext = context

        var tls = Envoy_Config_Cluster_V3_Cluster.TransportSocketMatch()
        tls.name = "mtls_match"
        tls.match = endpointMatch(properties)
        tls.transportSocket.name = tlsSocketName
        tls.transportSocket.typedConfig = EnvoyValues.typedConfig(upstream)
        var plaintext = Envoy_Config_Cluster_V3_Cluster.TransportSocketMatch()
        plaintext.name = "plaintext_match"
        plaintext.transportSocket.name = "envoy.transport_sockets.raw_buffer"
        plaintext.transportSocket.typedConfig = EnvoyValues.typedConfig(Envoy_Extensions_TransportSockets_RawBuffer_V3_RawBuffer())
        tls.transportSocket = TapGenerator.wrap(tls.transportSocket, configID: "\(service)_tap", enabled: tap)
        plaintext.transportSocket = TapGenerator.wrap(plaintext.transportSocket, configID: "plaintext_\(service)_tap", enabled: tap)
        return [tls, plaintext]
    }

    /// The ingress's TLS socket: the sidecar's certificate, client certificates checked against the trusted CA.
    static func downstreamSocket(secrets: SecretSource, _ properties: Properties, tap: Bool = false) -> Envoy_Config_Core_V3_TransportSocket {
        var context = commonContext(secrets, properties)
        context.validationContextSdsSecretConfig = secret(properties.validationContextSecretName, secrets)
        var downstream = Envoy_Extensions_TransportSockets_Tls_V3_DownstreamTlsContext()
        downstream.commonTlsContext = context
        downstream.requireClientCertificate = .init(properties.requireClientCertificate)
        var socket = Envoy_Config_Core_V3_TransportSocket()
        socket.name = tlsSocketName
        socket.typedConfig = EnvoyValues.typedConfig(downstream)
        return TapGenerator.wrap(socket, configID: "downstream_tap", enabled: tap)
    }

    static let tlsInspector: Envoy_Config_Listener_V3_ListenerFilter = {
        var filter = Envoy_Config_Listener_V3_ListenerFilter()
        filter.name = tlsInspectorName
        filter.typedConfig = EnvoyValues.typedConfig(Envoy_Extensions_Filters_Listener_TlsInspector_V3_TlsInspector())
        return filter
    }()

    /// The certificate's URI SAN of `service` (a regex over every service's for the wildcard client).
    static func principal(_ service: String, _ properties: Properties) -> Envoy_Config_Rbac_V3_Principal {
        var principal = Envoy_Config_Rbac_V3_Principal()
        if service == properties.wildcardClientIdentifier {
            principal.authenticated.principalName.safeRegex.regex = properties.anyServiceSanPattern
        } else {
            principal.authenticated.principalName.exact = properties.sanURI(of: service)
        }
        return principal
    }

    private static func commonContext(_ secrets: SecretSource, _ properties: Properties) -> CommonTlsContext {
        var context = CommonTlsContext()
        context.tlsParams.tlsMinimumProtocolVersion = tlsVersion(properties.tlsProtocol.minimumVersion)
        context.tlsParams.tlsMaximumProtocolVersion = tlsVersion(properties.tlsProtocol.maximumVersion)
        context.tlsParams.cipherSuites = properties.tlsProtocol.cipherSuites
        context.tlsCertificateSdsSecretConfigs = [secret(properties.tlsCertificateSecretName, secrets)]
        return context
    }

    /// A secret by name, from the bootstrap (no config source) or over SDS.
    private static func secret(_ name: String, _ source: SecretSource) -> Envoy_Extensions_TransportSockets_Tls_V3_SdsSecretConfig {
        var config = Envoy_Extensions_TransportSockets_Tls_V3_SdsSecretConfig()
        config.name = name
        if let sds = source.config { config.sdsConfig = sds }
        return config
    }

    private static func tlsVersion(_ version: SnapshotProperties.TlsVersion) -> Envoy_Extensions_TransportSockets_Tls_V3_TlsParameters.TlsProtocol {
        switch version {
        case .auto: .tlsAuto
        case .tls10: .tlsv10
        case .tls11: .tlsv11
        case .tls12: .tlsv12
        case .tls13: .tlsv13
        }
    }
}
