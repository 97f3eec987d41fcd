import Foundation
import Shared

/// The push history as a small inline SVG (no JavaScript): one bar per push, its height the propagation latency
/// (scaled to the slowest shown), failed pushes as red marks; p50 and p99 beside it.
enum PushHistoryChart {
    static func render(_ entries: [PushHistory.Entry], width: Int = 640, height: Int = 120) -> String {
        guard !entries.isEmpty else { return "<p class=muted>No push yet.</p>" }
        let latencies = entries.compactMap(\.latency).sorted()
        let slowest = max(latencies.last ?? 0, 0.001)
        // At most 200 pushes: at least 3 px each; a few pushes stay thin bars, not blocks.
        let step = min(12, Double(width) / Double(max(entries.count, 1)))
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height + 20)\" role=\"img\" "
            + "aria-label=\"propagation latency of the last \(entries.count) pushes\"><rect width=\"\(width)\" height=\"\(height)\" fill=\"#fff\"/>"
        for (index, entry) in entries.enumerated() {
            let x = String(format: "%.1f", Double(index) * step)
            let barWidth = String(format: "%.1f", max(step - 1, 1))
            let title = "<title>\(HTMLText.escape(entry.datacenter)) \(HTMLText.escape(entry.replica)): "
                + (entry.latency.map { String(format: "%.3f s", $0) } ?? HTMLText.escape(entry.error ?? "failed")) + "</title>"
            if let latency = entry.latency {
                let barHeight = max(1, Double(height) * latency / slowest)
                svg += "<rect x=\"\(x)\" y=\"\(String(format: "%.1f", Double(height) - barHeight))\" width=\"\(barWidth)\" "
                    + "height=\"\(String(format: "%.1f", barHeight))\" fill=\"#3b6fb6\">\(title)</rect>"
            } else if entry.error != nil {
                svg += "<rect x=\"\(x)\" y=\"0\" width=\"\(barWidth)\" height=\"\(height)\" fill=\"#b3261e\" opacity=\".35\">\(title)</rect>"
            }
        }
        let failures = entries.filter { $0.error != nil }.count
        svg += "<text x=\"0\" y=\"\(height + 15)\" font-size=\"11\" fill=\"#5f6672\">"
            + "\(entries.count) pushes · slowest \(String(format: "%.3f", slowest)) s · \(failures) failed</text></svg>"
        let percentile = { (p: Double) in latencies.isEmpty ? "—" : String(format: "%.3f s", latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]) }
        return svg + "<p class=muted>merge → replica holds it: p50 \(percentile(0.5)), p99 \(percentile(0.99))</p>"
    }
}
