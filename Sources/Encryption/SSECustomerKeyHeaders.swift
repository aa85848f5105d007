import Crypto
import KeyCore
import S3Wire

/// A validated SSE-C header trio: the algorithm, the decoded customer key and the key MD5 as the client sent it.
///
/// The key is held as ``KeyCore/SecretBytes``: it never appears in `description`, logs or errors. On writes the
/// key is exactly 32 bytes (E-C8); on reads and copy sources a key of another length is kept, because S3 compares
/// the key before looking at its length (E-C11) — such a key never matches a stored object.
public struct SSECustomerKeyHeaders: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The algorithm header value; always `AES256` once validated.
    public let algorithm: String
    /// The decoded customer key.
    public let key: SecretBytes
    /// The `…-customer-key-MD5` header exactly as sent (echoed on responses, §2.3).
    public let keyMD5: String

    /// A trio from already validated parts (tests, stored state).
    public init(algorithm: String = SSEAlgorithm.aes256.rawValue, key: SecretBytes, keyMD5: String) {
        self.algorithm = algorithm
        self.key = key
        self.keyMD5 = keyMD5
    }

    /// A trio for `key`, with its MD5 computed as a client would.
    public init(key: SecretBytes) {
        self.init(key: key, keyMD5: Self.md5Base64(of: key))
    }

    /// The decoded 16-byte key MD5.
    public var keyMD5Bytes: [UInt8] { Base64.decode(keyMD5) ?? [] }

    /// Base64 of the MD5 of the raw key bytes, as clients compute `…-customer-key-MD5`.
    public static func md5Base64(of key: SecretBytes) -> String {
        key.withBytes { Base64.encode(Array(Insecure.MD5.hash(data: $0))) }
    }

    /// Algorithm and key MD5; the key is redacted.
    public var description: String { "SSECustomerKeyHeaders(\(algorithm), key: <redacted>, keyMD5: \(keyMD5))" }
    /// Same as `description`: the key is redacted.
    public var debugDescription: String { description }

    /// Same algorithm, key MD5 and key (constant-time on the key).
    public static func == (a: SSECustomerKeyHeaders, b: SSECustomerKeyHeaders) -> Bool {
        a.algorithm == b.algorithm && a.keyMD5 == b.keyMD5 && a.key == b.key
    }

    /// Whether any of the three headers `names` (algorithm, key, MD5) is present in `head`.
    static func anyPresent(_ head: RequestHead, names: [String]) -> Bool {
        names.contains { head.header($0) != nil }
    }

    /// Validates a trio named `names` (algorithm, key, MD5) in the order of §3.4: E-C4 → E-C3 → E-C5 → E-C6 →
    /// E-C7 → E-C8 (only when `checkLength`). Returns nil when none of the three headers is present.
    ///
    /// An empty key or MD5 header counts as missing; an empty algorithm is an invalid algorithm (E-C3). A key or
    /// MD5 that is not strict base64 (or an MD5 that does not decode to 16 bytes) cannot match: E-C7.
    static func parse(_ head: RequestHead, names: [String], checkLength: Bool) throws(S3Error) -> SSECustomerKeyHeaders? {
        let algorithm = head.header(names[0])
        let keyText = head.header(names[1])
        let md5Text = head.header(names[2])
        guard algorithm != nil || keyText != nil || md5Text != nil else { return nil }
        guard let algorithm else { throw SSEErrors.missingCustomerAlgorithm }
        guard algorithm == SSEAlgorithm.aes256.rawValue else { throw SSEErrors.invalidCustomerAlgorithm(algorithm) }
        guard let keyText, !keyText.isEmpty else { throw SSEErrors.missingCustomerKey }
        guard let md5Text, !md5Text.isEmpty else { throw SSEErrors.missingCustomerKeyMD5 }
        guard let keyBytes = Base64.decode(keyText), let sentMD5 = Base64.decode(md5Text), sentMD5.count == 16 else {
            throw SSEErrors.customerKeyMD5Mismatch
        }
        let key = SecretBytes(keyBytes)
        let computed = Array(Insecure.MD5.hash(data: keyBytes))
        guard constantTimeEqual(computed, sentMD5) else { throw SSEErrors.customerKeyMD5Mismatch }
        if checkLength, key.count != 32 { throw SSEErrors.invalidCustomerKey }
        return SSECustomerKeyHeaders(algorithm: algorithm, key: key, keyMD5: md5Text)
    }
}
