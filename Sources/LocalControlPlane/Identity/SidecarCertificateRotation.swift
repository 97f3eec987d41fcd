import Foundation
import Logging
import ServiceLifecycle

/// Keeps the sidecar certificates fresh: on every tick it renews those past half their validity and, when the CA files
/// changed, re-issues all of them under the new CA. Envoys take the new secrets over SDS without restarting; a CA
/// file that fails to load keeps the running CA (logged), so a half-written rotation never stops issuance.
public struct SidecarCertificateRotation: Service {
    let cache: SnapshotCache
    let settings: SidecarCertificateSettings
    private let logger = Logger(label: "sidecar-certificates")

    public init(cache: SnapshotCache, settings: SidecarCertificateSettings) {
        self.cache = cache
        self.settings = settings
    }

    /// Often enough that a certificate is renewed well before it expires, at most every 30 s.
    var tick: Duration { min(max(settings.validity / 20, .milliseconds(500)), .seconds(30)) }

    public func run() async throws {
        var caFiles = files()
        while !Task.isShuttingDownGracefully {
            try await Task.sleep(for: tick)
            let current = files()
            if current != caFiles {
                caFiles = current
                do {
                    let authority = try SidecarCertificateAuthority.load(certificateFile: settings.caCert, privateKeyFile: settings.caKey)
                    logger.notice("certificate authority files changed: re-issuing every sidecar certificate")
                    await cache.replaceCertificateAuthority(authority)
                } catch {
                    logger.error("certificate authority files changed but do not load; the running CA stays", metadata: [
                        "problems": "\(error.problems.joined(separator: "; "))",
                    ])
                }
            }
            await cache.renewSidecarCertificates()
        }
    }

    private func files() -> [Data?] {
        [settings.caCert, settings.caKey].map { FileManager.default.contents(atPath: $0) }
    }
}
