import Hummingbird

/// The routes both servers answer the same way: `/health` (the process runs), `/ready` (200 or 503, with a JSON
/// detail) and `/metrics` (Prometheus text).
public enum OperationalRoutes {
    public static func register<Detail: Encodable>(
        on router: Router<BasicRequestContext>, metrics: MetricsBootstrap?,
        readiness: @escaping @Sendable () async throws -> (ready: Bool, detail: Detail)
    ) {
        router.get("health") { _, _ in "ok\n" }
        router.get("ready") { _, _ in
            let (ready, detail) = try await readiness()
            return try JSONBody.response(detail, status: ready ? .ok : .serviceUnavailable)
        }
        router.get("metrics") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(string: metrics?.render() ?? "")))
        }
    }
}
