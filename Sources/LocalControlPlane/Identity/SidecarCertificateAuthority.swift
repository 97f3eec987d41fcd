import Crypto
import Foundation
import Shared
import X509

/// The mesh CA the control plane signs sidecar certificates with (`sidecarCertificates.caCert`/`caKey`), as Kuma's
/// and Istio's built-in CAs do: each service gets a fresh P-256 key and a short-lived certificate whose URI SAN is the
/// service's identity. The CA file may hold several certificates (the signing one first, then CAs being rotated out):
/// all of them are what sidecars trust.
public struct SidecarCertificateAuthority: Sendable {
    /// One certificate the CA issued, with its key, as Envoy's secrets carry them.
    public struct Issued: Sendable, Equatable {
        public let certificatePEM: String
        public let privateKeyPEM: String
        public let notValidBefore: Date
        public let notValidAfter: Date
        public let serialNumber: String
    }

    private let certificate: Certificate
    private let privateKey: Certificate.PrivateKey
    /// Every certificate of the CA file, PEM: the `validation_context` sidecars receive.
    public let trustBundlePEM: String

    public init(certificatePEM: String, privateKeyPEM: String) throws(ConfigError) {
        let certificates: [Certificate]
        do {
            certificates = try Self.pemBlocks(certificatePEM).map { try Certificate(pemEncoded: $0) }
        } catch {
            throw ConfigError(problems: ["sidecarCertificates.caCert: not a PEM certificate (\(error))"])
        }
        guard let signing = certificates.first else {
            throw ConfigError(problems: ["sidecarCertificates.caCert: holds no certificate"])
        }
        let key: Certificate.PrivateKey
        do {
            key = try Certificate.PrivateKey(pemEncoded: privateKeyPEM)
        } catch {
            throw ConfigError(problems: ["sidecarCertificates.caKey: not a PEM private key (\(error))"])
        }
        guard key.publicKey == signing.publicKey else {
            throw ConfigError(problems: ["sidecarCertificates.caKey: is not the key of the first certificate in caCert"])
        }
        guard Self.isAuthority(signing) else {
            throw ConfigError(problems: ["sidecarCertificates.caCert: the first certificate is not a CA (basicConstraints CA:TRUE)"])
        }
        certificate = signing
        privateKey = key
        trustBundlePEM = certificatePEM.hasSuffix("\n") ? certificatePEM : certificatePEM + "\n"
    }

    /// Reads the two PEM files.
    public static func load(certificateFile: String, privateKeyFile: String) throws(ConfigError) -> SidecarCertificateAuthority {
        var problems: [String] = []
        let certificate = read(certificateFile, key: "caCert", problems: &problems)
        let key = read(privateKeyFile, key: "caKey", problems: &problems)
        guard let certificate, let key else { throw ConfigError(problems: problems) }
        return try SidecarCertificateAuthority(certificatePEM: certificate, privateKeyPEM: key)
    }

    /// A new key and a certificate for `uri` (the service's SAN), valid from a minute ago (clock skew between hosts)
    /// for `validity`, for both server and client use.
    public func issue(commonName: String, uri: String, validity: Duration, now: Date = Date()) throws -> Issued {
        let key = P256.Signing.PrivateKey()
        let serial = Certificate.SerialNumber()
        let notValidAfter = now.addingTimeInterval(TimeInterval(validity.components.seconds))
        let leaf = try Certificate(
            version: .v3, serialNumber: serial, publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-60), notValidAfter: notValidAfter,
            issuer: certificate.subject,
            subject: try DistinguishedName { CommonName(String(commonName.prefix(64))) },
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
                try ExtendedKeyUsage([.serverAuth, .clientAuth])
                Critical(SubjectAlternativeNames([.uniformResourceIdentifier(uri)]))
            },
            issuerPrivateKey: privateKey)
        return Issued(
            certificatePEM: try leaf.serializeAsPEM().pemString + "\n", privateKeyPEM: key.pemRepresentation + "\n",
            notValidBefore: leaf.notValidBefore, notValidAfter: notValidAfter, serialNumber: serial.description)
    }

    /// Each `-----BEGIN CERTIFICATE-----` … `-----END CERTIFICATE-----` block of a bundle.
    private static func pemBlocks(_ text: String) -> [String] {
        let end = "-----END CERTIFICATE-----"
        return text.components(separatedBy: end).compactMap { part in
            guard let begin = part.range(of: "-----BEGIN CERTIFICATE-----") else { return nil }
            return String(part[begin.lowerBound...]) + end
        }
    }

    private static func isAuthority(_ certificate: Certificate) -> Bool {
        if case .isCertificateAuthority = try? certificate.extensions.basicConstraints { return true }
        return false
    }

    private static func read(_ file: String, key: String, problems: inout [String]) -> String? {
        do {
            return try String(contentsOfFile: file, encoding: .utf8)
        } catch {
            problems.append("sidecarCertificates.\(key): \(file) cannot be read (\(error.localizedDescription))")
            return nil
        }
    }
}
