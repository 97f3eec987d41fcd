import HummingbirdCore
import NIOCore
import HummingbirdTLS

/// How both executables serve HTTP: HTTP/1.1, with mTLS when configured, and connections closed after
/// `idleTimeout` without a byte read, so a client that stalls mid-request cannot hold a connection.
/// Requests already read are never cut: a `/v1/state` long-poll may wait its full `wait`.
public enum HTTPServerSettings {
    /// Longer than async-http-client's pool idle timeout (60 s), so an aggregator's idle connection is closed by the
    /// client first and a request never races the server's close.
    public static let idleTimeout: TimeAmount = .seconds(75)

    public static func builder(tls: TLSIdentity?) throws -> HTTPServerBuilder {
        let http1 = HTTPServerBuilder.http1(configuration: .init(idleTimeout: idleTimeout))
        guard let tls else { return http1 }
        return try .tls(http1, tlsConfiguration: tls.serverConfiguration)
    }
}
