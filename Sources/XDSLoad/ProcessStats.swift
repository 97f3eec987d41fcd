import Foundation

/// CPU time and resident memory of a process, from `/proc` (Linux).
struct ProcessStats: Sendable {
    let cpuSeconds: Double
    let residentMegabytes: Double

    init?(pid: Int32) {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let afterName = stat.range(of: ")", options: .backwards)
        else { return nil }
        // Fields after the command name: state is the 1st, utime the 12th, stime the 13th.
        let fields = stat[afterName.upperBound...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        cpuSeconds = (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
        let rss = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") }
        residentMegabytes = (rss?.split(separator: " ").dropFirst().first).flatMap { Double($0) }.map { $0 / 1024 } ?? 0
    }
}
