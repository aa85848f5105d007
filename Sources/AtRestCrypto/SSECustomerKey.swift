import Crypto
import KeyCore

/// A customer-provided key (SSE-C): 32 bytes the client sends with every request. The emulator never stores it;
/// it keeps the object's data key sealed under a key derived from it, and a salted MAC to recognise it.
///
/// ```
/// wrapKey        = HKDF-SHA256(ikm: customerKey, salt: salt, info: "s3emu sse-c wrap v1", length: 32)
/// sealedDataKey  = nonce(12, random) ‖ AES-256-GCM(wrapKey, nonce, aad: "s3emu sse-c wrap v1", dataKey) ‖ tag(16)
/// mac            = HMAC-SHA256(key: customerKey, "s3emu sse-c mac v1" ‖ salt)
/// ```
/// `salt` is 32 random bytes per object (`EncryptionEnvelope.customerKeySalt`).
public struct SSECustomerKey: Sendable, CustomStringConvertible {
    /// The key bytes.
    public let key: SecretBytes

    static let wrapLabel = Array("s3emu sse-c wrap v1".utf8)
    static let macLabel = Array("s3emu sse-c mac v1".utf8)
    /// Bytes of a sealed data key: nonce, 32-byte key, tag.
    public static let sealedDataKeySize = 12 + 32 + 16

    /// A customer key; throws `invalidKeyLength` unless it is 32 bytes.
    public init(_ key: SecretBytes) throws(AtRestCryptoError) {
        guard key.count == AtRestFormat.keySize else { throw .invalidKeyLength(key.count) }
        self.key = key
    }

    /// MD5 of the key (16 bytes), as the `x-amz-server-side-encryption-customer-key-MD5` header carries it in base64.
    public var md5: [UInt8] { key.withBytes { Array(Insecure.MD5.hash(data: $0)) } }

    /// The salted MAC that recognises this key (32 bytes).
    public func mac(salt: [UInt8]) -> [UInt8] {
        var auth = HMAC<SHA256>(key: key.symmetricKey)
        auth.update(data: Self.macLabel)
        auth.update(data: salt)
        return Array(auth.finalize())
    }

    /// True when `mac` is this key's MAC under `salt`; compares in constant time.
    public func matches(mac: [UInt8], salt: [UInt8]) -> Bool {
        constantTimeEqual(self.mac(salt: salt), mac)
    }

    /// Seals a 32-byte data key under a key derived from this customer key and `salt`.
    public func sealDataKey(_ dataKey: SecretBytes, salt: [UInt8]) throws(AtRestCryptoError) -> [UInt8] {
        guard dataKey.count == AtRestFormat.keySize else { throw .invalidKeyLength(dataKey.count) }
        do {
            let box = try dataKey.withBytes { plain in
                try AES.GCM.seal(plain, using: wrapKey(salt: salt), authenticating: Self.wrapLabel)
            }
            guard let combined = box.combined else { throw AtRestCryptoError.cipherFailure }
            return Array(combined)
        } catch {
            throw .cipherFailure
        }
    }

    /// Unseals a data key sealed by `sealDataKey` under the same key and salt; a different customer key, salt or
    /// altered bytes throw `authenticationFailed(segment: -1)`.
    public func unsealDataKey(_ sealed: [UInt8], salt: [UInt8]) throws(AtRestCryptoError) -> SecretBytes {
        guard sealed.count == Self.sealedDataKeySize else {
            throw .invalidParameter("sealed data key of \(sealed.count) bytes")
        }
        do {
            let box = try AES.GCM.SealedBox(combined: sealed)
            return SecretBytes(Array(try AES.GCM.open(box, using: wrapKey(salt: salt), authenticating: Self.wrapLabel)))
        } catch {
            throw .authenticationFailed(segment: -1)
        }
    }

    private func wrapKey(salt: [UInt8]) -> SymmetricKey {
        HKDFSHA256.deriveKey(ikm: key, salt: salt, info: Self.wrapLabel, count: AtRestFormat.keySize)
    }

    public var description: String { "SSECustomerKey(<redacted>)" }
}
