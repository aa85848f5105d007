import Crypto
import KeyCore

/// The identity a sealed object or part is bound to. Its `digest` enters every segment's key derivation and
/// associated data, so segments moved to another object, part, bucket or mode fail authentication.
///
/// ```
/// encoding = "s3emu at-rest v1 context" ‖ u8(mode code) ‖ str(bucket) ‖ str(key)
///            ‖ opt(str(uploadId)) ‖ opt(u64be(partNumber))
/// str(s)   = u32be(byte count) ‖ UTF-8 s        opt(x) = u8(0) | u8(1) ‖ x
/// digest   = SHA-256(encoding)
/// ```
/// A simple object has neither upload id nor part number; a part of a multipart upload has both.
public struct SegmentContext: Sendable, Hashable {
    /// The encryption mode.
    public var mode: EncryptionMode
    /// The bucket name.
    public var bucket: String
    /// The object key.
    public var key: String
    /// The multipart upload id, for a part.
    public var uploadId: String?
    /// The part number (1…10000), for a part.
    public var partNumber: Int?

    /// A context for an object (`uploadId` and `partNumber` nil) or a part of a multipart upload.
    public init(mode: EncryptionMode, bucket: String, key: String, uploadId: String? = nil, partNumber: Int? = nil) {
        self.mode = mode
        self.bucket = bucket
        self.key = key
        self.uploadId = uploadId
        self.partNumber = partNumber
    }

    /// The length-prefixed encoding that `digest` hashes.
    public var encoded: [UInt8] {
        var out = AtRestFormat.contextLabel
        out.append(mode.code)
        for s in [bucket, key] {
            let u = Array(s.utf8)
            out.appendU32(UInt32(u.count))
            out += u
        }
        if let uploadId {
            let u = Array(uploadId.utf8)
            out.append(1)
            out.appendU32(UInt32(u.count))
            out += u
        } else {
            out.append(0)
        }
        if let partNumber {
            out.append(1)
            out.appendU64(UInt64(bitPattern: Int64(partNumber)))
        } else {
            out.append(0)
        }
        return out
    }

    /// SHA-256 of `encoded` (32 bytes).
    public var digest: [UInt8] { Array(SHA256.hash(data: encoded)) }
}
