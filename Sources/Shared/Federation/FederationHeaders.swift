/// The headers of `GET /v1/state` answers, named once for the control plane that sets them and the aggregator that
/// reads them.
public enum FederationHeaders {
    /// The index of the state (or delta) in the body.
    public static let stateIndex = "X-State-Index"
    /// The remote-state version this DC applied last (empty for none).
    public static let appliedRemoteVersion = "X-Applied-Remote-Version"
    /// How long this DC's source (Consul, registry file) has been failing, so the aggregator ages its state by as much.
    public static let sourceFailingSeconds = "X-Source-Failing-Seconds"
    /// Set when the body is a `DatacenterStateDelta` on the named index rather than a whole state.
    public static let deltaBase = "X-State-Delta-Base"
}
