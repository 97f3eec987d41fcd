import AsyncHTTPClient
import NIOSSL
import Shared

/// HTTPS clients for one test, presenting a certificate or none; all shut down when the test's body ends
/// (async-http-client requires an explicit shutdown).
final class HTTPSClients: @unchecked Sendable {
    private var clients: [HTTPClient] = []

    static func with<T>(_ body: (HTTPSClients) async throws -> T) async throws -> T {
        let clients = HTTPSClients()
        do {
            let result = try await body(clients)
            try await clients.shutdown()
            return result
        } catch {
            try? await clients.shutdown()
            throw error
        }
    }

    /// A client presenting `credentials` (or no certificate) and trusting only `ca`.
    func make(_ credentials: TestPKI.Credentials?, trusting ca: String) throws -> HTTPClient {
        var tls = TLSConfiguration.makeClientConfiguration()
        if let credentials {
            tls = try TLSIdentity(certificateFile: credentials.certificate, privateKeyFile: credentials.key, caFile: ca).clientConfiguration
        } else {
            tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca))
        }
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(tlsConfiguration: tls))
        clients.append(client)
        return client
    }

    private func shutdown() async throws {
        for client in clients { try await client.shutdown() }
    }
}
