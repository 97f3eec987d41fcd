/// What `--version` prints. `scripts/release.sh` stamps the release version and the commit into its copy of this
/// file before building; a build from a checkout says `dev`.
public enum BuildInfo {
    public static let version = "dev"
    public static let commit = "unknown"

    public static var description: String { "\(version) (commit \(commit))" }
}
