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
        OperationalRoutes.register(on: router, metrics: metrics) { try await readiness() }
        router.get("v1/merged") { _, _ in try await merged() }
        router.get("v1/datacenters") { _, _ in try JSONBody.response(await core.datacenterViews()) }
        router.get("/") { _, _ in
            let page = StatusPage.render(
                region: region, datacenters: await core.datacenterViews(), policy: await core.currentPolicy,
                storageProblem: await core.storageProblem)
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
