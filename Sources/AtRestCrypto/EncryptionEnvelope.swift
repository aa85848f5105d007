/// Everything needed to decrypt an object or part, kept in its metadata (never the data key in the clear, never
/// an SSE-C key): the format, the mode, the sealed data key(s), the KMS key and version that sealed them, and for
/// SSE-C a salted MAC that recognises the customer key.
///
/// Compact binary encoding; the first byte is the encoding version, and `decode` keeps a case for every version
/// ever written (a new layout gets a new first byte and a new case; the old cases stay).
///
/// ```
/// envelope v1 = u8(1)
///             ‖ u8(formatVersion) ‖ u8(mode code) ‖ str(algorithm) ‖ u32be(segmentSize) ‖ u8(layers)
///             ‖ bytes(salt) ‖ u8(count) ‖ bytes(sealedDataKey) × count
///             ‖ str(kmsKeyARN) ‖ str(keyVersion) ‖ str(encryptionContext) ‖ u8(flags: bit 0 = bucket key)
///             ‖ str(customerKeyMD5) ‖ bytes(customerKeySalt) ‖ bytes(customerKeyMAC)
/// bytes(b)    = u32be(count) ‖ b          str(s) = bytes(UTF-8 s), empty for none
/// ```
/// Decoding is strict: unknown mode, flag bits, layer counts or trailing bytes are `malformedEnvelope`.
public struct EncryptionEnvelope: Sendable, Hashable {
    /// The encoding version `encoded()` writes.
    public static let encodingVersion: UInt8 = 1

    /// The segment format version (`AtRestFormat.version`).
    public var formatVersion: UInt8
    /// The encryption mode.
    public var mode: EncryptionMode
    /// The segment algorithm (`AtRestFormat.algorithm`).
    public var algorithm: String
    /// Plaintext bytes per segment.
    public var segmentSize: Int
    /// Encryption layers: 1, or 2 for DSSE-KMS.
    public var layers: Int
    /// The segment-key salt (`SegmentKeys.salt`).
    public var salt: [UInt8]
    /// The data key(s), sealed: opaque bytes from the key provider (inner layer first), or for SSE-C the data key
    /// sealed under the customer key (`SSECustomerKey.sealDataKey`).
    public var sealedDataKeys: [[UInt8]]
    /// The KMS key that sealed the data key(s), as an ARN (KMS modes and SSE-S3's managed key).
    public var kmsKeyARN: String?
    /// The key material (backing key version) that sealed the data key(s).
    public var keyVersion: String?
    /// The encryption context JSON the caller supplied (`x-amz-server-side-encryption-context`), as given.
    public var encryptionContext: String?
    /// Whether an S3 Bucket Key was used.
    public var bucketKeyEnabled: Bool
    /// SSE-C: the customer key MD5 header as sent (base64).
    public var customerKeyMD5: String?
    /// SSE-C: the random salt of `customerKeyMAC` and of the data key wrap.
    public var customerKeySalt: [UInt8]
    /// SSE-C: HMAC-SHA256 of the customer key (`SSECustomerKey.mac(salt:)`), to recognise it; never the key.
    public var customerKeyMAC: [UInt8]

    /// An envelope; format version and algorithm default to this build's, layers to the mode's.
    public init(mode: EncryptionMode, segmentSize: Int = AtRestFormat.defaultSegmentSize, layers: Int? = nil,
                salt: [UInt8], sealedDataKeys: [[UInt8]], kmsKeyARN: String? = nil, keyVersion: String? = nil,
                encryptionContext: String? = nil, bucketKeyEnabled: Bool = false, customerKeyMD5: String? = nil,
                customerKeySalt: [UInt8] = [], customerKeyMAC: [UInt8] = [],
                formatVersion: UInt8 = AtRestFormat.version, algorithm: String = AtRestFormat.algorithm)
    {
        self.formatVersion = formatVersion
        self.mode = mode
        self.algorithm = algorithm
        self.segmentSize = segmentSize
        self.layers = layers ?? mode.layers
        self.salt = salt
        self.sealedDataKeys = sealedDataKeys
        self.kmsKeyARN = kmsKeyARN
        self.keyVersion = keyVersion
        self.encryptionContext = encryptionContext
        self.bucketKeyEnabled = bucketKeyEnabled
        self.customerKeyMD5 = customerKeyMD5
        self.customerKeySalt = customerKeySalt
        self.customerKeyMAC = customerKeyMAC
    }

