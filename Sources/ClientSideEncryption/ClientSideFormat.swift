// The S3 Encryption Client's object formats, as this module reads and writes them.
//
// ```
// V3 (written by default; suite 0x0073 "115", key-committing)
//   DK   = 32 random bytes (from the keyring: KMS GenerateDataKey, or random and wrapped locally)
//   MID  = 28 random bytes                                            → x-amz-i  (base64)
//   PRK  = HMAC-SHA512(key: MID, data: DK)
//   DEK  = HKDF-Expand-SHA512(PRK, info: 0x00 0x73 ‖ "DERIVEKEY", 32)
//   CK   = HKDF-Expand-SHA512(PRK, info: 0x00 0x73 ‖ "COMMITKEY", 28) → x-amz-d  (base64)
//   body = AES-256-GCM(DEK, nonce: 0x01 × 12, aad: 0x00 0x73, plaintext) ‖ tag16
//   x-amz-c = "115", x-amz-3 = base64(wrap(DK)), x-amz-w = "12" | "02" | "22",
//   x-amz-t = JSON KMS context (12) / x-amz-m = JSON material description (02, 22), only when not empty
//   reading: CK' = derived from the unwrapped DK; CK' ≠ x-amz-d (constant time) → refuse before any decryption
//
// V2 (suite 0x0072)
//   IV   = 12 random bytes                                            → x-amz-iv (base64)
//   body = AES-256-GCM(DK, nonce: IV, no aad, plaintext) ‖ tag16
//   x-amz-key-v2 = base64(wrap(DK)), x-amz-cek-alg = "AES/GCM/NoPadding", x-amz-wrap-alg = "kms+context" |
//   "AES/GCM" | "RSA-OAEP-SHA1", x-amz-matdesc = JSON context or description ("{}" when empty), x-amz-tag-len = "128"
//   (read only: cek-alg "AES/CBC/PKCS5Padding" with a 16-byte IV, and the legacy wraps below)
//
// V1 (read only, legacy): x-amz-key = base64(wrap(DK)), x-amz-iv (16 bytes), x-amz-matdesc;
//   body = AES-256-CBC(DK, IV, PKCS#7(plaintext)); wrap = x-amz-wrap-alg when present ("kms", "AESWrap", …),
//   else AES/ECB/PKCS5 under the raw AES key (EDK ≤ 48 bytes) or RSA PKCS#1 v1.5 (longer EDKs)
//
// Key wrapping
//   kms+context (12): KMS GenerateDataKey/Decrypt with context = caller context ∪ {"aws:x-amz-cek-alg": cekAlg},
//                     cekAlg = "115" (V3) | "AES/GCM/NoPadding" (V2); on read the stored context minus that pair
//                     (and kms_cmk_id) must equal the caller's
//   AES/GCM      (02): EDK = IV12 ‖ AES-256-GCM(wrapping key, IV12, aad: UTF-8 cekAlg, DK) ‖ tag16   (60 bytes)
//   RSA-OAEP-SHA1 (22): EDK = RSA-OAEP(SHA-1, MGF1-SHA-1)(0x20 ‖ DK ‖ UTF-8 cekAlg)
//   legacy (read): kms (context = matdesc), AESWrap (RFC 3394), RSA/ECB/OAEPWithSHA-256AndMGF1Padding (just DK)
//
// Instruction file (<key> + ".instruction", its own metadata x-amz-crypto-instr-file: ""): a JSON object of the
//   envelope keys. V1/V2: all of them, none on the object. V3: x-amz-3, x-amz-w, x-amz-t/x-amz-m in the file;
//   x-amz-c, x-amz-d, x-amz-i stay on the object.
// ```
//
// A multipart object is the same single GCM message cut into parts: the tag ends the last part.

/// The three generations of the S3 Encryption Client's object metadata.
public enum FormatVersion: String, Sendable, CaseIterable {
    case v1 = "V1"
    case v2 = "V2"
    case v3 = "V3"
}

/// How the object's body is encrypted.
public enum ContentCipher: String, Sendable, CaseIterable {
    /// Legacy, unauthenticated: V1, or V2 with `x-amz-cek-alg: AES/CBC/PKCS5Padding`. Read only, on request.
    case aesCBC = "AES/CBC/PKCS5Padding"
    /// V2: AES-256-GCM under the data key, random 12-byte IV, no AAD.
    case aesGCM = "AES/GCM/NoPadding"
    /// V3: suite 0x0073, AES-256-GCM under an HKDF-SHA512-derived key with a key commitment. `x-amz-c: 115`.
    case aesGCMCommitting = "115"

