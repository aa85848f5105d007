/// The canonical byte form of a KMS encryption context, bound to ciphertext as AEAD associated data.
///
/// ```
/// canonical(EC) = for (k, v) in EC sorted by the UTF-8 bytes of k:
///                     u32be(len k) ‖ k ‖ u32be(len v) ‖ v
/// ```
/// Length prefixes make `{"ab":"c"}` and `{"a":"bc"}` differ (moto and local-kms concatenate, which collides).
/// An absent context and `{}` canonicalise to the same empty string, as KMS treats them alike.
public enum EncryptionContext {
    public static func canonical(_ context: [String: String]) -> [UInt8] {
        var out: [UInt8] = []
        for key in context.keys.sorted(by: { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }) {
            let k = Array(key.utf8), v = Array(context[key]!.utf8)
            out.appendU32(UInt32(k.count)); out += k
            out.appendU32(UInt32(v.count)); out += v
        }
        return out
    }
}

extension Array where Element == UInt8 {
    /// Appends a big-endian u32.
    public mutating func appendU32(_ v: UInt32) {
        append(UInt8(v >> 24)); append(UInt8(truncatingIfNeeded: v >> 16))
        append(UInt8(truncatingIfNeeded: v >> 8)); append(UInt8(truncatingIfNeeded: v))
    }

    /// Appends a big-endian u64.
    public mutating func appendU64(_ v: UInt64) {
        appendU32(UInt32(v >> 32)); appendU32(UInt32(truncatingIfNeeded: v))
    }

    /// Reads a big-endian u32 at `offset`; the caller checks bounds.
    public func readU32(at offset: Int) -> UInt32 {
        UInt32(self[offset]) << 24 | UInt32(self[offset + 1]) << 16 | UInt32(self[offset + 2]) << 8 | UInt32(self[offset + 3])
    }

    /// Reads a big-endian u64 at `offset`; the caller checks bounds.
    public func readU64(at offset: Int) -> UInt64 { UInt64(readU32(at: offset)) << 32 | UInt64(readU32(at: offset + 4)) }
}

extension Sequence where Element == UInt8 {
    /// Lower-case hex, without Foundation's per-byte `String(format:)`.
    public var lowercaseHex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(underestimatedCount * 2)
        for b in self {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
