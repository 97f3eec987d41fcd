import Logging
import Metrics
import NIOCertificateReloading
import NIOSSL

/// This process's certificate, key and the CA that signs its peers (`--tls-cert/--tls-key/--tls-ca`).
/// Servers built from it refuse clients without a certificate signed by the CA; clients verify the
/// server's certificate against the same CA, host name included. The certificate and key are re-read every
/// `reloadInterval` (`--tls-reload-interval`), so a renewed pair is used for new connections without a restart; a pair
/// that fails to load or does not match keeps the last good one in use. The CA bundle is read at start.
public struct TLSIdentity: Sendable {
    public let certificateFile: String
    public let privateKeyFile: String
    public let caFile: String
    public let certificateChain: [NIOSSLCertificate]
    public let privateKey: NIOSSLPrivateKey
    public let trustRoots: [NIOSSLCertificate]
    /// Keeps the certificate and key current; a lifecycle `Service` the executables run.
    public let reloader: TimedCertificateReloader

    /// The config keys of the three files (`--tls-cert`, `--tls-key`, `--tls-ca`).
    public static let configKeys: Set<String> = ["tlsCert", "tlsKey", "tlsCa"]
    public static let defaultReloadInterval: Duration = .seconds(30)

    /// Loads and parses the three PEM files at start-up, so a bad file is a config error, not a failed handshake later.
    public init(
        certificateFile: String, privateKeyFile: String, caFile: String, reloadInterval: Duration = Self.defaultReloadInterval
    ) throws(ConfigError) {
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
        do {
            reloader = try Self.reloader(certificateFile: certificateFile, privateKeyFile: privateKeyFile, every: reloadInterval)
        } catch {
            throw ConfigError(problems: ["tlsKey: \(privateKeyFile) does not go with \(certificateFile) (\(error))"])
        }
        self.certificateFile = certificateFile
        self.privateKeyFile = privateKeyFile
        self.caFile = caFile
        privateKey = key
    }

    /// The identity a config names: none when no TLS key is set, a problem when only some are.
    public static func load(
        cert: String?, key: String?, ca: String?, reloadInterval: String? = nil, problems: inout [String]
    ) -> TLSIdentity? {
        var interval = defaultReloadInterval
        if let reloadInterval {
            if let value = DurationText.parse(reloadInterval), value >= .seconds(1) {
                interval = value
            } else {
                problems.append("tlsReloadInterval: '\(reloadInterval)' is not a duration of at least 1s (e.g. 30s, 5m)")
            }
        }
        switch (cert, key, ca) {
        case (nil, nil, nil):
            return nil
        case let (cert?, key?, ca?):
            do {
                return try TLSIdentity(certificateFile: cert, privateKeyFile: key, caFile: ca, reloadInterval: interval)
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
        configuration.setCertificateReloader(reloader)
        configuration.trustRoots = .certificates(trustRoots)
        configuration.certificateVerification = .noHostnameVerification
        return configuration
    }

    /// For HTTP clients: presents this certificate and checks the server's against the CA and the URL's host.
    public var clientConfiguration: TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateChain = certificateChain.map { .certificate($0) }
        configuration.privateKey = .privateKey(privateKey)
        configuration.setCertificateReloader(reloader)
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

    private static func reloader(certificateFile: String, privateKeyFile: String, every interval: Duration) throws -> TimedCertificateReloader {
        let logger = Logger(label: "tls")
        let reloads = Counter(label: "tls_certificate_reloads_total", dimensions: [("result", "loaded")])
        let failures = Counter(label: "tls_certificate_reloads_total", dimensions: [("result", "failed")])
        let configuration = TimedCertificateReloader.Configuration(
            refreshInterval: interval,
            certificateSource: .init(location: .file(path: certificateFile), format: .pem),
            privateKeySource: .init(location: .file(path: privateKeyFile), format: .pem)
        ) { configuration in
            configuration.onCertificateLoaded = { diff in
                // Every read reports; only a different certificate is news.
                guard diff.previousX509CertificateChain != nil, diff.previousX509CertificateChain != diff.currentX509CertificateChain else { return }
                reloads.increment()
                logger.notice("TLS certificate reloaded; new connections use it", metadata: [
                    "file": "\(certificateFile)", "notAfter": "\(diff.currentX509CertificateChain.first?.notValidAfter.description ?? "?")",
                ])
            }
            configuration.onCertificateLoadFailed = { failure in
                failures.increment()
                logger.warning("TLS certificate reload failed; the last good certificate stays in use", metadata: [
                    "file": "\(certificateFile)", "error": "\(failure.error)",
                ])
            }
        }
        return try TimedCertificateReloader.makeReloaderValidatingSources(configuration: configuration)
    }
}