    /// The layout of this object's (or part's) `plaintextSize` bytes.
    public func layout(plaintextSize: Int64) -> SegmentLayout {
        SegmentLayout(plaintextSize: plaintextSize, segmentSize: segmentSize, layers: layers)
    }

    /// The binary encoding (current version).
    public func encoded() -> [UInt8] {
        precondition(sealedDataKeys.count <= 255 && (0...Int(UInt32.max)).contains(segmentSize))
        var w = EnvelopeWriter()
        w.u8(Self.encodingVersion)
        w.u8(formatVersion)
        w.u8(mode.code)
        w.string(algorithm)
        w.u32(UInt32(segmentSize))
        w.u8(UInt8(clamping: layers))
        w.data(salt)
        w.u8(UInt8(sealedDataKeys.count))
        for key in sealedDataKeys { w.data(key) }
        w.string(kmsKeyARN)
        w.string(keyVersion)
        w.string(encryptionContext)
        w.u8(bucketKeyEnabled ? 1 : 0)
        w.string(customerKeyMD5)
        w.data(customerKeySalt)
        w.data(customerKeyMAC)
        return w.bytes
    }

    /// Decodes any version this build reads; throws `unsupportedVersion` for others and `malformedEnvelope` for
    /// bytes that do not decode.
    public static func decode(_ bytes: [UInt8]) throws(AtRestCryptoError) -> EncryptionEnvelope {
        guard let version = bytes.first else { throw .malformedEnvelope("empty") }
        var r = EnvelopeReader(bytes)
        _ = try r.u8("version")
        let envelope: EncryptionEnvelope
        switch version {
        case 1: envelope = try decodeV1(&r)
        default: throw .unsupportedVersion(version)
        }
        guard r.isAtEnd else { throw .malformedEnvelope("\(bytes.count - r.at) trailing bytes") }
        return envelope
    }

    private static func decodeV1(_ r: inout EnvelopeReader) throws(AtRestCryptoError) -> EncryptionEnvelope {
        let formatVersion = try r.u8("format version")
        let code = try r.u8("mode")
        guard let mode = EncryptionMode(code: code) else { throw .malformedEnvelope("unknown mode \(code)") }
        guard let algorithm = try r.string("algorithm") else { throw .malformedEnvelope("no algorithm") }
        let segmentSize = Int(try r.u32("segment size"))
        guard (1...AtRestFormat.maximumSegmentSize).contains(segmentSize) else {
            throw .malformedEnvelope("segment size \(segmentSize)")
        }
        let layers = Int(try r.u8("layers"))
        guard (1...AtRestFormat.maximumLayers).contains(layers) else { throw .malformedEnvelope("\(layers) layers") }
        let salt = try r.data("salt", max: 1024)
        let count = Int(try r.u8("key count"))
        var sealed: [[UInt8]] = []
        for _ in 0..<count { sealed.append(try r.data("sealed data key", max: 64 * 1024)) }
        let arn = try r.string("KMS key ARN")
        let keyVersion = try r.string("key version")
        let context = try r.string("encryption context")
        let flags = try r.u8("flags")
        guard flags & ~1 == 0 else { throw .malformedEnvelope("unknown flags \(flags)") }
        let md5 = try r.string("customer key MD5")
        let customerSalt = try r.data("customer key salt", max: 1024)
        let mac = try r.data("customer key MAC", max: 1024)
        return EncryptionEnvelope(
            mode: mode, segmentSize: segmentSize, layers: layers, salt: salt, sealedDataKeys: sealed, kmsKeyARN: arn,
            keyVersion: keyVersion, encryptionContext: context, bucketKeyEnabled: flags & 1 != 0,
            customerKeyMD5: md5, customerKeySalt: customerSalt, customerKeyMAC: mac, formatVersion: formatVersion,
            algorithm: algorithm)
    }
}
