import Foundation
import Testing

/// `endpoints[].oauth` with a real Envoy: tokens signed by the test, the JWKS served by a local HTTP server through a
/// cluster the control plane creates (`createCluster`), each policy's answer to good, missing and bad tokens.
@Suite("JWT end to end: oauth endpoints on a real Envoy", .serialized, .timeLimit(.minutes(3)))
struct JwtTests {
    static let issuer = "https://issuer.test"

    @Test("JWT: valid token 200; missing, expired, foreign-key or foreign-issuer token 401; allowMissing admits no token, not a bad one; token selectors match claims")
    func oauthEndpoints() async throws {
        let directory = try TestEnvironment.temporaryDirectory("jwt")
        let signer = TestJWT(), stranger = TestJWT()
        let documents = directory.appendingPathComponent("jwks-root")
        try FileManager.default.createDirectory(at: documents, withIntermediateDirectories: true)
        try signer.jwks.write(to: documents.appendingPathComponent("jwks.json"), atomically: true, encoding: .utf8)
        let jwksPort = TestEnvironment.freePort()
        let jwksServer = try ManagedProcess(
            name: "jwks", executable: TestEnvironment.python,
            arguments: ["-m", "http.server", "\(jwksPort)", "--bind", "127.0.0.1", "--directory", documents.path], directory: directory)
        let app = try Backend(name: "b-app", directory: directory)
        let controlPlane = try ControlPlaneProcess(registryYAML: "services: []\n", directory: directory, settings: """
            snapshot:
              incomingPermissions: { enabled: true, trustServiceNameHeader: always }
              jwt:
                providers:
                  test-provider:
                    jwksUri: http://127.0.0.1:\(jwksPort)/jwks.json
                    createCluster: true
                    clusterName: test-provider-jwks
                    clusterPort: \(jwksPort)
                    issuer: \(Self.issuer)
                    matchings: { oauth-prefix: authorities }
            """)
        defer { [jwksServer, app.process, controlPlane.process].forEach { $0.stop() } }
        #expect(await controlPlane.waitUntilReady())
        let b = try Sidecar(service: "b", localServicePort: app.port, settings: """
                proxy_settings:
                  incoming:
                    endpoints:
                      - { path: /strict, clients: [a], oauth: { provider: test-provider } }
                      - { path: /optional, clients: [a], oauth: { provider: test-provider, policy: allowMissing } }
                      - { path: /open, clients: [a] }
                      - { path: /team1, clients: ["oauth-prefix:team1"] }
                      - { path: /not-team2, clients: [a, "oauth-prefix:!team2"] }
            """, controlPlane: controlPlane, directory: directory)
        defer { b.stop() }

        func status(_ path: String, token: String? = nil) async throws -> Int {
            let authorization = token.map { [("Authorization", "Bearer \($0)")] } ?? []
            return try await HTTP.get("http://\(b.ingress)\(path)", headers: [("x-service-name", "a")] + authorization).status
        }
        let valid = try signer.token(issuer: Self.issuer)
        #expect(await TestEnvironment.waitUntil { (try? await status("/strict", token: valid)) == 200 },
                "a valid token passes once Envoy has the JWKS; log:\n\(b.envoy.process.log.suffix(2000))")
        #expect(try await status("/strict") == 401, "missing")
        #expect(try await status("/strict", token: signer.token(issuer: Self.issuer, expires: Date().addingTimeInterval(-600))) == 401,
                "expired (beyond Envoy's 60 s clock skew)")
        #expect(try await status("/strict", token: stranger.token(issuer: Self.issuer)) == 401, "signed by a key not in the JWKS")
        #expect(try await status("/strict", token: signer.token(issuer: "https://elsewhere.test")) == 401, "another issuer")
        #expect(try await status("/optional") == 200, "allowMissing: no token is fine")
        #expect(try await status("/optional", token: stranger.token(issuer: Self.issuer)) == 401, "allowMissing: a bad token is not")
        #expect(try await status("/open") == 200, "an endpoint without oauth needs no token")

        // Client selectors on a token field (`jwt.providers.*.matchings`): the claim must hold the selector.
        let team1 = try signer.token(issuer: Self.issuer, authorities: ["team1", "team3"])
        let team2 = try signer.token(issuer: Self.issuer, authorities: ["team2"])
        #expect(try await status("/team1", token: team1) == 200, "authorities holds team1")
        #expect(try await status("/team1", token: team2) == 403, "authorities without team1")
        #expect(try await status("/team1") == 403, "no token, no selector match")
        #expect(try await status("/team1", token: stranger.token(issuer: Self.issuer, authorities: ["team1"])) == 403,
                "a forged token's claims are never trusted (the filter lets it pass unverified, RBAC finds no payload)")
        #expect(try await status("/not-team2", token: team1) == 200, "a, and the token does not hold team2")
        #expect(try await status("/not-team2", token: team2) == 403, "a, but the token holds team2")
        let stats = (await HTTP.text("\(b.envoy.admin)/stats?filter=jwt_authn.(allowed|denied|jwks_fetch)") ?? "")
        print("JWT filter: \(stats.split(separator: "\n").joined(separator: ", "))")
        #expect(await b.envoy.stat("http.ingress_http.jwt_authn.denied") ?? 0 >= 5)
    }
}
