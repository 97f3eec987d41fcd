import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import Shared

/// A Consul answer with the `X-Consul-Index` it came with.
struct ConsulResponse<Body: Sendable>: Sendable {
    let body: Body
    let index: UInt64
}

/// Why a Consul read failed, in words an operator can act on.
enum ConsulError: Error, CustomStringConvertible {
    case status(Int, String)
    case invalidBody(String)
    case missingIndex
    case transport(String)

    var description: String {
        switch self {
        case .status(let code, let body): "HTTP \(code) from Consul: \(body)"
        case .invalidBody(let reason): "Consul sent an invalid body: \(reason)"
        case .missingIndex: "Consul sent no valid X-Consul-Index header"
        case .transport(let reason): "cannot reach Consul: \(reason)"
        }
    }
}

/// Blocking reads of Consul's catalog over its HTTP API (async-http-client; each path always through one of the
/// shared pools).
struct ConsulClient: Sendable {
    static let maxBodyBytes = 64 * 1024 * 1024

    let baseURL: String
    let token: String?
    let connections: ConsulConnections

    /// `GET /v1/catalog/services`: every service name with its tags.
    func services(
        index: UInt64, wait: Duration, memo: inout ConsulAnswerMemo<[String: [String]]>
    ) async throws(ConsulError) -> ConsulResponse<[String: [String]]> {
        try await get("/v1/catalog/services", index: index, wait: wait, memo: &memo)
    }

    /// `GET /v1/health/service/<name>`; with `passingOnly` Consul leaves out instances with a non-passing check.
    func health(
        of service: String, index: UInt64, wait: Duration, passingOnly: Bool, memo: inout ConsulAnswerMemo<[ConsulHealthEntry]>
    ) async throws(ConsulError) -> ConsulResponse<[ConsulHealthEntry]> {
        let name = service.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? service
        return try await get(
            "/v1/health/service/\(name)", index: index, wait: wait, extraQuery: passingOnly ? "&passing=1" : "", memo: &memo)
    }

    private func get<Body: Decodable & Sendable>(
        _ path: String, index: UInt64, wait: Duration, extraQuery: String = "", memo: inout ConsulAnswerMemo<Body>
    ) async throws(ConsulError) -> ConsulResponse<Body> {
        var request = HTTPClientRequest(url: "\(baseURL)\(path)?index=\(index)&wait=\(wait.components.seconds)s\(extraQuery)")
        if let token { request.headers.add(name: "X-Consul-Token", value: token) }
        // Consul adds up to wait/16 of jitter to a blocking query; allow that plus a margin before giving up.
        let timeout = wait + wait / 16 + .seconds(5)
        let status: HTTPResponseStatus
        let headers: HTTPHeaders
        let body: ByteBuffer
        do {
            let response = try await connections.client(for: path).execute(request, timeout: .milliseconds(Int64(timeout.components.seconds * 1000)))
            status = response.status
            headers = response.headers
            body = try await response.body.collect(upTo: Self.maxBodyBytes)
        } catch is CancellationError {
            throw .transport("cancelled")
        } catch {
            throw .transport("\(error)")
        }
        guard status == .ok else { throw .status(Int(status.code), String(buffer: body).prefix(200).description) }
        guard let indexText = headers.first(name: "X-Consul-Index"), let received = UInt64(indexText) else { throw .missingIndex }
        let decoded = try memo.body(index: received, bytes: body) { () throws(ConsulError) in
            do {
                return try StrictJSON.decode(Body.self, from: Data(buffer: body))
            } catch {
                throw .invalidBody("\(path): \(String(describing: error).prefix(200))")
            }
        }
        return ConsulResponse(body: decoded, index: received)
    }
}
