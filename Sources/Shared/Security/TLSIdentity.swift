import NIOSSL

/// This process's certificate, key and the CA that signs its peers (`--tls-cert/--tls-key/--tls-ca`).
/// Servers built from it refuse clients without a certificate signed by the CA; clients verify the
/// server's certificate against the same CA, host name included.
public struct TLSIdentity: Sendable {
    public let certificateFile: String
    public let privateKeyFile: String
    public let caFile: String
    public let certificateChain: [NIOSSLCertificate]
    public let privateKey: NIOSSLPrivateKey
    public let trustRoots: [NIOSSLCertificate]

    /// The config keys of the three files (`--tls-cert`, `--tls-key`, `--tls-ca`).
    public static let configKeys: Set<String> = ["tlsCert", "tlsKey", "tlsCa"]

    /// Loads and parses the three PEM files at start-up, so a bad file is a config error, not a failed handshake later.
    public init(certificateFile: String, privateKeyFile: String, caFile: String) throws(ConfigError) {
        var problems: [String] = []
        certificateChain = Self.certificates(certificateFile, key: "tlsCert", problems: &problems)
        trustRoots = Self.certificates(caFile, key: "tlsCa", problems: &problems)
        var key: NIOSSLPrivateKey?
        do {
            key = try NIOSSLPrivateKey(file: privateKeyFile, format: .pem)
        } catch {
            problems.append("tlsKey: \(privateKeyFile) is not a readable PEM private key (\(error))")
        }
        guard problems.isEmpty, let key else { throw ConfigError(problems: problems) }
        self.certificateFile = certificateFile
        self.privateKeyFile = privateKeyFile
        self.caFile = caFile
        privateKey = key
    }

    /// The identity a config names: none when no TLS key is set, a problem when only some are.
    public static func load(cert: String?, key: String?, ca: String?, problems: inout [String]) -> TLSIdentity? {
        switch (cert, key, ca) {
        case (nil, nil, nil):
            return nil
        case let (cert?, key?, ca?):
            do {
                return try TLSIdentity(certificateFile: cert, privateKeyFile: key, caFile: ca)
            } catch {
                problems += error.problems
                return nil
            }
        default:
            problems.append("tls: tlsCert, tlsKey and tlsCa go together (mTLS needs all three)")
            return nil
        }
    }

    /// For HTTP and gRPC servers: a client certificate signed by the CA is required.
    public var serverConfiguration: TLSConfiguration {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: certificateChain.map { .certificate($0) }, privateKey: .privateKey(privateKey))
        configuration.trustRoots = .certificates(trustRoots)
        configuration.certificateVerification = .noHostnameVerification
        return configuration
    }

    /// For HTTP clients: presents this certificate and checks the server's against the CA and the URL's host.
    public var clientConfiguration: TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateChain = certificateChain.map { .certificate($0) }
        configuration.privateKey = .privateKey(privateKey)
        configuration.trustRoots = .certificates(trustRoots)
        configuration.certificateVerification = .fullVerification
        return configuration
    }

    private static func certificates(_ file: String, key: String, problems: inout [String]) -> [NIOSSLCertificate] {
        do {
            let certificates = try NIOSSLCertificate.fromPEMFile(file)
            if certificates.isEmpty { problems.append("\(key): \(file) holds no PEM certificate") }
            return certificates
        } catch {
            problems.append("\(key): \(file) is not a readable PEM certificate file (\(error))")
            return []
        }
    }
}
