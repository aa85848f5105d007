@testable import AtRestCrypto
import KeyCore
import Testing

@Suite struct EncryptionEnvelopeTests {
    static let full = EncryptionEnvelope(
        mode: .dsseKMS, salt: Golden.salt, sealedDataKeys: [[1, 2, 3], Array(repeating: 9, count: 200)],
        kmsKeyARN: "arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        keyVersion: "material-7", encryptionContext: #"{"department":"é"}"#, bucketKeyEnabled: true)

    @Test(arguments: [
        full,
        EncryptionEnvelope(mode: .sseS3, salt: [], sealedDataKeys: []),
        EncryptionEnvelope(mode: .sseKMS, segmentSize: 16, salt: [7], sealedDataKeys: [[]], kmsKeyARN: "k"),
        EncryptionEnvelope(mode: .sseC, salt: Golden.salt, sealedDataKeys: [Array(repeating: 4, count: 60)],
                           customerKeyMD5: "cLyPS3KoaSFGi/joRB3OUQ==", customerKeySalt: Array(repeating: 1, count: 32),
                           customerKeyMAC: Array(repeating: 2, count: 32)),
    ])
    func roundTrips(envelope: EncryptionEnvelope) throws {
        let bytes = envelope.encoded()
        #expect(bytes.first == 1)
        #expect(try EncryptionEnvelope.decode(bytes) == envelope)
    }

    @Test func defaultsFollowTheMode() {
        #expect(Self.full.layers == 2)
        #expect(EncryptionEnvelope(mode: .sseKMS, salt: [], sealedDataKeys: []).layers == 1)
        #expect(Self.full.formatVersion == AtRestFormat.version && Self.full.algorithm == "AES256-GCM-SEG64K-HKDF")
        #expect(Self.full.layout(plaintextSize: 65_537).storedSize == 65_537 + 64)
    }

    /// Version 1 written out by hand from the documented layout.
    static let handWrittenV1: [UInt8] =
        [1, 1, 2] + [0, 0, 0, 22] + Array("AES256-GCM-SEG64K-HKDF".utf8) + [0, 1, 0, 0] + [1]
        + [0, 0, 0, 2, 0xAA, 0xBB] + [1] + [0, 0, 0, 3, 7, 8, 9]
        + [0, 0, 0, 5] + Array("arn:x".utf8) + [0, 0, 0, 2] + Array("v3".utf8) + [0, 0, 0, 0] + [0]
        + [0, 0, 0, 0] + [0, 0, 0, 0] + [0, 0, 0, 0]

    @Test func decodesAHandWrittenVersion1() throws {
        let e = try EncryptionEnvelope.decode(Self.handWrittenV1)
        #expect(e == EncryptionEnvelope(mode: .sseKMS, salt: [0xAA, 0xBB], sealedDataKeys: [[7, 8, 9]],
                                        kmsKeyARN: "arn:x", keyVersion: "v3"))
        #expect(e.encoded() == Self.handWrittenV1)
    }

    @Test(arguments: [UInt8(0), 2, 99, 255])
    func rejectsVersionsItDoesNotRead(version: UInt8) {
        var bytes = Self.handWrittenV1
        bytes[0] = version
        #expect(throws: AtRestCryptoError.unsupportedVersion(version)) { try EncryptionEnvelope.decode(bytes) }
    }

    @Test func rejectsEveryTruncation() {
        let bytes = Self.full.encoded()
        for n in 0..<bytes.count {
            #expect(throws: AtRestCryptoError.self) { try EncryptionEnvelope.decode(Array(bytes.prefix(n))) }
        }
        #expect(throws: AtRestCryptoError.malformedEnvelope("1 trailing bytes")) {
            try EncryptionEnvelope.decode(bytes + [0])
        }
    }

    @Test func rejectsUnknownValues() {
        func patched(_ at: Int, _ value: UInt8) -> [UInt8] {
            var b = Self.handWrittenV1
            b[at] = value
            return b
        }
        let layersAt = 3 + 4 + 22 + 4
        let flagsAt = Self.handWrittenV1.count - 13
        #expect(throws: AtRestCryptoError.malformedEnvelope("unknown mode 9")) {
            try EncryptionEnvelope.decode(patched(2, 9))
        }
        #expect(throws: AtRestCryptoError.malformedEnvelope("3 layers")) {
            try EncryptionEnvelope.decode(patched(layersAt, 3))
        }
        #expect(throws: AtRestCryptoError.malformedEnvelope("unknown flags 2")) {
            try EncryptionEnvelope.decode(patched(flagsAt, 2))
        }
        #expect(throws: AtRestCryptoError.malformedEnvelope("segment size 0")) {
            try EncryptionEnvelope.decode(patched(layersAt - 3, 0))
        }
        #expect(throws: AtRestCryptoError.malformedEnvelope("empty")) { try EncryptionEnvelope.decode([]) }
    }

    @Test func keysFollowTheEnvelope() throws {
        let context = objectContext(mode: .dsseKMS)
        let envelope = EncryptionEnvelope(mode: .dsseKMS, segmentSize: 16, salt: Golden.salt, sealedDataKeys: [[], []])
        let keys = try SegmentKeys(envelope: envelope, dataKeys: [Golden.dataKey, Golden.outerDataKey], context: context)
        #expect(keys.layers == 2 && keys.segmentSize == 16 && keys.salt == Golden.salt)
        let stored = try SegmentSealer.seal(Golden.plaintext, keys: keys)
        #expect(try SegmentOpener(keys: keys).openObject(stored) == Golden.plaintext)

        var other = envelope
        other.algorithm = "AES256-GCM-SEG1M-HKDF"
        #expect(throws: AtRestCryptoError.unsupportedAlgorithm("AES256-GCM-SEG1M-HKDF")) {
            try SegmentKeys(envelope: other, dataKeys: [Golden.dataKey, Golden.outerDataKey], context: context)
        }
        other = envelope
        other.formatVersion = 2
        #expect(throws: AtRestCryptoError.unsupportedVersion(2)) {
            try SegmentKeys(envelope: other, dataKeys: [Golden.dataKey, Golden.outerDataKey], context: context)
        }
        #expect(throws: AtRestCryptoError.self) {
            try SegmentKeys(envelope: envelope, dataKeys: [Golden.dataKey], context: context)
        }
        #expect(throws: AtRestCryptoError.self) {
            try SegmentKeys(envelope: envelope, dataKeys: [Golden.dataKey, Golden.outerDataKey],
                            context: objectContext(mode: .sseKMS))
        }
    }

    @Test func keySetsRejectBadInputs() {
        let context = objectContext()
        #expect(throws: AtRestCryptoError.invalidKeyLength(31)) {
            try SegmentKeys(dataKey: SecretBytes(randomBytes(31)), salt: Golden.salt, context: context)
        }
        #expect(throws: AtRestCryptoError.invalidKeyLength(33)) {
            try SegmentKeys(dataKey: Golden.dataKey, outerDataKey: SecretBytes(randomBytes(33)), salt: Golden.salt,
                            context: context)
        }
        #expect(throws: AtRestCryptoError.invalidParameter("salt of 16 bytes")) {
            try SegmentKeys(dataKey: Golden.dataKey, salt: randomBytes(16), context: context)
        }
        #expect(throws: AtRestCryptoError.invalidParameter("segment size 0")) {
            try SegmentKeys(dataKey: Golden.dataKey, salt: Golden.salt, context: context, segmentSize: 0)
        }
    }

    @Test func modesHaveStableCodes() {
        #expect(EncryptionMode.allCases.map(\.code) == [1, 2, 3, 4])
        #expect(EncryptionMode.allCases.map(\.rawValue) == ["SSE-S3", "SSE-KMS", "DSSE-KMS", "SSE-C"])
        #expect(EncryptionMode(code: 0) == nil && EncryptionMode(code: 3) == .dsseKMS)
    }
}
