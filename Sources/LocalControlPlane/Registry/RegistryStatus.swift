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
    }

    private var report: Report

    public init(source: String) {
        report = Report(source: source, synced: false)
    }

    public var hasSynced: Bool { report.synced }
    public var current: Report { report }

    public func succeeded(detail: String) {
        report.synced = true
        report.lastSuccess = Date()
        report.lastError = nil
        report.detail = detail
    }

    public func failed(_ error: String) {
        report.lastError = error
        report.lastErrorAt = Date()
    }
}
