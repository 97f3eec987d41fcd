import Foundation
import Testing

/// Certificates that change while everything keeps running: sidecar certificates the control plane issues over SDS
/// and renews, and the control plane's own xDS certificate replaced on disk. Real Envoys, real TLS handshakes read
/// with `openssl s_client`, real traffic.
@Suite("Certificate rotation end to end: SDS-issued sidecar certificates, the control plane's own", .serialized, .timeLimit(.minutes(3)))
struct CertificateRotationTests {
    /// 12 s certificates, renewed after 6 s: several renewals fit in a test.
    static func settings(_ mesh: TestPKI) -> String {
        """
        snapshot:
          incomingPermissions: { enabled: true }
          outgoingPermissions: { enabled: true }
        sidecarCertificates: { caCert: \(mesh.caCertificate), caKey: \(mesh.caKey), validity: 12s }
        """
    }

    @Test("SDS: sidecars get certificates for their service only after proving it, renewed without restarts; traffic flows throughout; an expired certificate is refused")
    func issuedAndRenewed() async throws {
        let directory = try TestEnvironment.temporaryDirectory("rotation-sds")
        let mesh = try TestPKI(name: "mesh", directory: directory)
        let xdsIdentity = { (service: String) in try mesh.issue("xds-\(service)", altNames: ["URI:spiffe://\(service)"]) }
        let app = try Backend(name: "b-app", directory: directory)
        let controlPlane = try ControlPlaneProcess(
            registryYAML: "services: []\n", directory: directory,
            extraArguments: try mesh.issue("control-plane", altNames: ["DNS:localhost", "IP:127.0.0.1"]).flags,
            settings: Self.settings(mesh))
        defer { app.process.stop(); controlPlane.process.stop() }
        let b = try Sidecar(
            service: "b", localServicePort: app.port, settings: IdentityTests.serverSettings, controlPlane: controlPlane,
            directory: directory, xdsIdentity: try xdsIdentity("b"))
        let a = try Sidecar(
            service: "a", settings: IdentityTests.callerSettings, controlPlane: controlPlane, directory: directory, xdsIdentity: try xdsIdentity("a"))
        // Says it is b, proves it is c: gets no key of b's.
        let impostor = try Sidecar(
            service: "b", settings: IdentityTests.callerSettings, controlPlane: controlPlane, directory: directory,
            xdsIdentity: try xdsIdentity("c"), nodeId: "impostor")
        defer { [a, b, impostor].forEach { $0.stop() } }
        try controlPlane.writeRegistry("""
            services:
              - { name: b, instances: [{ address: 127.0.0.1, port: \(b.ingressPort), tags: ["mtls:enabled"] }] }
            """)

        #expect(await a.waitForRoute("b", "/secured"), "a reaches b with SDS certificates; b's log:\n\(b.envoy.process.log.suffix(1500))")
        let allowed = try await a.call("b", "/secured")
        #expect(allowed.headers.first(name: "x-received-client-cert")?.contains("URI=spiffe://a") == true, "b's service sees a's identity")
        let probe = try mesh.issueShortLived("probe-a", uri: "spiffe://a", seconds: 8)
        let first = try Self.serverCertificate(at: b.ingressPort, presenting: probe)
        #expect(first.verified && first.uri == "spiffe://b", "b serves a certificate for b from the mesh CA: \(first)")
        #expect(await impostor.envoy.configDump().contains("ingress_https") == false, "no TLS chain for an Envoy that did not prove b")
        #expect(await TestEnvironment.waitUntil { controlPlane.process.log.contains("no sidecar certificate") }, "the refusal is logged")
        let ingress = "https://127.0.0.1:\(b.ingressPort)/secured"
        #expect(try IdentityTests.curl(ingress, certificate: probe, insecure: true) == 200, "the probe certificate works while valid")
        let aIdentity = try xdsIdentity("a")

        // Through two renewals and past the first certificate's expiry, a call every 250 ms.
        let started = ContinuousClock.now
        var statuses: [Int: Int] = [:]
        var serials: Set<String> = [first.serial]
        while ContinuousClock.now - started < .seconds(20) {
            statuses[(try? await a.call("b", "/secured"))?.status ?? 0, default: 0] += 1
            if let current = try? Self.serverCertificate(at: b.ingressPort, presenting: aIdentity) {
                #expect(current.verified, "every certificate b serves verifies: \(current)")
                serials.insert(current.serial)
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        print("SDS rotation: b served \(serials.count) certificates in 20 s; a's calls: \(statuses)")
        #expect(serials.count >= 3, "renewed at least twice (12 s validity, renewal after 6 s)")
        #expect(statuses.keys.sorted() == [200], "no call failed across renewals: \(statuses)")
        #expect(b.envoy.process.isRunning && a.envoy.process.isRunning, "no restarts")
        #expect(await a.envoy.stat("cluster.b.ssl.handshake") ?? 0 >= 1)

        #expect(try IdentityTests.curl(ingress, certificate: probe, insecure: true) == 0, "expired 8 s after issue: its handshake is refused")
        #expect(try IdentityTests.curl(ingress, certificate: aIdentity, insecure: true) == 200, "a valid certificate still gets in")
    }

    @Test("the control plane's own certificate replaced on disk is served on xDS and HTTP to new connections without a restart; Envoys stay connected")
    func controlPlaneCertificate() async throws {
        let directory = try TestEnvironment.temporaryDirectory("rotation-own")
        let mesh = try TestPKI(name: "mesh", directory: directory)
        let served = try mesh.issue("control-plane", altNames: ["DNS:localhost", "IP:127.0.0.1"])
        let controlPlane = try ControlPlaneProcess(
            registryYAML: "services: []\n", directory: directory, extraArguments: served.flags + ["--tls-reload-interval", "1s"])
        defer { controlPlane.process.stop() }
        let envoy = try Sidecar(
            service: "a", settings: IdentityTests.callerSettings, controlPlane: controlPlane, directory: directory,
            xdsIdentity: try mesh.issue("xds-a", altNames: ["URI:spiffe://a"]))
        defer { envoy.stop() }
        #expect(await TestEnvironment.waitUntil { await envoy.envoy.stat("control_plane.connected_state") == 1 })
        let client = try mesh.issue("probe", altNames: ["URI:spiffe://probe"])
        let before = try Self.serverCertificate(at: controlPlane.xdsPort, presenting: client)
        #expect(try Self.serverCertificate(at: controlPlane.httpPort, presenting: client).serial == before.serial)

        let renewed = try mesh.issue("control-plane-renewed", altNames: ["DNS:localhost", "IP:127.0.0.1"])
        try FileManager.default.removeItem(atPath: served.key)
        try FileManager.default.copyItem(atPath: renewed.key, toPath: served.key)
        try FileManager.default.removeItem(atPath: served.certificate)
        try FileManager.default.copyItem(atPath: renewed.certificate, toPath: served.certificate)
        let after = await TestEnvironment.waitUntil {
            (try? Self.serverCertificate(at: controlPlane.xdsPort, presenting: client))?.serial.isEmpty == false
                && (try? Self.serverCertificate(at: controlPlane.xdsPort, presenting: client))?.serial != before.serial
        }
        #expect(after, "new connections get the renewed certificate; log:\n\(controlPlane.process.log.suffix(1500))")
        let http = try Self.serverCertificate(at: controlPlane.httpPort, presenting: client)
        #expect(http.verified && http.serial != before.serial, "the HTTP API too")
        #expect(controlPlane.process.log.contains("TLS certificate reloaded"))
        #expect(await envoy.envoy.stat("control_plane.connected_state") == 1)
        #expect(controlPlane.process.isRunning)
    }

    /// What a TLS client sees at `port`: the server certificate's serial and URI SAN, and whether it verified against
    /// the mesh CA (expiry included), presenting `certificate`.
    static func serverCertificate(at port: Int, presenting certificate: TestPKI.Credentials) throws -> (serial: String, uri: String?, verified: Bool) {
        let session = try TestEnvironment.capture("/bin/sh", ["-c", """
            openssl s_client -connect 127.0.0.1:\(port) -cert \(certificate.certificate) -key \(certificate.key) \
              -CAfile \(certificate.ca) -verify_return_error -showcerts </dev/null 2>/dev/null > /tmp/s_client_$$.txt; \
            echo "verify=$?"; openssl x509 -noout -serial -ext subjectAltName < /tmp/s_client_$$.txt 2>/dev/null; rm -f /tmp/s_client_$$.txt
            """]).output
        let serial = session.split(separator: "\n").first { $0.hasPrefix("serial=") }.map { String($0.dropFirst("serial=".count)) } ?? ""
        let uri = session.range(of: "URI:[^ ,\\n]+", options: .regularExpression).map { String(session[$0].dropFirst(4)) }
        return (serial, uri, session.contains("verify=0") && !serial.isEmpty)
    }
}
