import AtRestCrypto
import Crypto
import Foundation
import KeyCore

/// The module's symmetric ciphertext blob (what Encrypt and GenerateDataKey return), format version 1.
///
/// ```
/// blob = u8 version (=1) ‖ u8 L ‖ keyId (L ASCII bytes, the bare id, not the ARN) ‖ u32be material index
///        ‖ nonce(12) ‖ AES-256-GCM ciphertext ‖ tag(16)
/// aad  = blob[0 ..< 18+L] ‖ canonical(encryption context)          (EncryptionContext.canonical)
/// ```
/// The header names the key and the backing-key version, so Decrypt needs no KeyId and rotated keys still decrypt;
/// binding the header as AAD stops a blob being moved onto another key or version. A 32-byte data key under a
/// UUID key id gives a 102-byte blob; a 4096-byte plaintext gives 4166 bytes (KMS caps blobs at 6144).
struct CiphertextBlob: Sendable, Equatable {
    static let version: UInt8 = 1

    var keyId: String
    var materialIndex: UInt32
    var nonce: [UInt8]
    var ciphertextAndTag: [UInt8]

    var header: [UInt8] {
        let id = Array(keyId.utf8)
        var h: [UInt8] = [Self.version, UInt8(id.count)] + id
        h.appendU32(materialIndex)
        return h
    }

    var bytes: [UInt8] { header + nonce + ciphertextAndTag }

    /// Parses a blob; anything that is not a version-1 blob is `InvalidCiphertextException`.
    static func parse(_ b: [UInt8]) throws(KMSFault) -> CiphertextBlob {
        guard b.count >= 2, b[0] == version else { throw .invalidCiphertext }
        let l = Int(b[1])
        guard l > 0, b.count >= 2 + l + 4 + 12 + 16 else { throw .invalidCiphertext }
        let idBytes = b[2..<(2 + l)]
        guard idBytes.allSatisfy({ $0 == 0x2D || ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) })
        else { throw .invalidCiphertext }
        return CiphertextBlob(
            keyId: String(decoding: idBytes, as: UTF8.self), materialIndex: b.readU32(at: 2 + l),
            nonce: Array(b[(6 + l)..<(18 + l)]), ciphertextAndTag: Array(b[(18 + l)...]))
    }

    /// Blobs are sealed and opened with AtRestCrypto's AES-256-GCM context (OpenSSL's EVP through `CAEAD`): a fifth
    /// of swift-crypto's cost for these short messages, which every GenerateDataKey and Decrypt seals or opens once.
    static func seal(_ plaintext: [UInt8], keyId: String, materialIndex: UInt32, key: SymmetricKey, context: [UInt8]) -> CiphertextBlob {
        var blob = CiphertextBlob(keyId: keyId, materialIndex: materialIndex, nonce: Array(AES.GCM.Nonce()), ciphertextAndTag: [])
        let sealed = try! AES256GCMContext(key: key).seal(plaintext, nonce: blob.nonce, aad: blob.header + context)
        blob.ciphertextAndTag = sealed.ciphertext + sealed.tag
        return blob
    }

    func open(key: SymmetricKey, context: [UInt8]) throws(KMSFault) -> [UInt8] {
        guard ciphertextAndTag.count >= AES256GCMContext.tagSize,
            let plain = try? AES256GCMContext(key: key).open(
                Array(ciphertextAndTag.dropLast(AES256GCMContext.tagSize)),
                tag: Array(ciphertextAndTag.suffix(AES256GCMContext.tagSize)), nonce: nonce, aad: header + context)
        else { throw .invalidCiphertext }
        return plain
    }
}

extension KeyMaterial {
    /// `KeyMaterialId`: 64 hex chars from the key id and material index, never from key bytes.
    static func materialId(keyId: String, index: UInt32) -> String {
        var b = Array(keyId.utf8)
        b.appendU32(index)
        return SHA256.hash(data: b).lowercaseHex
    }
}
