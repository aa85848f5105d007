@testable import ClientSideEncryption
import KeyCore
import Testing

/// The formats against vectors made by the official Python client's own functions (tests/tools/make_cse_vectors.py).
@Suite struct KnownAnswerTests {
    @Test(arguments: KnownAnswerVectors.v3Content.indices)
    func v3KeyDerivationAndContent(_ i: Int) throws {
        let v = KnownAnswerVectors.v3Content[i]
        let derived = KeyCommitment(dataKey: SecretBytes(hex(v.dataKey)), messageID: hex(v.messageID))
        #expect(derived.contentKey.bytes == hex(v.derivedKey))
        #expect(derived.commitment == hex(v.commitment))
        #expect(derived.matches(hex(v.commitment)))
        let metadata = ContentMetadata(
            version: .v3, contentCipher: .aesGCMCommitting, wrapAlgorithm: .kmsContext, encryptedDataKey: [], iv: [], context: [:],
            commitment: derived.commitment, messageID: hex(v.messageID))
        let stored = try encryptBody(try ContentEncryptor(metadata: metadata, contentKey: derived.contentKey), hex(v.plaintext), chunk: 7)
        #expect(stored == hex(v.ciphertext))
        #expect(try decryptBody(try ContentDecryptor(metadata: metadata, contentKey: derived.contentKey), hex(v.ciphertext), chunk: 5) == hex(v.plaintext))
    }

    @Test(arguments: KnownAnswerVectors.v2Content.indices)
    func v2Content(_ i: Int) throws {
        let v = KnownAnswerVectors.v2Content[i]
        let metadata = ContentMetadata(version: .v2, contentCipher: .aesGCM, wrapAlgorithm: .aesGCM, encryptedDataKey: [], iv: hex(v.iv), context: [:])
        let key = SecretBytes(hex(v.dataKey))
        #expect(try encryptBody(try ContentEncryptor(metadata: metadata, contentKey: key), hex(v.plaintext), chunk: 13) == hex(v.ciphertext))
        #expect(try decryptBody(try ContentDecryptor(metadata: metadata, contentKey: key), hex(v.ciphertext), chunk: 3) == hex(v.plaintext))
    }

    @Test(arguments: KnownAnswerVectors.cbcContent.indices)
    func cbcContent(_ i: Int) throws {
        let v = KnownAnswerVectors.cbcContent[i]
        let metadata = ContentMetadata(version: .v1, contentCipher: .aesCBC, wrapAlgorithm: .v1AESECB, encryptedDataKey: [], iv: hex(v.iv), context: [:])
        let decryptor = try ContentDecryptor(metadata: metadata, contentKey: SecretBytes(hex(v.dataKey)))
        #expect(try decryptBody(decryptor, hex(v.ciphertext), chunk: 9) == hex(v.plaintext))
    }

    @Test(arguments: KnownAnswerVectors.aesGCMWrap.indices)
    func aesGCMWrap(_ i: Int) async throws {
        let v = KnownAnswerVectors.aesGCMWrap[i]
        let version: FormatVersion = v.aad == "115" ? .v3 : .v2
        let metadata = ContentMetadata(
            version: version, contentCipher: version == .v3 ? .aesGCMCommitting : .aesGCM, wrapAlgorithm: .aesGCM,
            encryptedDataKey: hex(v.wrapped), iv: [], context: [:])
        let keyring = try AESKeyring(wrappingKey: SecretBytes(hex(v.wrappingKey)))
        #expect(try await keyring.unwrapDataKey(metadata, context: [:], allowLegacy: false).bytes == hex(v.dataKey))
        #expect(hex(v.wrapped).prefix(12).elementsEqual(hex(v.iv)))
    }

