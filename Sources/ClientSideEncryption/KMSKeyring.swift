import KeyCore
import KeyProviders

/// Data keys from KMS (`kms+context`, V3 code `12`): `GenerateDataKey` with the caller's context plus
/// `aws:x-amz-cek-alg`, and `Decrypt` with the configured key id and the stored context, exactly as the official
/// clients call it, through any ``KeyProvider`` (an ``ExternalKMSProvider`` for a KMS endpoint such as the
/// emulator's own).
public struct KMSKeyring: Keyring {
    public let provider: any KeyProvider
    /// The key as configured: id, ARN, alias name or alias ARN. Always sent on Decrypt, like the official clients.
    public let keyId: String

    public init(provider: any KeyProvider, keyId: String) {
        self.provider = provider
        self.keyId = keyId
    }

    public var kind: String { "KMS" }
    public var wrapAlgorithm: KeyWrapAlgorithm { .kmsContext }

    public func makeDataKey(format: FormatVersion, context: [String: String]) async throws(ClientSideError) -> WrappedDataKey {
        guard context[MetadataKey.reservedContextKey] == nil else { throw .reservedContextKey }
        var full = context
        full[MetadataKey.reservedContextKey] = format.cekAlgorithmName
        let made: DataKey
        do {
            made = try await provider.generateDataKey(keyId: keyId, context: full, caller: "client-side-encryption")
        } catch {
            throw .keyGenerationFailed(Self.describe(error))
        }
        guard made.plaintext.count == 32 else { throw .keyGenerationFailed("KMS returned a \(made.plaintext.count)-byte data key") }
        return WrappedDataKey(dataKey: made.plaintext, encryptedDataKey: made.sealed, storedContext: full)
    }

    public func unwrapDataKey(_ metadata: ContentMetadata, context: [String: String], allowLegacy: Bool) async throws(ClientSideError) -> SecretBytes {
        try checkUnwrap(metadata, context: context, allowLegacy: allowLegacy, accepts: [.kmsContext, .kms])
        guard context[MetadataKey.reservedContextKey] == nil else { throw .reservedContextKey }
        if metadata.wrapAlgorithm == .kmsContext {
            if let stored = metadata.context[MetadataKey.reservedContextKey], stored != metadata.version.cekAlgorithmName,
                metadata.contentCipher != .aesCBC
            {
                throw .malformedMetadata("the stored context names content cipher \(stored), not \(metadata.version.cekAlgorithmName)")
            }
        }
        guard metadata.callerContext == context else { throw .contextMismatch }
        let key: SecretBytes
        do {
            key = try await provider.decryptDataKey(metadata.encryptedDataKey, keyId: keyId, context: metadata.context, caller: "client-side-encryption")
        } catch {
            throw .unwrapFailed(Self.describe(error))
        }
        guard key.count == 32 else { throw .unwrapFailed("KMS returned a \(key.count)-byte data key") }
        return key
    }

    static func describe(_ error: KMSFault) -> String {
        error.message.isEmpty ? error.type : "\(error.type): \(error.message)"
    }
}
