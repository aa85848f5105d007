import Crypto
import Synchronization

/// AWS Signature Version 4: the pure computations shared by header auth, presigned URLs and streaming chunks.
///
/// ```
/// kDate    = HMAC("AWS4" + secret, yyyymmdd)
/// kRegion  = HMAC(kDate, region); kService = HMAC(kRegion, service); kSigning = HMAC(kService, "aws4_request")
/// CanonicalRequest = method \n canonicalURI \n canonicalQuery \n canonicalHeaders \n signedHeaders \n payloadHash
/// StringToSign     = "AWS4-HMAC-SHA256" \n timestamp \n scope \n hex(SHA256(CanonicalRequest))
/// Signature        = hex(HMAC(kSigning, StringToSign))
/// chunk:   "AWS4-HMAC-SHA256-PAYLOAD" \n timestamp \n scope \n previousSignature \n hex(SHA256("")) \n hex(SHA256(chunk))
/// trailer: "AWS4-HMAC-SHA256-TRAILER" \n timestamp \n scope \n previousSignature \n hex(SHA256(trailerHeaders))
/// ```
public enum SigV4 {
    public static let algorithm = "AWS4-HMAC-SHA256"
    public static let emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    /// The derived signing key for one day, region and service.
    public static func signingKey(secret: String, date: String, region: String, service: String) -> SymmetricKey {
        let kSecret = SymmetricKey(data: Array(("AWS4" + secret).utf8))
        let kDate = HMAC<SHA256>.authenticationCode(for: Array(date.utf8), using: kSecret)
        let kRegion = HMAC<SHA256>.authenticationCode(for: Array(region.utf8), using: SymmetricKey(data: kDate))
        let kService = HMAC<SHA256>.authenticationCode(for: Array(service.utf8), using: SymmetricKey(data: kRegion))
        let kSigning = HMAC<SHA256>.authenticationCode(for: Array("aws4_request".utf8), using: SymmetricKey(data: kService))
        return SymmetricKey(data: kSigning)
    }

    /// Remembers derived signing keys: one derivation costs four HMACs, and a client signs many requests per day.
    public final class SigningKeyCache: Sendable {
        private let keys = Mutex<[String: SymmetricKey]>([:])
        private let limit: Int

        public init(limit: Int = 1024) { self.limit = limit }

        public func key(secret: String, date: String, region: String, service: String) -> SymmetricKey {
            // The secret is part of the lookup key only in hashed form, never kept in the clear.
            let id = SHA256.hash(data: Array("\(secret)\u{0}\(date)\u{0}\(region)\u{0}\(service)".utf8)).hexString
            if let k = keys.withLock({ $0[id] }) { return k }
            let k = SigV4.signingKey(secret: secret, date: date, region: region, service: service)
            keys.withLock {
                if $0.count >= limit { $0.removeAll() }
                $0[id] = k
            }
            return k
        }
    }

    /// Hex HMAC-SHA256 of `string` under `key`.
    public static func sign(_ string: String, key: SymmetricKey) -> String {
        HMAC<SHA256>.authenticationCode(for: Array(string.utf8), using: key).hexString
    }

    /// Hex SHA-256.
    public static func sha256Hex(_ data: [UInt8]) -> String { SHA256.hash(data: data).hexString }

    /// The canonical URI: the decoded path re-encoded segment by segment (S3 does not normalise `.`/`..`).
    public static func canonicalURI(rawPath: String) -> String? {
        guard let decoded = URIEncoding.decode(rawPath) else { return nil }
        let path = decoded.isEmpty ? "/" : decoded
        return URIEncoding.encode(path, keepSlash: true)
    }

    /// The canonical query string: each name and value decoded then re-encoded, sorted, `X-Amz-Signature` left out.
    public static func canonicalQuery(_ items: [(String, String)], excluding: Set<String> = []) -> String {
        var encoded: [(String, String)] = []
        for (name, value) in items where !excluding.contains(name) {
            encoded.append((URIEncoding.encode(name), URIEncoding.encode(value)))
        }
        encoded.sort { (a: (String, String), b: (String, String)) -> Bool in a.0 == b.0 ? a.1 < b.1 : a.0 < b.0 }
        var parts: [String] = []
        for (name, value) in encoded { parts.append(name + "=" + value) }
        return parts.joined(separator: "&")
    }

    /// Trims a header value and folds runs of spaces to one, as canonical headers require.
    public static func canonicalHeaderValue(_ value: String) -> String {
        let u = value.utf8
        var needsWork = u.first == 0x20 || u.first == 0x09 || u.last == 0x20 || u.last == 0x09
        if !needsWork {
            var previousSpace = false
            for c in u {
                let space = c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0A
                if space && (previousSpace || c != 0x20) {
                    needsWork = true
                    break
                }
                previousSpace = space
            }
        }
        if !needsWork { return value }
        var out: [UInt8] = []
        out.reserveCapacity(u.count)
        var lastSpace = false
        for c in value.trimmingASCIIWhitespace().utf8 {
            if c == 0x20 || c == 0x09 {
                if !lastSpace { out.append(0x20) }
                lastSpace = true
            } else {
                out.append(c)
                lastSpace = false
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The canonical request text. Header names compare case-insensitively (cheapest when already lower-cased, as
    /// `RequestHead` keeps them).
    public static func canonicalRequest(
        method: String, canonicalURI: String, canonicalQuery: String, headers: [(String, String)], signedHeaders: [String],
        payloadHash: String
    ) -> String {
        var text = method + "\n" + canonicalURI + "\n" + canonicalQuery + "\n"
        for name in signedHeaders {
            text += name
            text += ":"
            var first = true
            for (n, v) in headers where n.utf8.count == name.utf8.count && (n == name || n.lowercased() == name) {
                if !first { text += "," }
                text += canonicalHeaderValue(v)
                first = false
            }
            text += "\n"
        }
        text += "\n" + signedHeaders.joined(separator: ";") + "\n" + payloadHash
        return text
    }

    /// The string to sign for a request.
    public static func stringToSign(timestamp: String, scope: String, canonicalRequest: String) -> String {
        algorithm + "\n" + timestamp + "\n" + scope + "\n" + sha256Hex(Array(canonicalRequest.utf8))
    }

    /// The string to sign for one `aws-chunked` chunk.
    public static func chunkStringToSign(timestamp: String, scope: String, previousSignature: String, chunkHash: String) -> String {
        "AWS4-HMAC-SHA256-PAYLOAD\n" + timestamp + "\n" + scope + "\n" + previousSignature + "\n" + emptySHA256 + "\n" + chunkHash
    }

    /// The string to sign for the trailing headers of an `aws-chunked` body.
    public static func trailerStringToSign(timestamp: String, scope: String, previousSignature: String, trailerHash: String) -> String {
        "AWS4-HMAC-SHA256-TRAILER\n" + timestamp + "\n" + scope + "\n" + previousSignature + "\n" + trailerHash
    }

    /// Compares two signatures in constant time.
    public static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<x.count { diff |= x[i] ^ y[i] }
        return diff == 0
    }
}
