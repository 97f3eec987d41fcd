import NIOCore
import NIOSSL
import X509

/// Who is at the other end of an xDS stream, as its TLS client certificate says (the URI SANs of the certificate the
/// handshake verified against `--tls-ca`); none without mTLS.
struct PeerIdentity: Sendable, Equatable {
    let uris: [String]

    static let anonymous = PeerIdentity(uris: [])

    init(uris: [String]) {
        self.uris = uris
    }

    /// The peer of an xDS connection: the certificate its TLS handler verified (run on the connection's event loop).
    init(connection: (any Channel)?) {
        guard let connection, let tls = try? connection.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self),
              let presented = tls.peerCertificate, let certificate = try? Certificate(derEncoded: presented.toDERBytes()),
              let names = try? certificate.extensions.subjectAlternativeNames
        else {
            self = .anonymous
            return
        }
        uris = names.compactMap { name in
            if case .uniformResourceIdentifier(let uri) = name { return uri }
            return nil
        }
    }

    /// Whether this peer may receive `service`'s sidecar certificate.
    func mayReceiveCertificate(
        of service: String, _ authentication: SidecarCertificateSettings.NodeAuthentication,
        _ tls: SnapshotProperties.TlsAuthenticationProperties
    ) -> Bool {
        switch authentication {
        case .nodeMetadata: true
        case .xdsClientCertificate: uris.contains(tls.sanURI(of: service))
        }
    }
}
