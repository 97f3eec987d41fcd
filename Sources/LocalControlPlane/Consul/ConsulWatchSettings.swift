/// How the Consul watcher behaves; defaults suit a production catalog, tests shorten the waits.
public struct ConsulWatchSettings: Sendable, Equatable {
    /// The `wait` of every blocking query: an idle watch costs one request per `wait`.
    public var wait: Duration = .seconds(30)
    /// At most one catalog update per window: a change after a quiet window goes at once, the changes that follow
    /// within the window become one update at its end.
    public var debounce: Duration = .milliseconds(100)
    /// Also route to instances whose checks are `warning`.
    public var includeWarning = false
    /// At most this many blocking queries (and connections) at once; further watches queue for a slot.
    public var maxConcurrentWatches = 2048
    /// No watch sends two requests closer together than this, whatever Consul answers.
    public var minRequestInterval: Duration = .milliseconds(50)
    /// The longest a failing watch waits before it retries: short, so the catalog converges within about this
    /// long after Consul recovers (an outage costs each watch one cheap failed request per interval).
    public var maxRetryInterval: Duration = .seconds(2)

    public init() {}
}
