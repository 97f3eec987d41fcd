import Foundation

/// A small tmpfs the test mounts for the aggregator's database, so that "disk full" and "read-only" are real
/// filesystem states (root in a sandbox that allows mounts; otherwise the disk tests are skipped).
final class TmpfsMount: Sendable {
    let path: URL
    private var filler: URL { path.appendingPathComponent("filler") }

    init(at path: URL, megabytes: Int) throws {
        self.path = path
        try FileManager.default.createDirectory(at: path, withIntermediateDirectories: true)
        try Self.run("mount", "-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", path.path)
    }

    static let available: Bool = {
        let probe = FileManager.default.temporaryDirectory.appendingPathComponent("tmpfs-probe-\(UUID().uuidString)")
        guard let mount = try? TmpfsMount(at: probe, megabytes: 1) else { return false }
        mount.unmount()
        return true
    }()

    /// Fills the filesystem to the last byte.
    func fill() {
        _ = FileManager.default.createFile(atPath: filler.path, contents: nil)
        guard let handle = try? FileHandle(forWritingTo: filler) else { return }
        defer { try? handle.close() }
        let chunk = Data(count: 64 * 1024)
        while (try? handle.write(contentsOf: chunk)) != nil {}
        var small = Data(count: 512)
        while !small.isEmpty {
            if (try? handle.write(contentsOf: small)) == nil { small = Data(count: small.count / 2) }
        }
    }

    func unfill() { try? FileManager.default.removeItem(at: filler) }

    func remount(readOnly: Bool) throws {
        try Self.run("mount", "-o", "remount,\(readOnly ? "ro" : "rw")", path.path)
    }

    func unmount() { try? Self.run("umount", "-l", path.path) }

    private static func run(_ arguments: String...) throws {
        try TestEnvironment.runTool("/usr/bin/env", arguments)
    }
}
