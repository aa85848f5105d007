@testable import ClientSideEncryption
import CryptoExtras
import KeyCore
import Testing

@Suite struct EnvelopeCryptorTests {
    static let aes = try! AESKeyring(wrappingKey: SecretBytes(Array(0..<32)))
    static let rsaPEM = KnownAnswerVectors.rsaPrivateKeyPEM

    static func plaintext(_ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) } }

    static func roundTrip(_ keyring: any Keyring, format: FormatVersion, context: [String: String] = [:], size: Int, writeChunk: Int, readChunk: Int) async throws {
        let cryptor = EnvelopeCryptor(keyring: keyring)
        let encryptor = try await cryptor.encryptor(format: format, context: context)
        let plain = plaintext(size)
        let stored = try encryptBody(encryptor, plain, chunk: writeChunk)
        #expect(stored.count == size + 16)
        let metadata = try ContentMetadata.parse(object: encryptor.metadata.encoded().object)
        #expect(metadata.version == format)
        let decrypted = try decryptBody(try await cryptor.decryptor(for: metadata, context: context), stored, chunk: readChunk)
        #expect(decrypted == plain)
    }

    @Test(arguments: [FormatVersion.v3, .v2], [0, 1, 15, 16, 17, 1000, 70_000])
    func aesRoundTrip(_ format: FormatVersion, _ size: Int) async throws {
        try await Self.roundTrip(Self.aes, format: format, size: size, writeChunk: 4096, readChunk: 333)
    }

    @Test(arguments: [FormatVersion.v3, .v2])
    func rsaRoundTripAndPublicKeyOnlyWrites(_ format: FormatVersion) async throws {
        try await Self.roundTrip(try RSAKeyring(pem: Self.rsaPEM), format: format, context: ["who": "tests"], size: 5000, writeChunk: 100, readChunk: 1)
        let publicOnly = try RSAKeyring(pem: KnownAnswerVectors.rsaPublicKeyPEM)
        let encryptor = try await EnvelopeCryptor(keyring: publicOnly).encryptor(format: format)
        let stored = try encryptBody(encryptor, [1, 2, 3])
        let metadata = try ContentMetadata.parse(object: encryptor.metadata.encoded().object)
        await #expect(throws: ClientSideError.unwrapFailed("reading needs the RSA private key; a public key was given")) {
            _ = try await EnvelopeCryptor(keyring: publicOnly).decryptor(for: metadata)
        }
        let full = EnvelopeCryptor(keyring: try RSAKeyring(pem: Self.rsaPEM))
        #expect(try decryptBody(try await full.decryptor(for: metadata), stored) == [1, 2, 3])
    }

    @Test func everyFlippedByteOfTheBodyIsDetected() async throws {
        let cryptor = EnvelopeCryptor(keyring: Self.aes)
        for format in [FormatVersion.v3, .v2] {
            let encryptor = try await cryptor.encryptor(format: format)
            let stored = try encryptBody(encryptor, Self.plaintext(40))
            for i in stored.indices {
                var tampered = stored
                tampered[i] ^= 0x01
                let decryptor = try await cryptor.decryptor(for: encryptor.metadata)
                #expect(throws: ClientSideError.authenticationFailed) { _ = try decryptBody(decryptor, tampered, chunk: 7) }
            }
            // Cut short, or with a byte appended.
            let short = try await cryptor.decryptor(for: encryptor.metadata)
            #expect(throws: ClientSideError.authenticationFailed) { _ = try decryptBody(short, Array(stored.dropLast())) }
            let long = try await cryptor.decryptor(for: encryptor.metadata)
            #expect(throws: ClientSideError.authenticationFailed) { _ = try decryptBody(long, stored + [0]) }
        }
    }

    @Test func theCommitmentIsCheckedBeforeDecryption() async throws {
        let cryptor = EnvelopeCryptor(keyring: Self.aes)
        let encryptor = try await cryptor.encryptor()
        var metadata = encryptor.metadata
        metadata.commitment![0] ^= 0x80
        await #expect(throws: ClientSideError.commitmentMismatch) { _ = try await cryptor.decryptor(for: metadata) }
        metadata = encryptor.metadata
        metadata.messageID![27] ^= 0x01  // another message ID derives another commitment
        await #expect(throws: ClientSideError.commitmentMismatch) { _ = try await cryptor.decryptor(for: metadata) }
    }

    @Test func wrongKeysAndPolicies() async throws {
        let encryptor = try await EnvelopeCryptor(keyring: Self.aes).encryptor(format: .v2)
        let other = try AESKeyring(wrappingKey: SecretBytes(Array(repeating: 9, count: 32)))
        await #expect(throws: ClientSideError.unwrapFailed("the AES key does not unwrap it (wrong key, or the wrapped key was altered)")) {
            _ = try await EnvelopeCryptor(keyring: other).decryptor(for: encryptor.metadata)
        }
        await #expect(throws: ClientSideError.commitmentRequired(.v2)) {
            _ = try await EnvelopeCryptor(keyring: Self.aes, readPolicy: .init(requireCommitment: true)).decryptor(for: encryptor.metadata)
        }
        await #expect(throws: ClientSideError.wrongKeyringKind(wrap: .aesGCM, keyring: "RSA")) {
            _ = try await EnvelopeCryptor(keyring: try RSAKeyring(pem: Self.rsaPEM)).decryptor(for: encryptor.metadata)
        }
        // A V2 AES/GCM-wrapped key bound to "AES/GCM/NoPadding" does not open when relabelled V3 (AAD "115").
        var relabelled = encryptor.metadata
        relabelled.version = .v3
        await #expect(throws: ClientSideError.self) { _ = try await Self.aes.unwrapDataKey(relabelled, context: [:], allowLegacy: false) }
        // Material description: compared when the reader gives one.
        let described = try await EnvelopeCryptor(keyring: Self.aes).encryptor(context: ["owner": "a"])
        await #expect(throws: ClientSideError.contextMismatch) {
            _ = try await EnvelopeCryptor(keyring: Self.aes).decryptor(for: described.metadata, context: ["owner": "b"])
        }
        _ = try await EnvelopeCryptor(keyring: Self.aes).decryptor(for: described.metadata)
    }

    @Test func writingV1IsRefused() async throws {
        await #expect(throws: ClientSideError.self) { _ = try await EnvelopeCryptor(keyring: Self.aes).encryptor(format: .v1) }
    }

    @Test(arguments: [FormatVersion.v3, .v2])
    func rangesDecryptTheRightBytes(_ format: FormatVersion) async throws {
        let cryptor = EnvelopeCryptor(keyring: Self.aes)
        let encryptor = try await cryptor.encryptor(format: format)
        let plain = Self.plaintext(1000)
        let stored = try encryptBody(encryptor, plain)
        for (first, last) in [(0, 0), (0, 999), (15, 16), (16, 31), (17, 500), (999, 999), (990, 5000), (123, 124)] {
            let decryptor = try await cryptor.rangeDecryptor(
                for: encryptor.metadata, range: Int64(first)...Int64(last), storedLength: Int64(stored.count))
            let fetch = decryptor.plan.fetch
            var out: [UInt8] = []
            let slice = Array(stored[Int(fetch.lowerBound)...Int(fetch.upperBound)])
            for piece in stride(from: 0, to: slice.count, by: 5) { out += try decryptor.update(Array(slice[piece..<min(slice.count, piece + 5)])) }
            #expect(out == Array(plain[first...min(last, 999)]), "range \(first)-\(last)")
        }
        await #expect(throws: ClientSideError.self) {
            _ = try await cryptor.rangeDecryptor(for: encryptor.metadata, range: 1000...1001, storedLength: Int64(stored.count))
        }
    }
}

