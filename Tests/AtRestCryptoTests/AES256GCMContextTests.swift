@testable import AtRestCrypto
import Crypto
import KeyCore
import Testing

/// Known-answer vectors: the 256-bit key cases of the GCM specification (McGrew and Viega, test cases 13–16).
struct GCMVector: Sendable, CustomStringConvertible {
    let name: String
    let key: String
    let iv: String
    let plaintext: String
    let aad: String
    let ciphertext: String
    let tag: String
    var description: String { name }
}

let gcmSpecVectors: [GCMVector] = [
    GCMVector(name: "test case 13",
              key: "0000000000000000000000000000000000000000000000000000000000000000",
              iv: "000000000000000000000000", plaintext: "", aad: "", ciphertext: "",
              tag: "530f8afbc74536b9a963b4f1c4cb738b"),
    GCMVector(name: "test case 14",
              key: "0000000000000000000000000000000000000000000000000000000000000000",
              iv: "000000000000000000000000", plaintext: "00000000000000000000000000000000", aad: "",
              ciphertext: "cea7403d4d606b6e074ec5d3baf39d18", tag: "d0d1c8a799996bf0265b98b5d48ab919"),
    GCMVector(name: "test case 15",
              key: "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
              iv: "cafebabefacedbaddecaf888",
              plaintext: """
                  d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72
                  1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255
                  """,
              aad: "",
              ciphertext: """
                  522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa
                  8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662898015ad
                  """,
              tag: "b094dac5d93471bdec1a502270e3cc6c"),
    GCMVector(name: "test case 16",
              key: "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
              iv: "cafebabefacedbaddecaf888",
              plaintext: """
                  d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72
                  1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39
                  """,
              aad: "feedfacedeadbeeffeedfacedeadbeefabaddad2",
              ciphertext: """
                  522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa
                  8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662
                  """,
              tag: "76fc6ece0f4e1768cddf8853bb2d551b"),
]

@Suite struct AES256GCMContextTests {
    @Test(arguments: gcmSpecVectors)
    func sealsTheSpecVectors(v: GCMVector) throws {
        let gcm = try AES256GCMContext(key: SecretBytes(hex(v.key)))
        let (ciphertext, tag) = try gcm.seal(hex(v.plaintext), nonce: hex(v.iv), aad: hex(v.aad))
        #expect(ciphertext == hex(v.ciphertext))
        #expect(tag == hex(v.tag))
    }

