import Crypto
import Foundation

/// ES256 tokens and the JWKS that verifies them, made in the test with swift-crypto (no JWT library: the point is
/// what Envoy accepts, so the test writes the three base64url parts itself).
struct TestJWT {
    let key = P256.Signing.PrivateKey()
    let keyID: String

    init(keyID: String = "test-key") { self.keyID = keyID }

    /// The JWKS document with this signer's public key.
    var jwks: String {
        let raw = key.publicKey.rawRepresentation  // x ‖ y, 32 bytes each
        return #"{"keys":[{"kty":"EC","crv":"P-256","alg":"ES256","use":"sig","kid":"\#(keyID)","#
            + #""x":"\#(Self.base64url(raw.prefix(32)))","y":"\#(Self.base64url(raw.suffix(32)))"}]}"#
    }

    /// `authorities`: the token's `authorities` claim (a list), when given.
    func token(
        issuer: String, subject: String = "a", expires: Date = Date().addingTimeInterval(3600), authorities: [String]? = nil
    ) throws -> String {
        let header = Self.base64url(Data(#"{"alg":"ES256","typ":"JWT","kid":"\#(keyID)"}"#.utf8))
        let claims = authorities.map { list in #","authorities":[\#(list.map { "\"\($0)\"" }.joined(separator: ","))]"# } ?? ""
        let payload = Self.base64url(Data(
            #"{"iss":"\#(issuer)","sub":"\#(subject)","exp":\#(Int(expires.timeIntervalSince1970))\#(claims)}"#.utf8))
        let signingInput = header + "." + payload
        let signature = try key.signature(for: Data(signingInput.utf8)).rawRepresentation
        return signingInput + "." + Self.base64url(signature)
    }

    static func base64url(_ data: some DataProtocol) -> String {
        Data(data).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
