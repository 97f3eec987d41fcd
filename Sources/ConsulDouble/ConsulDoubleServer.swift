import Foundation
import Hummingbird
import NIOCore

/// The HTTP face of `ConsulDoubleCatalog`: the subset of Consul's API the watcher uses (catalog services, health
/// service with `passing`, agent self, blocking queries with `index`/`wait` and `X-Consul-Index`), the agent
/// endpoints that change it (service register/deregister, TTL check pass/warn/fail), and `/_double/…` controls
/// for faults and counters.
public struct ConsulDoubleServer: Sendable {
    public let catalog: ConsulDoubleCatalog
    /// With a token, every `/v1/` request must carry it in `X-Consul-Token` (Consul's ACLs with a default-deny policy).
    public let aclToken: String?

    public init(catalog: ConsulDoubleCatalog, aclToken: String? = nil) {
        self.catalog = catalog
        self.aclToken = aclToken
    }

    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        if let aclToken { router.add(middleware: ConsulACL(token: aclToken)) }
        router.get("/v1/agent/self") { _, _ in try await agentSelf() }
        router.get("/v1/status/leader") { _, _ in "\"127.0.0.1:8300\"" }
        router.get("/v1/catalog/services") { request, _ in try await catalogServices(request) }
        router.get("/v1/health/service/:name") { request, context in
            try await health(request, name: context.parameters.require("name"))
        }
        router.put("/v1/agent/service/register") { request, context in try await register(request, context) }
        router.put("/v1/agent/service/deregister/:id") { _, context in
            guard await catalog.deregister(id: try context.parameters.require("id")) else {
                throw HTTPError(.notFound, message: "Unknown service ID")
            }
            return HTTPResponse.Status.ok
        }
        router.put("/v1/agent/check/:action/:id") { _, context in
            let statuses = ["pass": "passing", "warn": "warning", "fail": "critical"]
            guard let status = statuses[try context.parameters.require("action")] else { throw HTTPError(.notFound) }
            guard await catalog.updateCheck(id: try context.parameters.require("id"), status: status) else {
                throw HTTPError(.notFound, message: "Unknown check ID")
            }
            return HTTPResponse.Status.ok
        }
        ConsulDoubleControls(catalog: catalog).add(to: router)
        return router
    }

    private func agentSelf() async throws -> Response {
        let body: [String: Any] = [
            "Config": ["Datacenter": catalog.datacenter, "NodeName": catalog.nodeName, "Version": "1.20.0", "Server": true],
            "Member": ["Name": catalog.nodeName, "Addr": catalog.nodeAddress, "Port": 8301, "Status": 1],
        ]
        return json(try JSONSerialization.data(withJSONObject: body), index: nil)
    }

    private func catalogServices(_ request: Request) async throws -> Response {
        await catalog.countRequest("catalog")
        return try await blockingRead(request, key: "catalog") {
            let (services, index) = await catalog.catalogServices
            return (try JSONEncoder.consul.encode(services), index)
        }
    }

    private func health(_ request: Request, name: String) async throws -> Response {
        await catalog.countRequest("health")
        let passingOnly = request.uri.queryParameters["passing"] != nil
        return try await blockingRead(request, key: "health:\(name)") { await catalog.health(of: name, passingOnly: passingOnly) }
    }

    /// Consul's blocking query: with `index` below the current one, answer at once; otherwise wait for a change
    /// for up to `wait` (default 5m, at most 10m) plus up to wait/16 of jitter, then answer with whatever is current.
    private func blockingRead(
        _ request: Request, key: String, read: @Sendable () async throws -> (Data, UInt64)
    ) async throws -> Response {
        let parameters = request.uri.queryParameters
        let minIndex = parameters["index"].flatMap { UInt64(String($0)) } ?? 0
        let wait = min(parameters["wait"].flatMap { Self.duration(String($0)) } ?? .seconds(300), .seconds(600))
        let fault = await catalog.fault
        if fault != .none { await catalog.countFaultedRead(key) }
        if case .slow(let delay) = fault { try await Task.sleep(for: delay) }
        if fault == .serverError {
            throw HTTPError(.internalServerError, message: "rpc error making call: No cluster leader")
        }
        var (body, index) = try await read()
        if minIndex > 0 {
            let deadline = ContinuousClock.now + wait + wait / 16 * Double.random(in: 0...1)
            while index <= minIndex && ContinuousClock.now < deadline {
                await catalog.waitForChange(key, deadline: deadline)
                (body, index) = try await read()
            }
        }
        switch fault {
        case .garbage: return json(Data("<html><body>502 Bad Gateway</body></html>".utf8), index: index)
        case .zeroIndex: return json(body, index: 0)
        case .drop: return droppedResponse()
        default: return json(body, index: max(index, 1))
        }
    }

    private func json(_ body: Data, index: UInt64?) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let index { headers[.init("X-Consul-Index")!] = "\(index)" }
        headers[.init("X-Consul-Knownleader")!] = "true"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(data: body)))
    }

    /// Promises a body, sends part of it, then fails: the server closes the connection mid-response.
    private func droppedResponse() -> Response {
        Response(
            status: .ok, headers: [.contentType: "application/json", .contentLength: "1000"],
            body: ResponseBody(contentLength: 1000) { writer in
                try await writer.write(ByteBuffer(string: "[{\"Node\":"))
                throw HTTPError(.internalServerError, message: "connection dropped by fault injection")
            })
    }

    private func register(_ request: Request, _ context: BasicRequestContext) async throws -> HTTPResponse.Status {
        let body = try await request.decode(as: ConsulServiceDefinition.self, context: context)
        guard let name = body.name, !name.isEmpty else { throw HTTPError(.badRequest, message: "Missing service name") }
        let id = body.id ?? name
        let registration = ConsulDoubleCatalog.Registration(
            id: id, name: name, address: body.address ?? "", port: body.port ?? 0, tags: body.tags ?? [], meta: body.meta ?? [:],
            weights: (body.weights?.passing ?? 1, body.weights?.warning ?? 1),
            check: body.check.map { .init(id: $0.checkID ?? "service:\(id)", serviceID: id, status: $0.status ?? "critical") })
        await catalog.register(registration)
        return .ok
    }

    static func duration(_ text: String) -> Duration? {
        for (suffix, scale) in [("ms", 0.001), ("s", 1.0), ("m", 60.0)] where text.hasSuffix(suffix) {
            if let value = Double(text.dropLast(suffix.count)), value >= 0 { return .milliseconds(Int64(value * scale * 1000)) }
        }
        return Double(text).map { .milliseconds(Int64($0 * 1000)) }
    }
}

