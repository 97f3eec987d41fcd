import Foundation
import Logging
import Metrics

/// The sidecar certificates this control plane issued: one per service whose Envoys take theirs over SDS, shared by
/// all of them and encoded once, renewed after half its validity. Services no connected Envoy needs are forgotten.
struct IssuedCertificates {
    private struct Entry {
        let issued: SidecarCertificateAuthority.Issued
        let secrets: [EncodedResource]
    }

    let settings: SidecarCertificateSettings
    private var authority: SidecarCertificateAuthority
    private let tls: SnapshotProperties.TlsAuthenticationProperties
    private var entries: [String: Entry] = [:]
    private let logger = Logger(label: "sidecar-certificates")
    private let issuedCounter = Counter(label: MetricNames.sidecarCertificates, dimensions: [(MetricNames.resultLabel, "issued")])
    private let failedCounter = Counter(label: MetricNames.sidecarCertificates, dimensions: [(MetricNames.resultLabel, "failed")])
    private let earliestExpiry = Gauge(label: MetricNames.sidecarCertificateExpiry)

    init(settings: SidecarCertificateSettings, authority: SidecarCertificateAuthority, tls: SnapshotProperties.TlsAuthenticationProperties) {
        self.settings = settings
        self.authority = authority
        self.tls = tls
    }

    /// The secrets of `service`, issuing its certificate if it has none yet. Empty only if signing failed (logged and
    /// counted): the Envoy's TLS listener and clusters then wait for the secret rather than run without it.
    mutating func secrets(for service: String, now: Date) -> [EncodedResource] {
        if let entry = entries[service] { return entry.secrets }
        issue(service, now: now)
        return entries[service]?.secrets ?? []
    }

    /// Re-issues every certificate past half its validity; returns the services whose secrets changed.
    mutating func renew(now: Date) -> Set<String> {
        let due = entries.filter { now >= $0.value.issued.notValidBefore.addingTimeInterval(60 + Self.seconds(settings.renewAfter)) }
        for service in due.keys { issue(service, now: now) }
        return Set(due.keys)
    }

    /// A new CA (its files changed): every certificate is re-issued under it, and sidecars get the new bundle.
    mutating func replace(_ newAuthority: SidecarCertificateAuthority, now: Date) -> Set<String> {
        authority = newAuthority
        for service in entries.keys { issue(service, now: now) }
        return Set(entries.keys)
    }

    /// Keeps only the services some group still needs, so a departed service's key is not kept and renewed forever.
    mutating func keep(only services: Set<String>) {
        entries = entries.filter { services.contains($0.key) }
        recordEarliestExpiry()
    }

    private mutating func issue(_ service: String, now: Date) {
        do {
            let issued = try authority.issue(commonName: service, uri: tls.sanURI(of: service), validity: settings.validity, now: now)
            let secrets = SecretGenerator.secrets(issued, trustBundlePEM: authority.trustBundlePEM, tls).map {
                EncodedResource(name: $0.name, message: $0, typeURL: ResourceType.secret.typeURL)
            }
            entries[service] = Entry(issued: issued, secrets: secrets)
            issuedCounter.increment()
            logger.info("sidecar certificate issued", metadata: [
                "service": "\(service)", "serial": "\(issued.serialNumber)", "notAfter": "\(issued.notValidAfter)",
            ])
        } catch {
            failedCounter.increment()
            logger.error("sidecar certificate could not be signed; the previous one stays in use", metadata: [
                "service": "\(service)", "error": "\(error)",
            ])
        }
        recordEarliestExpiry()
    }

    private func recordEarliestExpiry() {
        guard let earliest = entries.values.map(\.issued.notValidAfter).min() else { return }
        earliestExpiry.record(earliest.timeIntervalSince1970)
    }

    private static func seconds(_ duration: Duration) -> TimeInterval {
        TimeInterval(duration.components.seconds) + TimeInterval(duration.components.attoseconds) / 1e18
    }
}
