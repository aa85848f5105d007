@testable import AtRestCrypto
import KeyCore
import Testing

@Suite struct SSECustomerKeyTests {
    @Test func recognisesItsKeyByMAC() throws {
        let key = try SSECustomerKey(.random(count: 32))
        let other = try SSECustomerKey(.random(count: 32))
        let salt = AtRestFormat.newSalt()
        let mac = key.mac(salt: salt)
        #expect(mac.count == 32)
        #expect(key.matches(mac: mac, salt: salt))
        #expect(!other.matches(mac: mac, salt: salt))
        #expect(!key.matches(mac: mac, salt: AtRestFormat.newSalt()))
        #expect(key.mac(salt: AtRestFormat.newSalt()) != mac)
        #expect(!key.matches(mac: Array(mac.dropLast()), salt: salt))
    }

    @Test func wrapsTheDataKey() throws {
        let key = try SSECustomerKey(.random(count: 32))
        let dataKey = SecretBytes.random(count: 32)
        let salt = AtRestFormat.newSalt()
        let sealed = try key.sealDataKey(dataKey, salt: salt)
        #expect(sealed.count == SSECustomerKey.sealedDataKeySize)
        #expect(try key.unsealDataKey(sealed, salt: salt) == dataKey)
        #expect(try key.sealDataKey(dataKey, salt: salt) != sealed)  // fresh nonce each time
        #expect(throws: AtRestCryptoError.authenticationFailed(segment: -1)) {
            try key.unsealDataKey(sealed, salt: AtRestFormat.newSalt())
        }
        #expect(throws: AtRestCryptoError.authenticationFailed(segment: -1)) {
            try SSECustomerKey(.random(count: 32)).unsealDataKey(sealed, salt: salt)
        }
        for i in sealed.indices {
            var bad = sealed
            bad[i] ^= 0x01
            #expect(throws: AtRestCryptoError.authenticationFailed(segment: -1)) { try key.unsealDataKey(bad, salt: salt) }
        }
    }

    @Test func theEnvelopeKeepsNoCustomerKey() throws {
        let customer = try SSECustomerKey(.random(count: 32))
        let dataKey = SecretBytes.random(count: 32)
        let envelope = try EncryptionEnvelope.sseC(dataKey: dataKey, customerKey: customer,
                                                   customerKeyMD5: "md5-as-sent", salt: AtRestFormat.newSalt())
        let bytes = envelope.encoded()
        let decoded = try EncryptionEnvelope.decode(bytes)
        #expect(decoded.mode == .sseC && decoded.customerKeyMD5 == "md5-as-sent" && decoded.customerKeySalt.count == 32)
        #expect(decoded.matches(customerKey: customer))
        #expect(try decoded.unsealDataKey(customerKey: customer) == dataKey)
        let wrong = try SSECustomerKey(.random(count: 32))
        #expect(!decoded.matches(customerKey: wrong))
        #expect(throws: AtRestCryptoError.customerKeyMismatch) { try decoded.unsealDataKey(customerKey: wrong) }
        // The right key, but an altered envelope or sealed key: corruption, not a key mismatch.
        var doubled = decoded
        doubled.sealedDataKeys.append(doubled.sealedDataKeys[0])
        #expect(throws: AtRestCryptoError.malformedEnvelope("SSE-C with 2 sealed data keys")) {
            try doubled.unsealDataKey(customerKey: customer)
        }
        var flipped = decoded
        flipped.sealedDataKeys[0][20] ^= 1
        #expect(throws: AtRestCryptoError.authenticationFailed(segment: -1)) { try flipped.unsealDataKey(customerKey: customer) }
        // Neither the customer key nor the data key appear anywhere in the stored bytes.
        for secret in [customer.key.bytes, dataKey.bytes] {
            #expect(!contains(bytes, secret))
        }
    }

    @Test func nonSSECEnvelopesMatchNoCustomerKey() throws {
        let customer = try SSECustomerKey(.random(count: 32))
        var envelope = EncryptionEnvelope(mode: .sseS3, salt: [], sealedDataKeys: [[]])
        #expect(!envelope.matches(customerKey: customer))
        envelope.mode = .sseC  // but no MAC recorded
        #expect(!envelope.matches(customerKey: customer))
    }

    @Test func checksTheKeyAndHidesIt() throws {
        #expect(throws: AtRestCryptoError.invalidKeyLength(16)) { try SSECustomerKey(.random(count: 16)) }
        let zero = try SSECustomerKey(SecretBytes(Array(repeating: 0, count: 32)))
        #expect(hexString(zero.md5) == "70bc8f4b72a86921468bf8e8441dce51")
        #expect(zero.description == "SSECustomerKey(<redacted>)")
        #expect(!"\(zero)".contains("0000"))
    }

    @Test func theSegmentsOfAnSSECObjectRoundTrip() throws {
        let customer = try SSECustomerKey(.random(count: 32))
        let dataKey = SecretBytes.random(count: 32)
        let salt = AtRestFormat.newSalt()
        let context = objectContext(mode: .sseC)
        let envelope = try EncryptionEnvelope.sseC(dataKey: dataKey, customerKey: customer, customerKeyMD5: "m",
                                                   salt: salt)
        let plaintext = randomBytes(70_000)
        let stored = try SegmentSealer.seal(plaintext, keys: SegmentKeys(dataKey: dataKey, salt: salt, context: context))
        let read = try EncryptionEnvelope.decode(envelope.encoded())
        let keys = try SegmentKeys(envelope: read, dataKeys: [read.unsealDataKey(customerKey: customer)], context: context)
        #expect(try SegmentOpener(keys: keys).openObject(stored) == plaintext)
    }

    private func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        return (0...(haystack.count - needle.count)).contains { Array(haystack[$0..<($0 + needle.count)]) == needle }
    }
}
