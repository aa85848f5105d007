import Crypto
import Foundation
import S3Wire

/// Who may open the web inspector: a browser holding the session cookie (set after opening the start URL with the
/// random token printed at start), or a client sending HTTP Basic auth with an access key id and its secret key.
///
/// The cookie never holds the token itself but `hex(SHA-256("s3emu-inspector-session\0" ‖ token))`, so nothing a
/// page or a cookie jar shows can be turned back into the start URL.
struct InspectorAuth: Sendable {
    /// The start token (printed once, in the serve banner).
    let token: String
    /// Access key id → secret key, as the S3 API accepts them.
    let credentials: [String: String]

    /// The cookie's name.
    static let cookieName = "s3emu_inspector"

    /// What a request carries.
    enum Outcome: Equatable, Sendable {
        /// A valid session cookie.
        case session
        /// Valid HTTP Basic credentials for this access key.
        case basic(accessKey: String)
        /// A valid `?token=`: answer with the cookie and a redirect to the same page without the token.
        case tokenLogin
        /// Nothing valid; the reason is safe to show (it never echoes what was sent).
        case denied(reason: String)
    }

    /// 32 random bytes, base64url without padding (43 characters).
    static func newToken() -> String {
        var g = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &g) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// The session cookie's value for this token.
    var sessionValue: String {
        Array(SHA256.hash(data: Array("s3emu-inspector-session\0".utf8) + Array(token.utf8))).hexString
    }

    /// The `Set-Cookie` value after a token login: HttpOnly, SameSite=Strict, scoped to the inspector's path, and
    /// `Secure` on the HTTPS listener (cookies are not port-bound, so the HTTP listener's cookie also reaches HTTPS).
    func setCookie(secure: Bool) -> String {
        "\(Self.cookieName)=\(sessionValue); Path=/_s3emu/ui/; HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
    }

    /// Checks a request's token parameter, cookie and `Authorization` header, in that order of precedence.
    func authenticate(_ head: RequestHead) -> Outcome {
        if let given = head.queryValue("token") {
            return Self.constantTimeEqual(given, token) ? .tokenLogin : .denied(reason: "The token in the address is not this server's.")
        }
        if let cookies = head.header("cookie"), let value = Self.cookie(Self.cookieName, in: cookies),
            Self.constantTimeEqual(value, sessionValue)
        {
            return .session
        }
        if let authorization = head.header("authorization") {
            guard let (key, secret) = Self.basicCredentials(authorization) else {
                return .denied(reason: "Only HTTP Basic authorization (access key id and secret key) is accepted here.")
            }
            guard let expected = credentials[key], Self.constantTimeEqual(secret, expected) else {
                return .denied(reason: "Unknown access key or wrong secret key.")
            }
            return .basic(accessKey: key)
        }
        return .denied(reason: "No session.")
    }

    /// The `(access key, secret)` of an `Authorization: Basic …` value.
    static func basicCredentials(_ authorization: String) -> (String, String)? {
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "basic",
            let data = Data(base64Encoded: String(parts[1]).trimmingCharacters(in: .whitespaces)),
            let text = String(data: data, encoding: .utf8), let colon = text.firstIndex(of: ":")
        else { return nil }
        return (String(text[..<colon]), String(text[text.index(after: colon)...]))
    }

    /// The value of cookie `name` in a `Cookie` header.
    static func cookie(_ name: String, in header: String) -> String? {
        for pair in header.split(separator: ";") {
            let item = pair.trimmingCharacters(in: .whitespaces)
            guard let eq = item.firstIndex(of: "="), item[..<eq] == name else { continue }
            return String(item[item.index(after: eq)...])
        }
        return nil
    }

    /// Compares without an early exit on the first differing byte.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var diff = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) { diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0) }
        return diff == 0
    }

    /// The request's path and query without the `token` parameter (where a token login redirects to).
    static func withoutToken(path: String, rawQuery: String) -> String {
        let kept = rawQuery.split(separator: "&").filter { !($0 == "token" || $0.hasPrefix("token=")) }
        return path + (kept.isEmpty ? "" : "?" + kept.joined(separator: "&"))
    }
}
