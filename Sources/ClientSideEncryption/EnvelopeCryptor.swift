import Crypto
import KeyCore

/// Starts the encryption and decryption of objects with one keyring: fresh data key and envelope on write; format,
/// legacy and commitment checks, key unwrapping and the V3 commitment check on read.
public struct EnvelopeCryptor: Sendable {
    /// What a reader accepts.
    public struct ReadPolicy: Sendable, Equatable {
        /// Read V1 and AES/CBC objects and the legacy key wraps (the official clients' "legacy unauthenticated
        /// modes" and "legacy wrapping algorithms").
        public var allowLegacy: Bool
        /// Refuse V1 and V2 objects (the official `REQUIRE_ENCRYPT_REQUIRE_DECRYPT` policy).
        public var requireCommitment: Bool

        public init(allowLegacy: Bool = false, requireCommitment: Bool = false) {
            self.allowLegacy = allowLegacy
            self.requireCommitment = requireCommitment
        }
    }

    public let keyring: any Keyring
    public var readPolicy: ReadPolicy

    public init(keyring: any Keyring, readPolicy: ReadPolicy = ReadPolicy()) {
        self.keyring = keyring
        self.readPolicy = readPolicy
    }

    /// A new object's encryptor: V3 (default) or V2, with the caller's encryption context or material description.
    public func encryptor(format: FormatVersion = .v3, context: [String: String] = [:]) async throws(ClientSideError) -> ContentEncryptor {
        guard format != .v1 else { throw .unsupported("writing V1 objects (a legacy, unauthenticated format)") }
        let wrapped = try await keyring.makeDataKey(format: format, context: context)
        switch format {
        case .v3:
            let messageID = SecretBytes.random(count: KeyCommitment.messageIDLength).bytes
            let derived = KeyCommitment(dataKey: wrapped.dataKey, messageID: messageID)
            let metadata = ContentMetadata(
                version: .v3, contentCipher: .aesGCMCommitting, wrapAlgorithm: keyring.wrapAlgorithm, encryptedDataKey: wrapped.encryptedDataKey,
                iv: [], context: wrapped.storedContext, commitment: derived.commitment, messageID: messageID)
            return try ContentEncryptor(metadata: metadata, contentKey: derived.contentKey)
        default:
            let metadata = ContentMetadata(
                version: .v2, contentCipher: .aesGCM, wrapAlgorithm: keyring.wrapAlgorithm, encryptedDataKey: wrapped.encryptedDataKey,
                iv: Array(AES.GCM.Nonce()), context: wrapped.storedContext)
            return try ContentEncryptor(metadata: metadata, contentKey: wrapped.dataKey)
        }
    }

    /// The key the body of `metadata`'s object is encrypted under, after every check: policy, context, unwrapping,
    /// and for V3 the key commitment (compared in constant time before any of the body is decrypted).
    public func contentKey(for metadata: ContentMetadata, context: [String: String] = [:]) async throws(ClientSideError) -> SecretBytes {
        if readPolicy.requireCommitment && metadata.version != .v3 { throw .commitmentRequired(metadata.version) }
        if metadata.contentCipher == .aesCBC && !readPolicy.allowLegacy {
            throw .legacyNotAllowed("AES/CBC content encryption (\(metadata.version.rawValue))")
        }
        let dataKey = try await keyring.unwrapDataKey(metadata, context: context, allowLegacy: readPolicy.allowLegacy)
        guard metadata.version == .v3 else { return dataKey }
        guard let messageID = metadata.messageID, let stored = metadata.commitment else { throw .malformedMetadata("V3 without x-amz-i or x-amz-d") }
        let derived = KeyCommitment(dataKey: dataKey, messageID: messageID)
        guard derived.matches(stored) else { throw .commitmentMismatch }
        return derived.contentKey
    }

    /// A decryptor for the whole body of `metadata`'s object.
    public func decryptor(for metadata: ContentMetadata, context: [String: String] = [:]) async throws(ClientSideError) -> ContentDecryptor {
        try ContentDecryptor(metadata: metadata, contentKey: try await contentKey(for: metadata, context: context))
    }

    /// An unauthenticated decryptor for a plaintext byte range of a GCM object (V2, V3), with the stored bytes to
    /// fetch. The GCM tag covers the whole body, so a range cannot be authenticated: the official Java client,
    /// too, offers ranges only in its legacy-unauthenticated mode.
    public func rangeDecryptor(
        for metadata: ContentMetadata, context: [String: String] = [:], range: ClosedRange<Int64>, storedLength: Int64
    ) async throws(ClientSideError) -> RangeDecryptor {
        let plan = try RangePlan(metadata: metadata, range: range, storedLength: storedLength)
        return try RangeDecryptor(plan: plan, contentKey: try await contentKey(for: metadata, context: context))
    }
}