/// The body of `PUT /v1/agent/service/register` (the fields the double keeps).
struct ConsulServiceDefinition: Decodable {
    struct Weights: Decodable {
        var passing: Int?
        var warning: Int?
        enum CodingKeys: String, CodingKey { case passing = "Passing", warning = "Warning" }
    }

    struct Check: Decodable {
        var checkID: String?
        var status: String?
        var ttl: String?
        enum CodingKeys: String, CodingKey { case checkID = "CheckID", status = "Status", ttl = "TTL" }
    }

    var id: String?
    var name: String?
    var address: String?
    var port: Int?
    var tags: [String]?
    var meta: [String: String]?
    var weights: Weights?
    var check: Check?

    enum CodingKeys: String, CodingKey {
        case id = "ID", name = "Name", address = "Address", port = "Port", tags = "Tags", meta = "Meta"
        case weights = "Weights", check = "Check"
    }
}

/// Consul's answer to a request without the right ACL token: 403 and a plain-text reason.
struct ConsulACL: RouterMiddleware {
    let token: String
    static let header = HTTPFields.Element.Name("X-Consul-Token")!

    func handle(
        _ request: Request, context: BasicRequestContext, next: (Request, BasicRequestContext) async throws -> Response
    ) async throws -> Response {
        guard request.uri.path.hasPrefix("/v1/"), request.uri.path != "/v1/status/leader" else { return try await next(request, context) }
        let given: String? = request.headers[Self.header]
        if given == token { return try await next(request, context) }
        let reason = given == nil ? "Permission denied" : "ACL not found"
        return Response(status: .forbidden, body: .init(byteBuffer: ByteBuffer(string: reason)))
    }
}
