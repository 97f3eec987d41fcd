#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether text is an IP address literal (instances may also be registered by host name, which an address-range
/// match cannot use).
public enum IPAddressText {
    public static func isIPv4(_ text: String) -> Bool { parses(text, family: AF_INET) }
    public static func isIPv6(_ text: String) -> Bool { parses(text, family: AF_INET6) }

    private static func parses(_ text: String, family: Int32) -> Bool {
        var buffer = (UInt64(0), UInt64(0))  // room for an in6_addr
        return withUnsafeMutableBytes(of: &buffer) { inet_pton(family, text, $0.baseAddress) == 1 }
    }
}
