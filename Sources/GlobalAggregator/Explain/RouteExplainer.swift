import AsyncHTTPClient
import Foundation
import NIOCore
import Shared

/// `global-aggregator explain`: asks a running aggregator's `/v1/routes` and puts the answer in words.
public enum RouteExplainer {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public static func explain(aggregator url: String, service: String, datacenter: String) async throws -> String {
        var components = URLComponents(string: url.hasSuffix("/") ? url + "v1/routes" : url + "/v1/routes")
        components?.queryItems = [URLQueryItem(name: "service", value: service), URLQueryItem(name: "dc", value: datacenter)]
        guard let address = components?.string else { throw Failure(description: "'\(url)' is not a URL") }
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: address), timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 16 * 1024 * 1024)
        guard response.status == .ok else {
            let message = (try? JSONDecoder().decode([String: String].self, from: Data(buffer: body)))?["error"] ?? String(buffer: body)
            throw Failure(description: "\(address): \(response.status.code) \(message)")
        }
        return try JSONDecoder().decode(ServiceRoutes.self, from: Data(buffer: body)).explanation(from: datacenter)
    }
}
