import Foundation
import Hummingbird
import Shared

/// The aggregator's HTTP API: health, readiness, metrics, the merge, per-DC status and the status page.
struct AggregatorAPI: Sendable {
    let core: AggregatorCore
    let metrics: MetricsBootstrap?
    let region: String

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        OperationalRoutes.register(on: router, metrics: metrics) { await readiness() }
        router.get("v1/merged") { _, _ in try await merged() }
        router.get("v1/datacenters") { _, _ in try JSONBody.response(await core.datacenterViews()) }
        router.get("v1/routes") { request, _ in
            guard let service = request.uri.queryParameters["service"].map(String.init), !service.isEmpty else {
                return JSONBody.error("give ?service=NAME (and optionally &dc=DATACENTER)", status: .badRequest)
            }
            var routes = await core.routes(for: service)
            if let datacenter = request.uri.queryParameters["dc"].map(String.init) {
                routes.sources = routes.sources.filter { $0.datacenter == datacenter }
                guard !routes.sources.isEmpty else { return JSONBody.error("'\(datacenter)' is not a datacenter of this region", status: .notFound) }
            }
            return try JSONBody.response(routes)
        }
        router.get("/") { request, _ in
            let parameters = request.uri.queryParameters
            var query = StatusPage.Query()
            query.search = parameters["q"].map(String.init) ?? ""
            query.page = parameters["page"].flatMap { Int(String($0)) } ?? 1
            query.service = parameters["service"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
            var routes: ServiceRoutes?
            if let service = query.service { routes = await core.routes(for: service) }
            let page = StatusPage.render(
                region: region, datacenters: await core.datacenterViews(), policy: await core.currentPolicy,
                storageProblem: await core.storageProblem, services: await core.serviceNames, query: query, routes: routes,
                history: await core.pushHistory)
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: page)))
        }
        return router
    }

    private struct Readiness: Encodable {
        var ready: Bool
        var knowsEveryDatacenter: Bool
        var storage: String
    }

    private func readiness() async -> (ready: Bool, detail: Readiness) {
        let ready = await core.knowsEveryDatacenter
        let storage = await core.storageProblem.map { "in memory: \($0)" } ?? "sqlite"
        return (ready, Readiness(ready: ready, knowsEveryDatacenter: ready, storage: storage))
    }

    private struct Merged: Encodable {
        var stale: [String]
        var dropped: [String]
        var datacenters: [String: MergedDatacenter]
    }

    private struct MergedDatacenter: Encodable {
        var version: String
        var services: [String: RemoteService]
    }

    private func merged() async throws -> Response {
        let result = await core.mergeResult
        var datacenters: [String: MergedDatacenter] = [:]
        for (datacenter, services) in result.remote {
            datacenters[datacenter] = MergedDatacenter(version: result.version(for: datacenter), services: services)
        }
        return try JSONBody.response(Merged(stale: result.stale.sorted(), dropped: result.dropped.sorted(), datacenters: datacenters))
    }
}
