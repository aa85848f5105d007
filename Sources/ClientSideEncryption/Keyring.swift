import KeyCore

/// Where data keys come from and how they are wrapped: KMS (``KMSKeyring``), a raw AES-256 key (``AESKeyring``)
/// or an RSA key pair (``RSAKeyring``). Same shape as the official clients' keyrings.
public protocol Keyring: Sendable {
    /// A short name for messages: `KMS`, `AES`, `RSA`.
    var kind: String { get }
    /// The wrap algorithm new objects get.
    var wrapAlgorithm: KeyWrapAlgorithm { get }
    /// A fresh 32-byte data key, wrapped, for an object of `format` (V2 or V3) with the caller's `context` (the KMS
    /// encryption context, or the material description). Returns the map to store with the object.
    func makeDataKey(format: FormatVersion, context: [String: String]) async throws(ClientSideError) -> WrappedDataKey
    /// Unwraps an object's data key after checking the caller's `context` against the stored one.
    /// Legacy wraps are refused unless `allowLegacy`.
    func unwrapDataKey(_ metadata: ContentMetadata, context: [String: String], allowLegacy: Bool) async throws(ClientSideError) -> SecretBytes
}

/// A data key fresh from a keyring: the plaintext (never printed) and what goes into the envelope.
public struct WrappedDataKey: Sendable {
    public var dataKey: SecretBytes
    public var encryptedDataKey: [UInt8]
    /// The map to store: the KMS context including `aws:x-amz-cek-alg`, or the material description.
    public var storedContext: [String: String]

    public init(dataKey: SecretBytes, encryptedDataKey: [UInt8], storedContext: [String: String]) {
        self.dataKey = dataKey
        self.encryptedDataKey = encryptedDataKey
        self.storedContext = storedContext
    }
}

extension FormatVersion {
    /// The content-cipher name the wraps bind to: `"115"` for V3, `"AES/GCM/NoPadding"` for V2.
    var cekAlgorithmName: String {
        self == .v3 ? ContentCipher.aesGCMCommitting.rawValue : ContentCipher.aesGCM.rawValue
    }
}

extension Keyring {
    /// The checks every keyring makes before unwrapping: legacy switch, and the material description for raw keys
    /// (compared only when the caller gives one; the official raw keyrings use it to pick keys, not to authenticate).
    func checkUnwrap(_ metadata: ContentMetadata, context: [String: String], allowLegacy: Bool, accepts: Set<KeyWrapAlgorithm>) throws(ClientSideError) {
        guard accepts.contains(metadata.wrapAlgorithm) else { throw .wrongKeyringKind(wrap: metadata.wrapAlgorithm, keyring: kind) }
        if metadata.wrapAlgorithm.isLegacy && !allowLegacy {
            throw .legacyNotAllowed("the \(metadata.wrapAlgorithm.rawValue) key wrap")
        }
        if !metadata.wrapAlgorithm.usesKMS && !context.isEmpty && context != metadata.context { throw .contextMismatch }
    }
}
