import CAEAD
import Crypto
import KeyCore

/// HKDF-SHA256 (RFC 5869) in one C call over OpenSSL's SHA-256 (`CAEAD`): the same output as swift-crypto's
/// `HKDF<SHA256>.deriveKey`, at about a tenth of its cost, which matters because every encrypted GET and PUT
/// derives a key per object and layer. Intermediate keys are wiped in C; callers wipe what they are given.
public enum HKDFSHA256 {
    /// Derives `output.count` bytes (at most 8160) from `ikm`, `salt` (may be empty) and `info` into `output`.
    public static func derive(ikm: UnsafeRawBufferPointer, salt: [UInt8], info: [UInt8],
                              into output: UnsafeMutableRawBufferPointer)
    {
        precondition(output.count <= 255 * 32, "HKDF-SHA256 output of \(output.count) bytes")
        let rc = salt.withUnsafeBytes { s in
            info.withUnsafeBytes { i in
                s3emu_hkdf_sha256(ikm.bindMemory(to: UInt8.self).baseAddress, ikm.count,
                                  s.bindMemory(to: UInt8.self).baseAddress, s.count,
                                  i.bindMemory(to: UInt8.self).baseAddress, i.count,
                                  output.bindMemory(to: UInt8.self).baseAddress, output.count)
            }
        }
        precondition(rc == 0)
    }

    /// Derives a `count`-byte key from the secret `ikm`.
    public static func deriveKey(ikm: SecretBytes, salt: [UInt8], info: [UInt8], count: Int) -> SymmetricKey {
        var out = [UInt8](repeating: 0, count: count)
        defer { wipe(&out) }
        ikm.withBytes { k in
            k.withUnsafeBytes { raw in out.withUnsafeMutableBytes { derive(ikm: raw, salt: salt, info: info, into: $0) } }
        }
        return SymmetricKey(data: out)
    }

    /// Derives a 32-byte key from `ikm` straight into an AES-256-GCM context; the key bytes live only on the stack
    /// of this call and are wiped before it returns.
    static func deriveCipher(ikm: SecretBytes, salt: [UInt8], info: [UInt8]) throws(AtRestCryptoError) -> AES256GCMContext {
        let made = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: AtRestFormat.keySize) { key in
            let out = UnsafeMutableRawBufferPointer(key)
            defer { s3emu_cleanse(out.baseAddress, out.count) }
            ikm.withBytes { k in k.withUnsafeBytes { raw in derive(ikm: raw, salt: salt, info: info, into: out) } }
            return Result { () throws(AtRestCryptoError) in try AES256GCMContext(key: UnsafeRawBufferPointer(out)) }
        }
        return try made.get()
    }

    private static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { s3emu_cleanse($0.baseAddress, $0.count) }
    }
}
