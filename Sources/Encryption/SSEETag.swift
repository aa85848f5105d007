import Crypto
import S3Wire

/// ETags by encryption mode (§4.1). Values are unquoted lower-case hex; the server adds the quotes.
///
/// | | SSE-S3 / unencrypted | SSE-KMS, DSSE-KMS, SSE-C |
/// |---|---|---|
/// | object, part | MD5 of the plaintext | 16 random bytes, hex (different on every write) |
/// | completed multipart | `md5(concat(binary part ETags))-N` | same formula over the random part ETags |
public enum SSEETag {
    /// The ETag of an object or part written with `kind` (nil: unencrypted), given the plaintext's MD5, which may be
    /// nil only for kinds with a random ETag (`SSEKind.hasRandomETag`: callers skip hashing for them).
    public static func etag<G: RandomNumberGenerator>(kind: SSEKind?, plaintextMD5: [UInt8]?, using generator: inout G) -> String {
        guard let kind, kind.hasRandomETag else {
            precondition(plaintextMD5 != nil, "the MD5 ETag of an unencrypted or SSE-S3 object needs the MD5")
            return plaintextMD5!.hexString
        }
        return randomETag(using: &generator)
    }

    /// ``etag(kind:plaintextMD5:using:)`` with the system CSPRNG.
    public static func etag(kind: SSEKind?, plaintextMD5: [UInt8]?) -> String {
        var generator = SystemRandomNumberGenerator()
        return etag(kind: kind, plaintextMD5: plaintextMD5, using: &generator)
    }

    /// 32 lower-case hex digits from 16 random bytes.
    public static func randomETag<G: RandomNumberGenerator>(using generator: inout G) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        for _ in 0..<2 {
            var word = generator.next()
            for _ in 0..<8 {
                bytes.append(UInt8(truncatingIfNeeded: word))
                word >>= 8
            }
        }
        return bytes.hexString
    }

    /// The ETag of a completed multipart upload: MD5 of the concatenated binary part ETags, `-`, the part count.
    /// Part ETags may be quoted; an ETag that is not hex contributes no bytes.
    public static func multipart(partETags: [String]) -> String {
        var md5 = Insecure.MD5()
        for etag in partETags { md5.update(data: unhex(etag) ?? []) }
        return Array(md5.finalize()).hexString + "-\(partETags.count)"
    }

    /// Whether `etag` (quotes allowed) is 32 lower-case hex digits, the shape of a single-part ETag in every mode.
    public static func isSinglePartShape(_ etag: String) -> Bool {
        let body = stripQuotes(etag)
        return body.utf8.count == 32 && body.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
    }

    static func stripQuotes(_ etag: String) -> Substring {
        var s = Substring(etag)
        if s.count >= 2, s.first == "\"", s.last == "\"" { s = s.dropFirst().dropLast() }
        return s
    }

    /// The bytes of a (possibly quoted) hex ETag; nil when it is not whole bytes of hex.
    static func unhex(_ etag: String) -> [UInt8]? { [UInt8](hex: String(stripQuotes(etag))) }
}
