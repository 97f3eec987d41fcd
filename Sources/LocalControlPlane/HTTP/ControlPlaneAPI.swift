import Foundation
import Hummingbird
import Shared

/// The local control plane's HTTP API: health, readiness, metrics, debug views and federation.
struct ControlPlaneAPI: Sendable {
    let cache: SnapshotCache
    let streams: StreamRegistry
    let registryStatus: RegistryStatus
    let metrics: MetricsBootstrap?
    let federation: FederationAPI
    let datacenter: String

    func router() -> Router<BasicRequestContext> {
        let router = Router()
        OperationalRoutes.register(on: router, metrics: metrics) { try await readiness() }
        router.get("debug/envoys") { _, _ in try JSONBody.response(streams.all) }
        router.get("debug/envoys.html") { request, _ in
            let parameters = request.uri.queryParameters
            return html(EnvoysPage.list(
                datacenter: datacenter, entries: streams.all, search: parameters["q"].map(String.init) ?? "",
                page: parameters["page"].flatMap { Int(String($0)) } ?? 1))
        }
        router.get("debug/envoy") { request, _ in
            guard let node = request.uri.queryParameters["node"].map(String.init), let entry = streams.entry(ofNode: node),
                  let snapshot = await cache.snapshot(for: entry.profile) else {
                return JSONBody.error("no connected Envoy with that node id and a snapshot (see /debug/envoys.html)", status: .notFound)
            }
            return html(EnvoysPage.envoy(datacenter: datacenter, entry: entry, snapshot: snapshot))
        }
        router.get("debug/snapshot") { request, _ in try await snapshot(nodeId: request.uri.queryParameters["node"]) }
        federation.register(on: router)
        return router
    }

    private struct Readiness: Codable {
        var ready: Bool
        var registry: RegistryStatus.Report
        var remoteStateVersion: String?
        var remoteStateGeneratedBy: String?
        var connectedEnvoys: Int
        var snapshotGroups: Int
    }

    private func readiness() async throws -> (ready: Bool, detail: Readiness) {
        let registry = await registryStatus.current
        let ready = await cache.isReady
        let remote = await federation.remoteState.current
        let body = Readiness(
            ready: ready, registry: registry,
            remoteStateVersion: remote.version.isEmpty ? nil : remote.version,
            remoteStateGeneratedBy: remote.generatedBy.isEmpty ? nil : remote.generatedBy,
            connectedEnvoys: streams.count, snapshotGroups: await cache.groupCount)
        return (ready, body)
    }

    private func html(_ page: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: page)))
    }

    private func snapshot(nodeId: Substring?) async throws -> Response {
        guard let nodeId, let envoy = streams.entry(ofNode: String(nodeId)) else {
            return JSONBody.error("no connected Envoy with that node id (use ?node=ID; see /debug/envoys)", status: .notFound)
        }
        guard let snapshot = await cache.snapshot(for: envoy.profile) else {
            return JSONBody.error("no snapshot yet: the registry has not synced", status: .serviceUnavailable)
        }
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: SnapshotJSON.render(snapshot, group: envoy.group))))
    }
}
