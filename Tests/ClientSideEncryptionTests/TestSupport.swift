@testable import ClientSideEncryption
import Crypto
import Foundation
import KeyCore
import KeyProviders

func hex(_ text: String) -> [UInt8] {
    var out: [UInt8] = []
    var index = text.startIndex
    while index < text.endIndex {
        let next = text.index(index, offsetBy: 2)
        out.append(UInt8(text[index..<next], radix: 16)!)
        index = next
    }
    return out
}

/// Encrypts `plaintext` fed in pieces of `chunk` bytes; returns the stored body (ciphertext ‖ tag).
func encryptBody(_ encryptor: ContentEncryptor, _ plaintext: [UInt8], chunk: Int = 1 << 20) throws -> [UInt8] {
    var out: [UInt8] = []
    var offset = 0
    while offset < plaintext.count {
        let end = min(plaintext.count, offset + chunk)
        out += try encryptor.update(Array(plaintext[offset..<end]))
        offset = end
    }
    return out + (try encryptor.finish())
}

/// Decrypts a stored body fed in pieces of `chunk` bytes.
func decryptBody(_ decryptor: ContentDecryptor, _ stored: [UInt8], chunk: Int = 1 << 20) throws(ClientSideError) -> [UInt8] {
    var out: [UInt8] = []
    var offset = 0
    while offset < stored.count {
        let end = min(stored.count, offset + max(1, chunk))
        out += try decryptor.update(Array(stored[offset..<end]))
        offset = end
    }
    return out + (try decryptor.finish())
}

/// A KMS stand-in: wraps data keys with AES-GCM under one key per key id, binding the encryption context, and
/// records every call, so the KMS keyring's requests can be checked without a server.
final class FakeKMS: KeyProvider, @unchecked Sendable {
    struct Call: Equatable { var operation: String; var keyId: String?; var context: [String: String] }
    private let lock = NSLock()
    private var recorded: [Call] = []
    let knownKeys: Set<String>

    init(keys: Set<String> = ["key-1", "alias/app"]) { knownKeys = keys }

    var name: String { "fake" }
    var calls: [Call] { lock.withLock { recorded } }

    func generateDataKey(keyId: String?, context: [String: String], caller: String) async throws(KMSFault) -> DataKey {
        lock.withLock { recorded.append(Call(operation: "GenerateDataKey", keyId: keyId, context: context)) }
        guard let keyId, knownKeys.contains(keyId) else { throw .notFound("Key '\(keyId ?? "")' does not exist") }
        let plaintext = SecretBytes.random(count: 32)
        return DataKey(plaintext: plaintext, sealed: Array(keyId.utf8) + [0] + seal(plaintext.bytes, context), keyId: "arn:\(keyId)", keyVersion: nil)
    }

    func decryptDataKey(_ sealed: [UInt8], keyId: String?, context: [String: String], caller: String) async throws(KMSFault) -> SecretBytes {
        lock.withLock { recorded.append(Call(operation: "Decrypt", keyId: keyId, context: context)) }
        guard let zero = sealed.firstIndex(of: 0) else { throw .invalidCiphertext }
        let owner = String(decoding: sealed[..<zero], as: UTF8.self)
        guard owner == keyId else { throw KMSFault("IncorrectKeyException", "The key ID in the request does not identify a CMK that can perform this operation.") }
        guard let plain = open(Array(sealed[(zero + 1)...]), context) else { throw .invalidCiphertext }
        return SecretBytes(plain)
    }

    func describeKey(_ keyId: String?, caller: String) async throws(KMSFault) -> KeyDescription {
        KeyDescription(keyId: keyId ?? "", state: "Enabled")
    }

    // AES-GCM under a key fixed for the fake, with the canonical context as AAD, as KMS binds it.
    private let wrappingKey = SymmetricKey(data: [UInt8](repeating: 0x42, count: 32))
    private func seal(_ key: [UInt8], _ context: [String: String]) -> [UInt8] {
        let box = try! AES.GCM.seal(key, using: wrappingKey, authenticating: EncryptionContext.canonical(context))
        return Array(box.combined!)
    }
    private func open(_ sealed: [UInt8], _ context: [String: String]) -> [UInt8]? {
        guard let box = try? AES.GCM.SealedBox(combined: sealed) else { return nil }
        return (try? AES.GCM.open(box, using: wrappingKey, authenticating: EncryptionContext.canonical(context))).map { Array($0) }
    }
}