    @Test(arguments: KnownAnswerVectors.rsaWrap.indices)
    func rsaWrap(_ i: Int) async throws {
        let v = KnownAnswerVectors.rsaWrap[i]
        let wrap: KeyWrapAlgorithm = switch v.padding {
        case "OAEP-SHA1": .rsaOAEPSHA1
        case "OAEP-SHA256": .rsaOAEPSHA256
        default: .v1RSA
        }
        let version: FormatVersion = v.cekAlg == "115" ? .v3 : (v.cekAlg.isEmpty ? .v1 : .v2)
        let metadata = ContentMetadata(
            version: version, contentCipher: version == .v3 ? .aesGCMCommitting : .aesGCM, wrapAlgorithm: wrap,
            encryptedDataKey: hex(v.wrapped), iv: [], context: [:])
        let keyring = try RSAKeyring(pem: v.privateKeyPEM)
        #expect(try await keyring.unwrapDataKey(metadata, context: [:], allowLegacy: true).bytes == hex(v.dataKey))
    }

    @Test(arguments: KnownAnswerVectors.aesKeyWrap.indices)
    func legacyAESKeyWrap(_ i: Int) async throws {
        let v = KnownAnswerVectors.aesKeyWrap[i]
        let metadata = ContentMetadata(version: .v2, contentCipher: .aesGCM, wrapAlgorithm: .aesWrap, encryptedDataKey: hex(v.wrapped), iv: [], context: [:])
        let keyring = try AESKeyring(wrappingKey: SecretBytes(hex(v.kek)))
        #expect(try await keyring.unwrapDataKey(metadata, context: [:], allowLegacy: true).bytes == hex(v.dataKey))
        await #expect(throws: ClientSideError.legacyNotAllowed("the AESWrap key wrap")) {
            _ = try await keyring.unwrapDataKey(metadata, context: [:], allowLegacy: false)
        }
    }

    @Test(arguments: KnownAnswerVectors.aesECBWrap.indices)
    func legacyAESECBWrap(_ i: Int) async throws {
        let v = KnownAnswerVectors.aesECBWrap[i]
        let metadata = ContentMetadata(version: .v1, contentCipher: .aesCBC, wrapAlgorithm: .v1AESECB, encryptedDataKey: hex(v.wrapped), iv: [], context: [:])
        let keyring = try AESKeyring(wrappingKey: SecretBytes(hex(v.kek)))
        #expect(try await keyring.unwrapDataKey(metadata, context: [:], allowLegacy: true).bytes == hex(v.dataKey))
    }

    static let legacyObjects: Set<String> = ["v1-cbc-aes-ecb", "v1-cbc-rsa-pkcs1", "v2-cbc-aeswrap", "v2-gcm-aeswrap", "v2-gcm-rsa-oaep-sha256"]

    @Test(arguments: KnownAnswerVectors.objects.map(\.name))
    func wholeObject(_ name: String) async throws {
        let v = KnownAnswerVectors.objects.first { $0.name == name }!
        let metadata = try ContentMetadata.parse(object: v.metadata)
        let keyring: any Keyring = v.wrappingKey.hasPrefix("-----BEGIN")
            ? try RSAKeyring(pem: v.wrappingKey) : try AESKeyring(wrappingKey: SecretBytes(hex(v.wrappingKey)))
        let legacy = Self.legacyObjects.contains(name)
        let cryptor = EnvelopeCryptor(keyring: keyring, readPolicy: .init(allowLegacy: legacy))
        let plaintext = try decryptBody(try await cryptor.decryptor(for: metadata, context: v.context), hex(v.body), chunk: 11)
        #expect(plaintext == hex(v.plaintext))
        if legacy {
            let strict = EnvelopeCryptor(keyring: keyring)
            await #expect(throws: ClientSideError.self) { _ = try await strict.decryptor(for: metadata, context: v.context) }
        }
        // Re-encoding the parsed envelope gives back the same metadata (modulo JSON spacing, which is parsed).
        let again = try ContentMetadata.parse(object: metadata.encoded().object)
        #expect(again == metadata)
    }
}
