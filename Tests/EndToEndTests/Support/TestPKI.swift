import Crypto
import Foundation
import X509

/// A throwaway certificate authority made with the `openssl` command, issuing leaf certificates for the mTLS tests.
struct TestPKI {
    /// A PEM certificate, its key, and the CA file its holder trusts.
    struct Credentials {
        let certificate: String
        let key: String
        let ca: String

        /// The `--tls-*` flags of both executables.
        var flags: [String] { ["--tls-cert", certificate, "--tls-key", key, "--tls-ca", ca] }
    }

    let directory: URL
    let caCertificate: String
    let caKey: String

    init(name: String, directory: URL) throws {
        self.directory = directory.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
        caCertificate = self.directory.appendingPathComponent("ca.pem").path
        caKey = self.directory.appendingPathComponent("ca.key").path
        try Self.openssl([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
            "-subj", "/CN=\(name) test CA", "-keyout", caKey, "-out", caCertificate,
        ])
    }

    /// A certificate for both server and client use, with the given subject alternative names
    /// (`DNS:localhost`, `IP:127.0.0.1`, `URI:spiffe://…`); the holder trusts `trusting` (default: this CA).
    func issue(_ name: String, altNames: [String], trusting: String? = nil) throws -> Credentials {
        let base = directory.appendingPathComponent(name).path
        let extensions = base + ".ext"
        try """
            basicConstraints = CA:FALSE
            keyUsage = digitalSignature
            extendedKeyUsage = serverAuth, clientAuth
            subjectAltName = \(altNames.joined(separator: ", "))
            """.write(toFile: extensions, atomically: true, encoding: .utf8)
        try Self.openssl([
            "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=\(name)",
            "-keyout", base + ".key", "-out", base + ".csr",
        ])
        try Self.openssl([
            "x509", "-req", "-in", base + ".csr", "-CA", caCertificate, "-CAkey", caKey, "-CAcreateserial", "-days", "2",
            "-extfile", extensions, "-out", base + ".pem",
        ])
        return Credentials(certificate: base + ".pem", key: base + ".key", ca: trusting ?? caCertificate)
    }

    /// A certificate for `uri` valid for only `seconds` from now (openssl's shortest is a day), for expiry tests.
    func issueShortLived(_ name: String, uri: String, seconds: TimeInterval) throws -> Credentials {
        let ca = try Certificate(pemEncoded: String(contentsOfFile: caCertificate, encoding: .utf8))
        let signer = try Certificate.PrivateKey(pemEncoded: String(contentsOfFile: caKey, encoding: .utf8))
        let key = P256.Signing.PrivateKey()
        let certificate = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(key.publicKey),
            notValidBefore: Date().addingTimeInterval(-5), notValidAfter: Date().addingTimeInterval(seconds),
            issuer: ca.subject, subject: try DistinguishedName { CommonName(name) },
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                try ExtendedKeyUsage([.serverAuth, .clientAuth])
                SubjectAlternativeNames([.uniformResourceIdentifier(uri)])
            },
            issuerPrivateKey: signer)
        let base = directory.appendingPathComponent(name).path
        try (try certificate.serializeAsPEM().pemString + "\n").write(toFile: base + ".pem", atomically: true, encoding: .utf8)
        try (key.pemRepresentation + "\n").write(toFile: base + ".key", atomically: true, encoding: .utf8)
        return Credentials(certificate: base + ".pem", key: base + ".key", ca: caCertificate)
    }

    private static func openssl(_ arguments: [String]) throws {
        try TestEnvironment.runTool("/usr/bin/openssl", arguments)
    }
}
