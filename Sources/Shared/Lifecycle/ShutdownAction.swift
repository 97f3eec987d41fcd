import ServiceLifecycle

/// A service that does one thing when graceful shutdown begins: listed last in a `ServiceGroup`, it runs before the
/// other services are asked to stop (the group stops them in reverse order), e.g. to end long-polls that would
/// otherwise hold the HTTP server's drain.
public struct ShutdownAction: Service {
    private let action: @Sendable () async -> Void

    public init(_ action: @escaping @Sendable () async -> Void) {
        self.action = action
    }

    public func run() async throws {
        try? await gracefulShutdown()
        await action()
    }
}
