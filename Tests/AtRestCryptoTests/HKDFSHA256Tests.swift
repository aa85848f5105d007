@testable import AtRestCrypto
import Crypto
import KeyCore
import Testing

/// RFC 5869, appendix A, test cases 1–3 (SHA-256).
struct HKDFVector: Sendable, CustomStringConvertible {
    let name: String
    let ikm: [UInt8]
    let salt: [UInt8]
    let info: [UInt8]
    let okm: String
    var description: String { name }
}

let hkdfRFCVectors: [HKDFVector] = [
    HKDFVector(name: "A.1 basic", ikm: [UInt8](repeating: 0x0b, count: 22), salt: Array(0x00...0x0c),
               info: Array(0xf0...0xf9),
               okm: "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"),
    HKDFVector(name: "A.2 longer inputs and output", ikm: Array(0x00...0x4f), salt: Array(0x60...0xaf),
               info: Array(0xb0...0xff),
               okm: """
                   b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c59045a99cac7827271cb41c65e590e09da32\
                   75600c2f09b8367793a9aca3db71cc30c58179ec3e87c14c01d5c1f3434f1d87
                   """),
    HKDFVector(name: "A.3 empty salt and info", ikm: [UInt8](repeating: 0x0b, count: 22), salt: [], info: [],
               okm: "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8"),
]

func hkdf(_ ikm: [UInt8], _ salt: [UInt8], _ info: [UInt8], _ count: Int) -> [UInt8] {
    var out = [UInt8](repeating: 0, count: count)
    ikm.withUnsafeBytes { k in out.withUnsafeMutableBytes { HKDFSHA256.derive(ikm: k, salt: salt, info: info, into: $0) } }
    return out
}

@Suite struct HKDFSHA256Tests {
    @Test(arguments: hkdfRFCVectors)
    func matchesRFC5869(_ v: HKDFVector) {
        #expect(hexString(hkdf(v.ikm, v.salt, v.info, v.okm.count / 2)) == v.okm)
    }

    /// The C path must give swift-crypto's bytes for every shape the formats use and the edges around the
    /// SHA-256 block (64) and digest (32) sizes, since objects written with either must stay readable.
    @Test func agreesWithSwiftCrypto() {
        for ikmLength in [0, 1, 31, 32, 33, 64, 65, 200] {
            for saltLength in [0, 1, 32, 63, 64, 65, 130] {
                for (infoLength, count) in [(0, 32), (1, 1), (70, 32), (30, 33), (5, 64), (200, 100)] {
                    let ikm = randomBytes(ikmLength), salt = randomBytes(saltLength), info = randomBytes(infoLength)
                    let expected = HKDF<SHA256>.deriveKey(inputKeyMaterial: SymmetricKey(data: ikm), salt: salt,
                                                          info: info, outputByteCount: count)
                        .withUnsafeBytes { Array($0) }
                    #expect(hkdf(ikm, salt, info, count) == expected,
                            "ikm \(ikmLength), salt \(saltLength), info \(infoLength), \(count) bytes")
                }
            }
        }
    }

    @Test func deriveKeyAndCipherUseTheSameBytes() throws {
        let ikm = randomBytes(32), salt = randomBytes(32), info = Array("label".utf8)
        let key = HKDFSHA256.deriveKey(ikm: SecretBytes(ikm), salt: salt, info: info, count: 32)
        #expect(key.withUnsafeBytes { Array($0) } == hkdf(ikm, salt, info, 32))
        // The cipher made straight from the derivation seals as one made from the derived key.
        let direct = try HKDFSHA256.deriveCipher(ikm: SecretBytes(ikm), salt: salt, info: info)
        let viaKey = try AES256GCMContext(key: key)
        let nonce = randomBytes(12), plain = randomBytes(100)
        func seal(_ c: AES256GCMContext) throws -> [UInt8] {
            var out = [UInt8](repeating: 0, count: plain.count + 16)
            try nonce.withUnsafeBytes { n in
                try plain.withUnsafeBytes { p in
                    try out.withUnsafeMutableBytes { o in
                        try c.seal(nonce: n, aad: UnsafeRawBufferPointer(start: nil, count: 0), input: p,
                                   output: UnsafeMutableRawBufferPointer(rebasing: o[0..<plain.count]),
                                   tag: UnsafeMutableRawBufferPointer(rebasing: o[plain.count...]))
                    }
                }
            }
            return out
        }
        #expect(try seal(direct) == seal(viaKey))
    }
}
