import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Plain HTTP calls for the tests (Envoy admin, the control plane API, traffic through Envoy).
enum HTTP {
    struct Reply {
        let status: Int
        let body: String
        let headers: HTTPHeaders
    }

    /// A client that returns redirects instead of following them (the shared one follows).
    static let noRedirects = HTTPClient(configuration: .init(redirectConfiguration: .disallow))

    static func send(
        _ method: HTTPMethod, _ url: String, body: String? = nil, headers: [(String, String)] = [], timeout: Duration = .seconds(5),
        client: HTTPClient = .shared
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        let response = try await client.execute(request, timeout: .nanoseconds(Int64(timeout.components.seconds * 1_000_000_000)))
        let collected = try await response.body.collect(upTo: 16 * 1024 * 1024)
        return Reply(status: Int(response.status.code), body: String(buffer: collected), headers: response.headers)
    }

    static func get(
        _ url: String, headers: [(String, String)] = [], timeout: Duration = .seconds(5), client: HTTPClient = .shared
    ) async throws -> Reply {
        try await send(.GET, url, headers: headers, timeout: timeout, client: client)
    }

    static func put(_ url: String, body: String, headers: [(String, String)] = []) async throws -> Reply {
        try await send(.PUT, url, body: body, headers: headers)
    }

    /// The body of a 200 response, or nil for any error or other status (for polling).
    static func text(_ url: String) async -> String? {
        guard let reply = try? await get(url), reply.status == 200 else { return nil }
        return reply.body
    }
}
