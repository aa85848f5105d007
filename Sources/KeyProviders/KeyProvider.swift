import KeyCore

/// A data key fresh from a provider: the plaintext to encrypt with (then forget), and its sealed form to store.
public struct DataKey: Sendable {
    /// The plaintext data key. Use it, never store it.
    public var plaintext: SecretBytes
    /// The data key sealed by the provider's root key (a KMS ciphertext blob, or the provider's own sealed format).
    /// Opaque to callers; hand it back to ``KeyProvider/decryptDataKey(_:keyId:context:caller:)``.
    public var sealed: [UInt8]
    /// The full key ARN (or the provider's stable key name) that sealed it.
    public var keyId: String
    /// Which version of the root key sealed it (`KeyMaterialId` for KMS-like providers), when the provider knows.
    public var keyVersion: String?

    public init(plaintext: SecretBytes, sealed: [UInt8], keyId: String, keyVersion: String?) {
        self.plaintext = plaintext
        self.sealed = sealed
        self.keyId = keyId
        self.keyVersion = keyVersion
    }
}

/// What a provider says about one of its keys.
public struct KeyDescription: Sendable, Equatable {
    /// The full key ARN (or stable key name).
    public var keyId: String
    /// `Enabled`, `Disabled`, `PendingDeletion`, … as KMS names them.
    public var state: String
    public var enabled: Bool { state == "Enabled" }

    public init(keyId: String, state: String) {
        self.keyId = keyId
        self.state = state
    }
}

/// Where the encryption modes get their keys: the protocol every key provider implements.
///
/// `keyId` is whatever the caller was given (key id, key ARN, alias name or alias ARN); `nil` means the provider's
/// default key (for KMS-like providers the AWS-managed `alias/aws/s3`). The encryption context is bound to the
/// sealed key: decrypting needs the same pairs. `caller` names who asked (an access key), for the audit trail.
/// Errors are ``KMSFault``s with the KMS `__type` a real KMS would give (`NotFoundException`, `DisabledException`,
/// `KMSInvalidStateException`, `InvalidCiphertextException`, `KeyUnavailableException` when the provider is down).
public protocol KeyProvider: Sendable {
    /// A short name for logs and health output: `keymodule`, `pkcs11`, `kms-endpoint`, `static-file`.
    var name: String { get }

    /// A fresh 256-bit data key and its sealed form.
    func generateDataKey(keyId: String?, context: [String: String], caller: String) async throws(KMSFault) -> DataKey

    /// The plaintext of a data key sealed by ``generateDataKey(keyId:context:caller:)``. `keyId`, when given, must
    /// name the key that sealed it (`IncorrectKeyException` otherwise).
    func decryptDataKey(_ sealed: [UInt8], keyId: String?, context: [String: String], caller: String) async throws(KMSFault) -> SecretBytes

    /// The key's full id and state.
    func describeKey(_ keyId: String?, caller: String) async throws(KMSFault) -> KeyDescription

    /// The key SSE-S3 data keys are sealed with (`nil`: the provider's default key). The key module keeps a hidden
    /// key for it, as S3 uses keys its customers never see.
    var sseS3KeyId: String? { get }
}

extension KeyProvider {
    public var sseS3KeyId: String? { nil }
}
