/// Compact binary bodies for the two calls on the object path (`GenerateDataKey`, `Decrypt` from a key provider),
/// so that small-object PUT and GET do not pay for JSON on both sides of the socket.
///
/// ```
/// string  = u16be(len) ‖ UTF-8 bytes           bytes = u32be(len) ‖ bytes
/// context = u16be(count) ‖ (string key ‖ string value)*
/// _GenerateDataKeyBinary  request  = string keyId ‖ u16be numberOfBytes ‖ context
///                         response = string keyArn ‖ string keyMaterialId ‖ bytes plaintext ‖ bytes ciphertextBlob
/// _DecryptBinary          request  = string keyId (empty: none) ‖ bytes ciphertextBlob ‖ context
///                         response = string keyArn ‖ bytes plaintext
/// ```
/// Semantics, checks, errors (still KMS JSON) and audit records are exactly those of the JSON operations.
public enum KeyModuleBinary {
    public static let generateDataKey = "_GenerateDataKeyBinary"
    /// The identifier of the module's hidden SSE-S3 key: only these binary calls resolve it.
    public static let sseS3KeyId = "s3emu:sse-s3"
    public static let decrypt = "_DecryptBinary"

    public struct Writer {
        public var bytes: [UInt8] = []
        public init() {}

        public mutating func string(_ s: String) {
            let u = Array(s.utf8.prefix(0xFFFF))
            u16(UInt16(u.count))
            bytes += u
        }

        public mutating func data(_ d: [UInt8]) {
            bytes.appendU32(UInt32(d.count))
            bytes += d
        }

        public mutating func u16(_ v: UInt16) {
            bytes.append(UInt8(v >> 8))
            bytes.append(UInt8(v & 0xFF))
        }

        public mutating func context(_ c: [String: String]) {
            u16(UInt16(min(c.count, 0xFFFF)))
            for (k, v) in c {
                string(k)
                string(v)
            }
        }
    }

    public struct Reader {
        let bytes: [UInt8]
        var at = 0
        public init(_ bytes: [UInt8]) { self.bytes = bytes }

        public mutating func u16() throws(KMSFault) -> Int {
            guard at + 2 <= bytes.count else { throw .serialization("Truncated binary request.") }
            defer { at += 2 }
            return Int(bytes[at]) << 8 | Int(bytes[at + 1])
        }

        public mutating func string() throws(KMSFault) -> String {
            let n = try u16()
            guard at + n <= bytes.count else { throw .serialization("Truncated binary request.") }
            defer { at += n }
            return String(decoding: bytes[at..<(at + n)], as: UTF8.self)
        }

        public mutating func data() throws(KMSFault) -> [UInt8] {
            guard at + 4 <= bytes.count else { throw .serialization("Truncated binary request.") }
            let n = Int(bytes.readU32(at: at))
            at += 4
            guard at + n <= bytes.count else { throw .serialization("Truncated binary request.") }
            defer { at += n }
            return Array(bytes[at..<(at + n)])
        }

        public mutating func context() throws(KMSFault) -> [String: String] {
            let n = try u16()
            var c: [String: String] = [:]
            for _ in 0..<n {
                let k = try string()
                c[k] = try string()
            }
            return c
        }
    }
}