@Suite struct KMSKeyringTests {
    @Test func callsKMSAsTheOfficialClientDoes() async throws {
        let kms = FakeKMS()
        let keyring = KMSKeyring(provider: kms, keyId: "alias/app")
        let cryptor = EnvelopeCryptor(keyring: keyring)
        let v3 = try await cryptor.encryptor(format: .v3, context: ["tenant": "acme"])
        #expect(v3.metadata.context == ["tenant": "acme", "aws:x-amz-cek-alg": "115"])
        let v2 = try await cryptor.encryptor(format: .v2)
        #expect(v2.metadata.context == ["aws:x-amz-cek-alg": "AES/GCM/NoPadding"])
        _ = try await cryptor.decryptor(for: v3.metadata, context: ["tenant": "acme"])
        #expect(kms.calls == [
            .init(operation: "GenerateDataKey", keyId: "alias/app", context: ["tenant": "acme", "aws:x-amz-cek-alg": "115"]),
            .init(operation: "GenerateDataKey", keyId: "alias/app", context: ["aws:x-amz-cek-alg": "AES/GCM/NoPadding"]),
            .init(operation: "Decrypt", keyId: "alias/app", context: ["tenant": "acme", "aws:x-amz-cek-alg": "115"]),
        ])
        let stored = try encryptBody(v2, [1, 2, 3])
        let metadata = try ContentMetadata.parse(object: v2.metadata.encoded().object)
        #expect(try decryptBody(try await cryptor.decryptor(for: metadata), stored) == [1, 2, 3])
    }

    @Test func contextRules() async throws {
        let kms = FakeKMS()
        let cryptor = EnvelopeCryptor(keyring: KMSKeyring(provider: kms, keyId: "key-1"))
        await #expect(throws: ClientSideError.reservedContextKey) { _ = try await cryptor.encryptor(context: ["aws:x-amz-cek-alg": "x"]) }
        let encryptor = try await cryptor.encryptor(context: ["tenant": "acme"])
        let before = kms.calls.count
        for wrong in [[:], ["tenant": "other"], ["tenant": "acme", "extra": "1"]] {
            await #expect(throws: ClientSideError.contextMismatch) { _ = try await cryptor.decryptor(for: encryptor.metadata, context: wrong) }
        }
        await #expect(throws: ClientSideError.reservedContextKey) {
            _ = try await cryptor.decryptor(for: encryptor.metadata, context: ["tenant": "acme", "aws:x-amz-cek-alg": "115"])
        }
        #expect(kms.calls.count == before, "a context mismatch is caught before KMS is called")
        // A stored context edited to match a reader's: KMS refuses, because the context is bound to the blob.
        var edited = encryptor.metadata
        edited.context["tenant"] = "mallory"
        await #expect(throws: ClientSideError.unwrapFailed("InvalidCiphertextException")) {
            _ = try await cryptor.decryptor(for: edited, context: ["tenant": "mallory"])
        }
    }

    @Test func kmsErrorsPassThrough() async throws {
        let kms = FakeKMS()
        let encryptor = try await EnvelopeCryptor(keyring: KMSKeyring(provider: kms, keyId: "key-1")).encryptor()
        await #expect(throws: ClientSideError.unwrapFailed("IncorrectKeyException: The key ID in the request does not identify a CMK that can perform this operation.")) {
            _ = try await EnvelopeCryptor(keyring: KMSKeyring(provider: kms, keyId: "alias/app")).decryptor(for: encryptor.metadata)
        }
        await #expect(throws: ClientSideError.keyGenerationFailed("NotFoundException: Key 'nope' does not exist")) {
            _ = try await EnvelopeCryptor(keyring: KMSKeyring(provider: kms, keyId: "nope")).encryptor()
        }
        // Legacy `kms` wrap needs the legacy switch.
        var legacy = encryptor.metadata
        legacy.wrapAlgorithm = .kms
        await #expect(throws: ClientSideError.legacyNotAllowed("the kms key wrap")) {
            _ = try await EnvelopeCryptor(keyring: KMSKeyring(provider: kms, keyId: "key-1")).decryptor(for: legacy)
        }
    }
}
