import GRPCNIOTransportHTTP2

/// Envoy's retry schedule for an xDS stream (`JitteredExponentialBackOffStrategy` in `GrpcStream`): each wait is
/// drawn uniformly from [0, interval), the interval starting at 0.5 s and doubling up to 30 s; a message received on
/// the stream resets it.
struct EnvoyBackoff {
    static let base = 0.5
    static let ceiling = 30.0

    private(set) var interval = base

    mutating func next() -> Duration {
        let wait = Double.random(in: 0..<interval)
        interval = min(interval * 2, Self.ceiling)
        return .milliseconds(Int(wait * 1000))
    }

    mutating func reset() { interval = Self.base }

    /// The same schedule for a gRPC channel's reconnects: grpc-swift waits its `initial` unjittered, then
    /// `b ± jitter·b` with `b` multiplied each time; with jitter 1 that is uniform over [0, 2b], so `b` is half of
    /// Envoy's interval. Only the first wait differs: 0.25 s, the mean of Envoy's first draw.
    static var channelReconnects: HTTP2ClientTransport.Config.Backoff {
        .init(initial: .milliseconds(Int(base * 500)), max: .milliseconds(Int(ceiling * 500)), multiplier: 2, jitter: 1)
    }
}
