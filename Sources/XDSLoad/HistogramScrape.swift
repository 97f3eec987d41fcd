import AsyncHTTPClient
import Foundation

/// A Prometheus histogram read from `/metrics`: cumulative counts per upper bound. Two scrapes subtracted give the
/// observations in between, so the control plane's own view of a phase can stand next to the load generator's.
struct HistogramScrape: Sendable {
    /// (upper bound `le`, cumulative count), ascending; the last bound is +Inf.
    let buckets: [(bound: Double, count: Double)]

    init(buckets: [(bound: Double, count: Double)]) { self.buckets = buckets }

    /// Parses `name_bucket{…le="x"…} count` lines of the text exposition.
    init(prometheusText text: String, name: String) {
        var buckets: [(Double, Double)] = []
        for line in text.split(separator: "\n") where line.hasPrefix("\(name)_bucket") {
            guard let start = line.range(of: "le=\""), let end = line[start.upperBound...].firstIndex(of: "\""),
                  let count = line.split(separator: " ").last.flatMap({ Double($0) })
            else { continue }
            let bound = line[start.upperBound..<end]
            buckets.append((bound == "+Inf" ? .infinity : Double(bound) ?? .infinity, count))
        }
        self.buckets = buckets.sorted { $0.0 < $1.0 }
    }

    static func fetch(_ url: String, name: String) async -> HistogramScrape? {
        guard let response = try? await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(10)),
              response.status == .ok,  // the floor server has no metrics
              let body = try? await response.body.collect(upTo: 64 * 1024 * 1024)
        else { return nil }
        return HistogramScrape(prometheusText: String(buffer: body), name: name)
    }

    func subtracting(_ earlier: HistogramScrape) -> HistogramScrape {
        let before = Dictionary(earlier.buckets.map { ($0.bound, $0.count) }, uniquingKeysWith: { $1 })
        return HistogramScrape(buckets: buckets.map { ($0.bound, $0.count - (before[$0.bound] ?? 0)) })
    }

    var total: Double { buckets.last?.count ?? 0 }

    /// The upper bound of the bucket holding quantile `q` (a histogram only knows its buckets); nil when there are no
    /// observations or the quantile lies beyond the last finite bound (JSON has no infinity).
    func quantileBound(_ q: Double) -> Double? {
        guard total > 0 else { return nil }
        return buckets.first { $0.count >= q * total }.map(\.bound).flatMap { $0.isFinite ? $0 : nil }
    }
}