    @Test(arguments: gcmSpecVectors)
    func opensTheSpecVectors(v: GCMVector) throws {
        let gcm = try AES256GCMContext(key: SecretBytes(hex(v.key)))
        #expect(try gcm.open(hex(v.ciphertext), tag: hex(v.tag), nonce: hex(v.iv), aad: hex(v.aad)) == hex(v.plaintext))
        var badTag = hex(v.tag)
        badTag[15] ^= 1
        #expect(throws: AtRestCryptoError.authenticationFailed(segment: -1)) {
            try gcm.open(hex(v.ciphertext), tag: badTag, nonce: hex(v.iv), aad: hex(v.aad))
        }
        #expect(throws: AtRestCryptoError.authenticationFailed(segment: -1)) {
            try gcm.open(hex(v.ciphertext), tag: hex(v.tag), nonce: hex(v.iv), aad: hex(v.aad) + [0])
        }
    }

    @Test(arguments: gcmSpecVectors)
    func sealsAndOpensInPlace(v: GCMVector) throws {
        let gcm = try AES256GCMContext(key: SecretBytes(hex(v.key)))
        var buffer = hex(v.plaintext)
        var tag = [UInt8](repeating: 0, count: 16)
        let nonce = hex(v.iv), aad = hex(v.aad)
        try nonce.withUnsafeBytes { n in
            try aad.withUnsafeBytes { a in
                try buffer.withUnsafeMutableBytes { b in
                    try tag.withUnsafeMutableBytes { t in
                        try gcm.seal(nonce: n, aad: a, input: UnsafeRawBufferPointer(b), output: b, tag: t)
                    }
                }
            }
        }
        #expect(buffer == hex(v.ciphertext) && tag == hex(v.tag))
        try nonce.withUnsafeBytes { n in
            try aad.withUnsafeBytes { a in
                try buffer.withUnsafeMutableBytes { b in
                    try tag.withUnsafeBytes { t in
                        try gcm.open(nonce: n, aad: a, input: UnsafeRawBufferPointer(b), output: b, tag: t)
                    }
                }
            }
        }
        #expect(buffer == hex(v.plaintext))
    }

    @Test func aFailedOpenInPlaceLeavesZeroes() throws {
        let gcm = try AES256GCMContext(key: SecretBytes(randomBytes(32)))
        let nonce = randomBytes(12)
        let plaintext = randomBytes(1000)
        var (buffer, tag) = try gcm.seal(plaintext, nonce: nonce)
        tag[0] ^= 0x80
        let failed = buffer.withUnsafeMutableBytes { b in
            tag.withUnsafeBytes { t in
                nonce.withUnsafeBytes { n in
                    Result { () throws(AtRestCryptoError) in
                        try gcm.open(nonce: n, aad: UnsafeRawBufferPointer(start: nil, count: 0),
                                     input: UnsafeRawBufferPointer(b), output: b, tag: t, segment: 3)
                    }
                }
            }
        }
        #expect(throws: AtRestCryptoError.authenticationFailed(segment: 3)) { try failed.get() }
        #expect(buffer == [UInt8](repeating: 0, count: 1000))
    }

    @Test(arguments: [0, 1, 15, 16, 17, 255, 4096, 65_539])
    func agreesWithSwiftCrypto(size: Int) throws {
        for _ in 0..<4 {
            let key = SymmetricKey(size: .bits256)
            let nonce = randomBytes(12)
            let aad = randomBytes(size % 50)
            let plaintext = randomBytes(size)
            let gcm = try AES256GCMContext(key: key)
            let (ciphertext, tag) = try gcm.seal(plaintext, nonce: nonce, aad: aad)
            let box = try AES.GCM.seal(plaintext, using: key, nonce: AES.GCM.Nonce(data: nonce), authenticating: aad)
            #expect(ciphertext == Array(box.ciphertext))
            #expect(tag == Array(box.tag))
            // And the other way: what swift-crypto sealed, CAEAD opens.
            let other = try AES.GCM.seal(plaintext, using: key, nonce: AES.GCM.Nonce(data: nonce), authenticating: [1])
            #expect(try gcm.open(Array(other.ciphertext), tag: Array(other.tag), nonce: nonce, aad: [1]) == plaintext)
        }
    }

    @Test func oneContextAlternatesDirections() throws {
        let key = SymmetricKey(size: .bits256)
        let gcm = try AES256GCMContext(key: key)
        for i in 0..<50 {
            let nonce = randomBytes(12), plaintext = randomBytes(i * 37)
            let (ciphertext, tag) = try gcm.seal(plaintext, nonce: nonce, aad: [UInt8(i)])
            #expect(try gcm.open(ciphertext, tag: tag, nonce: nonce, aad: [UInt8(i)]) == plaintext)
            let box = try AES.GCM.seal(plaintext, using: key, nonce: AES.GCM.Nonce(data: nonce), authenticating: [UInt8(i)])
            #expect(Array(box.tag) == tag)
        }
    }

    /// A duplicate holds the same key: it opens what the original sealed and the reverse, before and after the
    /// original is freed, and the two run at the same time without sharing state.
    @Test func aDuplicateHasTheSameKeyAndItsOwnState() async throws {
        let key = SymmetricKey(size: .bits256)
        var original: AES256GCMContext? = try AES256GCMContext(key: key)
        let copy = try original!.duplicate()
        let nonce = randomBytes(12), plaintext = randomBytes(1000)
        let (ciphertext, tag) = try original!.seal(plaintext, nonce: nonce, aad: [7])
        #expect(try copy.open(ciphertext, tag: tag, nonce: nonce, aad: [7]) == plaintext)
        original = nil
        let (again, tag2) = try copy.seal(plaintext, nonce: nonce, aad: [7])
        #expect(again == ciphertext && tag2 == tag)
        let second = try copy.duplicate()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for gcm in [copy, second] {
                group.addTask {
                    for i in 0..<200 {
                        let n = randomBytes(12), p = randomBytes(i * 13)
                        let (c, t) = try gcm.seal(p, nonce: n, aad: [UInt8(i)])
                        let box = try AES.GCM.seal(p, using: key, nonce: AES.GCM.Nonce(data: n), authenticating: [UInt8(i)])
                        #expect(Array(box.ciphertext) == c && Array(box.tag) == t)
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    @Test func rejectsBadSizes() throws {
        #expect(throws: AtRestCryptoError.invalidKeyLength(16)) { try AES256GCMContext(key: SecretBytes(randomBytes(16))) }
        let gcm = try AES256GCMContext(key: SecretBytes(randomBytes(32)))
        #expect(throws: AtRestCryptoError.invalidParameter("nonce of 16 bytes")) {
            try gcm.seal([1, 2, 3], nonce: randomBytes(16))
        }
    }
}
