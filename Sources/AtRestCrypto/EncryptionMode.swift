/// How an object is encrypted at rest. The raw value is the name written in logs and inspection output; `code` is
/// the byte stored in envelopes and hashed into segment contexts.
public enum EncryptionMode: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// Server-side encryption with keys the emulator manages (`x-amz-server-side-encryption: AES256`).
    case sseS3 = "SSE-S3"
    /// Server-side encryption with a KMS key (`aws:kms`).
    case sseKMS = "SSE-KMS"
    /// Dual-layer server-side encryption with KMS keys (`aws:kms:dsse`): two layers, two data keys.
    case dsseKMS = "DSSE-KMS"
    /// Server-side encryption with a customer-provided key.
    case sseC = "SSE-C"

    /// The byte stored for this mode.
    public var code: UInt8 {
        switch self {
        case .sseS3: 1
        case .sseKMS: 2
        case .dsseKMS: 3
        case .sseC: 4
        }
    }

    /// The mode stored as `code`, or nil for a byte no mode has.
    public init?(code: UInt8) {
        guard let mode = Self.allCases.first(where: { $0.code == code }) else { return nil }
        self = mode
    }

    /// The number of encryption layers the mode uses: 2 for DSSE-KMS, else 1.
    public var layers: Int { self == .dsseKMS ? 2 : 1 }

    public var description: String { rawValue }
}
