/// Every metric the local control plane exports (documented in docs/METRICS.md).
public enum MetricNames {
    public static let connectedStreams = "xds_connected_streams"
    public static let responses = "xds_responses_total"
    public static let acks = "xds_acks_total"
    public static let nacks = "xds_nacks_total"
    public static let rejectedStreams = "xds_rejected_streams_total"
    /// Node metadata keys envoy-control knows that an Envoy set and this control plane does not act on yet.
    public static let unsupportedMetadata = "node_metadata_unsupported_total"
    public static let snapshotGenerationSeconds = "xds_snapshot_generation_seconds"
    public static let snapshotGroups = "xds_snapshot_groups"
    public static let snapshotBytes = "xds_snapshot_bytes"
    public static let groupStreams = "xds_group_streams"
    public static let changePropagationSeconds = "xds_change_propagation_seconds"
    public static let groupLabel = "group"
    public static let registryUpdates = "registry_updates_total"
    public static let registryErrors = "registry_errors_total"
    public static let registryLastSuccess = "registry_last_success_timestamp_seconds"
    public static let consulWatchErrors = "consul_watch_errors_total"
    public static let consulWatchSeconds = "consul_watch_seconds"
    public static let consulLastSuccess = "consul_last_success_timestamp_seconds"
    public static let consulWatches = "consul_watched_services"
    public static let remoteStateApplies = "remote_state_applies_total"
    public static let remoteStateRejects = "remote_state_rejects_total"
    public static let remoteStatePushRepeats = "remote_state_push_repeats_total"
    public static let stateLongPolls = "state_long_polls_total"
    /// When an aggregator last asked for this DC's state: an old value means no aggregator watches this DC, so the
    /// remote state it holds is frozen (alert on `time() - federation_last_poll_timestamp_seconds`).
    public static let federationLastPoll = "federation_last_poll_timestamp_seconds"
    public static let remoteStateLastApplied = "remote_state_last_applied_timestamp_seconds"
    /// Sidecar certificates signed (`result`: issued, failed) and Envoys refused one (not proven to be the service).
    public static let sidecarCertificates = "sidecar_certificates_total"
    public static let sidecarCertificateRefusals = "sidecar_certificate_refusals_total"
    /// The earliest `notAfter` among the sidecar certificates in use: renewal stopped if it comes close.
    public static let sidecarCertificateExpiry = "sidecar_certificate_earliest_expiry_timestamp_seconds"

    /// Label names.
    public static let typeLabel = "type"
    public static let protocolLabel = "protocol"
    public static let sourceLabel = "source"
    public static let endpointLabel = "endpoint"
    public static let keyLabel = "key"
    public static let resultLabel = "result"
}
