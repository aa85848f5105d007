import Crypto
import CryptoExtras
import KeyCore

/// Data keys wrapped locally under a raw AES-256 key, as the Java client's `AesKeyring` does (`AES/GCM`, V3 code
/// `02`): EDK = IV12 ‖ AES-GCM(wrapping key, IV12, aad: cekAlg, data key) ‖ tag16. Reads the legacy `AESWrap`
/// (RFC 3394) and V1's AES/ECB wraps too, when legacy modes are allowed.
public struct AESKeyring: Keyring {
    private let wrappingKey: SecretBytes
    /// The material description stored with new objects.
    public let materialDescription: [String: String]

    /// `wrappingKey` must be 32 bytes.
    public init(wrappingKey: SecretBytes, materialDescription: [String: String] = [:]) throws(ClientSideError) {
        guard wrappingKey.count == 32 else { throw .io("the AES wrapping key is \(wrappingKey.count) bytes; it must be 32 (AES-256)") }
        self.wrappingKey = wrappingKey
        self.materialDescription = materialDescription
    }

    public var kind: String { "AES" }
    public var wrapAlgorithm: KeyWrapAlgorithm { .aesGCM }

    public func makeDataKey(format: FormatVersion, context: [String: String]) async throws(ClientSideError) -> WrappedDataKey {
        let dataKey = SecretBytes.random(count: 32)
        let nonce = AES.GCM.Nonce()
        let aad = Array(format.cekAlgorithmName.utf8)
        let box: AES.GCM.SealedBox
        do {
            box = try dataKey.withBytes { try AES.GCM.seal($0, using: wrappingKey.symmetricKey, nonce: nonce, authenticating: aad) }
        } catch {
            throw .io("AES-GCM key wrapping failed")
        }
        let edk = Array(nonce) + Array(box.ciphertext) + Array(box.tag)
        let description = context.isEmpty ? materialDescription : context
        return WrappedDataKey(dataKey: dataKey, encryptedDataKey: edk, storedContext: description)
    }

    public func unwrapDataKey(_ metadata: ContentMetadata, context: [String: String], allowLegacy: Bool) async throws(ClientSideError) -> SecretBytes {
        try checkUnwrap(metadata, context: context, allowLegacy: allowLegacy, accepts: [.aesGCM, .aesWrap, .v1AESECB])
        let edk = metadata.encryptedDataKey
        let key: [UInt8]
        switch metadata.wrapAlgorithm {
        case .aesGCM:
            guard edk.count > 28 else { throw .unwrapFailed("the AES/GCM-wrapped key is too short") }
            do {
                let box = try AES.GCM.SealedBox(nonce: AES.GCM.Nonce(data: edk.prefix(12)), ciphertext: edk.dropFirst(12).dropLast(16), tag: edk.suffix(16))
                key = Array(try AES.GCM.open(box, using: wrappingKey.symmetricKey, authenticating: Array(metadata.version.cekAlgorithmName.utf8)))
            } catch {
                throw .unwrapFailed("the AES key does not unwrap it (wrong key, or the wrapped key was altered)")
            }
        case .aesWrap:
            do {
                key = try AES.KeyWrap.unwrap(edk, using: wrappingKey.symmetricKey).withUnsafeBytes { Array($0) }
            } catch {
                throw .unwrapFailed("the AES key does not unwrap it (AESWrap integrity check failed)")
            }
        default: // .v1AESECB: AES/ECB/PKCS5Padding
            key = try Self.ecbDecrypt(edk, key: wrappingKey)
        }
        guard key.count == 32 else { throw .unwrapFailed("the unwrapped data key is \(key.count) bytes, not 32") }
        return SecretBytes(key)
    }

    static func ecbDecrypt(_ data: [UInt8], key: SecretBytes) throws(ClientSideError) -> [UInt8] {
        guard !data.isEmpty, data.count % 16 == 0 else { throw .unwrapFailed("the AES/ECB-wrapped key is not whole blocks") }
        var out = data
        do {
            for start in stride(from: 0, to: out.count, by: 16) {
                var block = Array(out[start..<start + 16])
                try AES.inversePermute(&block, key: key.symmetricKey)
                out.replaceSubrange(start..<start + 16, with: block)
            }
        } catch {
            throw .unwrapFailed("AES/ECB unwrapping failed")
        }
        guard let pad = out.last, (1...16).contains(pad), out.suffix(Int(pad)).allSatisfy({ $0 == pad }) else {
            throw .unwrapFailed("the AES key does not unwrap it (bad padding: wrong key?)")
        }
        return Array(out.dropLast(Int(pad)))
    }
}
