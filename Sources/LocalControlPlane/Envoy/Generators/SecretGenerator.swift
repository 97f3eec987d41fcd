import EnvoyAPI

/// Builds SDS resources for an Envoy whose certificate this control plane issues: its service's certificate and key
/// under `tlsCertificateSecretName`, and the mesh CA bundle under `validationContextSecretName` — the same names a
/// bootstrap's static secrets use, so listeners and clusters are alike in both modes.
enum SecretGenerator {
    typealias Secret = Envoy_Extensions_TransportSockets_Tls_V3_Secret

    static func secrets(
        _ issued: SidecarCertificateAuthority.Issued, trustBundlePEM: String, _ properties: SnapshotProperties.TlsAuthenticationProperties
    ) -> [Secret] {
        var certificate = Secret()
        certificate.name = properties.tlsCertificateSecretName
        certificate.tlsCertificate.certificateChain.inlineString = issued.certificatePEM
        certificate.tlsCertificate.privateKey.inlineString = issued.privateKeyPEM
        var validation = Secret()
        validation.name = properties.validationContextSecretName
        validation.validationContext.trustedCa.inlineString = trustBundlePEM
        return [certificate, validation]
    }
}
