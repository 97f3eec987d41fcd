import Foundation

/// Freshness of the registry source, for `/ready` and its JSON detail.
public actor RegistryStatus {
    public struct Report: Codable, Sendable {
        public var source: String
        public var synced: Bool
        public var lastSuccess: Date?
        public var lastError: String?
        public var lastErrorAt: Date?
        public var detail: String?
        /// Since when the source has been failing without a success since (nil while it works).
        public var failingSince: Date?
    }

    private var report: Report

    public init(source: String) {
        report = Report(source: source, synced: false)
    }

    public var hasSynced: Bool { report.synced }
    public var current: Report { report }

    /// How long the catalog has gone unconfirmed by a failing source (0 while it works).
    public var failingSeconds: Double {
        report.failingSince.map { max(0, Date().timeIntervalSince($0)) } ?? 0
    }

    public func succeeded(detail: String) {
        report.synced = true
        report.lastSuccess = Date()
        report.lastError = nil
        report.detail = detail
        report.failingSince = nil
    }

    /// The source answers again (with nothing new to publish).
    public func recovered() {
        report.failingSince = nil
    }

    public func failed(_ error: String) {
        let now = Date()
        report.lastError = error
        report.lastErrorAt = now
        if report.failingSince == nil { report.failingSince = now }
    }
}