    /// The bytes the body grows by: the GCM tag, or up to a block of padding for CBC.
    public var isAuthenticated: Bool { self != .aesCBC }
}

/// How the data key is wrapped (the `x-amz-wrap-alg` names; V3 writes the short codes of ``v3Code``).
public enum KeyWrapAlgorithm: String, Sendable, CaseIterable {
    case kmsContext = "kms+context"
    case aesGCM = "AES/GCM"
    case rsaOAEPSHA1 = "RSA-OAEP-SHA1"
    /// Legacy KMS wrapping: the context is the material description (`kms_cmk_id`). Read only.
    case kms = "kms"
    /// Legacy RFC 3394 key wrap. Read only.
    case aesWrap = "AESWrap"
    /// Legacy RSA-OAEP with SHA-256 over the bare data key. Read only.
    case rsaOAEPSHA256 = "RSA/ECB/OAEPWithSHA-256AndMGF1Padding"
    /// V1 without `x-amz-wrap-alg`: AES/ECB/PKCS5 under the raw AES key. Read only.
    case v1AESECB = "AES"
    /// V1 without `x-amz-wrap-alg`: RSA PKCS#1 v1.5 over the bare data key. Read only.
    case v1RSA = "RSA"

    /// The V3 `x-amz-w` code, for the three algorithms V3 knows.
    public var v3Code: String? {
        switch self {
        case .aesGCM: "02"
        case .kmsContext: "12"
        case .rsaOAEPSHA1: "22"
        default: nil
        }
    }

    /// The algorithm a V3 `x-amz-w` code names.
    public init?(v3Code: String) {
        switch v3Code {
        case "02": self = .aesGCM
        case "12": self = .kmsContext
        case "22": self = .rsaOAEPSHA1
        default: return nil
        }
    }

    /// Algorithms the official clients only read, behind a legacy switch.
    public var isLegacy: Bool {
        switch self {
        case .kmsContext, .aesGCM, .rsaOAEPSHA1: false
        default: true
        }
    }

    /// Whether the data key is wrapped by KMS (and the stored map is a KMS encryption context).
    public var usesKMS: Bool { self == .kmsContext || self == .kms }
}

/// The metadata names of the formats (without S3's `x-amz-meta-` prefix, lower case, as boto3 shows them).
public enum MetadataKey {
    public static let v1Key = "x-amz-key"
    public static let v2Key = "x-amz-key-v2"
    public static let iv = "x-amz-iv"
    public static let materialDescription = "x-amz-matdesc"
    public static let contentAlgorithm = "x-amz-cek-alg"
    public static let wrapAlgorithm = "x-amz-wrap-alg"
    public static let tagLength = "x-amz-tag-len"
    public static let unencryptedContentLength = "x-amz-unencrypted-content-length"
    public static let v3ContentCipher = "x-amz-c"
    public static let v3Key = "x-amz-3"
    public static let v3Wrap = "x-amz-w"
    public static let v3Context = "x-amz-t"
    public static let v3MaterialDescription = "x-amz-m"
    public static let v3Commitment = "x-amz-d"
    public static let v3MessageID = "x-amz-i"
    /// Set to `""` on the instruction-file object itself.
    public static let instructionFileMarker = "x-amz-crypto-instr-file"

    /// The context key the client adds for KMS wrapping, naming the content cipher.
    public static let reservedContextKey = "aws:x-amz-cek-alg"
    /// The legacy `kms` wrap's context key.
    public static let legacyKMSKeyID = "kms_cmk_id"

    static let v1Only: Set<String> = [v1Key]
    static let v2Only: Set<String> = [v2Key, contentAlgorithm, wrapAlgorithm, tagLength]
    static let v3Only: Set<String> = [v3ContentCipher, v3Key, v3Wrap, v3Context, v3MaterialDescription, v3Commitment, v3MessageID]
    /// Every name of every format.
    public static let all: Set<String> = v1Only.union(v2Only).union(v3Only).union([iv, materialDescription, unencryptedContentLength])
}
