import Crypto
import KeyCore

/// The stored object format, version 1 (`AES256-GCM-SEG64K-HKDF`): segmented AES-256-GCM under keys derived from a
/// fresh data key per object (per part for multipart uploads), one or two layers.
///
/// ```
/// inputs        L          = layers: 1, or 2 for DSSE-KMS
///               dataKey[l] = 32 random bytes per object or part, l = 1 (inner) … L (outer)
///               salt       = 32 random bytes per object or part (kept in the envelope)
///               S          = segment size, 65536
///               ctx        = (mode, bucket, key, uploadId?, partNumber?)
/// str(s)        = u32be(byte count of s) ‖ UTF-8 s
/// opt(x)        = u8(0)  |  u8(1) ‖ x
/// ctxDigest     = SHA-256("s3emu at-rest v1 context" ‖ u8(mode) ‖ str(bucket) ‖ str(key)
///                         ‖ opt(str(uploadId)) ‖ opt(u64be(partNumber)))
/// segKey[l]     = HKDF-SHA256(ikm: dataKey[l], salt: salt,
///                             info: "s3emu at-rest v1 segment key" ‖ u8(l) ‖ u8(L) ‖ ctxDigest, length: 32)
/// nonce(i)      = u32be(0) ‖ u64be(i)                                                     12 bytes
/// aad(l, i, f)  = u8(1 = format version) ‖ u8(L) ‖ u8(l) ‖ u32be(S) ‖ ctxDigest ‖ u64be(i) ‖ u8(f)   47 bytes
///
/// plaintext     = P[0] ‖ P[1] ‖ … ‖ P[n-1]     n = max(1, ⌈size / S⌉), |P[i]| = S for i < n-1,
///                                               1 ≤ |P[n-1]| ≤ S (an empty object is one empty final segment)
/// f(i)          = 1 if i = n-1 else 0
/// seal(l, i, x) = AES-256-GCM(segKey[l], nonce(i), aad(l, i, f(i)), x) = ciphertext(|x|) ‖ tag(16)
/// stored(i)     = seal(L, i, … seal(2, i, seal(1, i, P[i])))                      |P[i]| + 16·L bytes
/// object bytes  = stored(0) ‖ stored(1) ‖ … ‖ stored(n-1)                        size + 16·L·n bytes, no header
/// ```
///
/// The version is the first byte of the object's `EncryptionEnvelope` (kept in its metadata) and the first byte of
/// every segment's associated data, so bytes written under one version can never be read as another. The object
/// bytes carry no header, so stored offsets are plain arithmetic (`SegmentLayout`).
///
/// Why it holds:
/// - Nonces never repeat under a key: a segment key is used for one (object or part, layer) only, and within it
///   the nonce is the segment index. The random salt makes this hold even if a caller reused a data key (a bucket
///   key, a part uploaded twice), and `ctxDigest` in the info separates objects and parts even with the same salt.
/// - Reordering or splicing segments (from this object or any other, or another layer) changes the index, the
///   context digest or the layer in the associated data (and in the key), so the tag fails.
/// - Truncation at a segment boundary leaves a last segment sealed with f = 0; extension past the final segment
///   finds a segment sealed with f = 1. Either fails. A size that disagrees with the bytes moves tag boundaries.
/// - DSSE: the outer layer seals the inner ciphertext and tag with an independent data key, so either key alone
///   protects the data.
/// - A failed tag check zeroes the buffer and throws `AtRestCryptoError.authenticationFailed`; no plaintext of an
///   unauthenticated segment is ever returned.
public enum AtRestFormat {
    /// The segment format version: first byte of every segment's associated data.
    public static let version: UInt8 = 1
    /// The algorithm name recorded in the envelope for this format.
    public static let algorithm = "AES256-GCM-SEG64K-HKDF"
    /// Plaintext bytes per segment (the last segment may be shorter).
    public static let defaultSegmentSize = 65_536
    /// The largest segment size a layout or key set accepts (16 MiB).
    public static let maximumSegmentSize = 1 << 24
    /// Bytes of GCM tag per segment per layer.
    public static let tagSize = 16
    /// Bytes of a data key, a segment key and a key salt.
    public static let keySize = 32
    /// The most layers a format supports (DSSE).
    public static let maximumLayers = 2

    static let contextLabel = Array("s3emu at-rest v1 context".utf8)
    static let segmentKeyLabel = Array("s3emu at-rest v1 segment key".utf8)
    /// Bytes of the per-layer associated-data prefix: version, layers, layer, segment size, context digest.
    static let aadPrefixSize = 1 + 1 + 1 + 4 + 32
    /// Bytes of the full associated data: the prefix, then the segment index and the final flag.
    static let aadSize = aadPrefixSize + 8 + 1

    /// Fresh random bytes for a key salt (32 bytes).
    public static func newSalt() -> [UInt8] {
        SecretBytes.random(count: keySize).bytes
    }

    /// The cipher under the segment key of layer `layer` (1-based) of `layers`.
    static func segmentCipher(dataKey: SecretBytes, salt: [UInt8], layer: Int, layers: Int, contextDigest: [UInt8])
        throws(AtRestCryptoError) -> AES256GCMContext
    {
        let info = segmentKeyLabel + [UInt8(layer), UInt8(layers)] + contextDigest
        return try HKDFSHA256.deriveCipher(ikm: dataKey, salt: salt, info: info)
    }

    /// The associated-data prefix of layer `layer`: everything but the segment index and the final flag.
    static func aadPrefix(layer: Int, layers: Int, segmentSize: Int, contextDigest: [UInt8]) -> [UInt8] {
        var out: [UInt8] = [version, UInt8(layers), UInt8(layer)]
        out.appendU32(UInt32(segmentSize))
        out += contextDigest
        return out
    }
}
