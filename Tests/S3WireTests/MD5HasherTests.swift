import Crypto
import Testing

@testable import S3Wire

@Suite struct MD5HasherTests {
    /// Deterministic bytes that do not repeat with any short period.
    static func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: (UInt64($0) &* 0x9E37_79B9_7F4A_7C15) >> 56) }
    }

    static func md5(_ bytes: [UInt8]) -> [UInt8] {
        var h = MD5Hasher()
        h.update(data: bytes)
        return h.finalize()
    }

    /// RFC 1321, appendix A.5.
    @Test(arguments: [
        ("", "d41d8cd98f00b204e9800998ecf8427e"),
        ("a", "0cc175b9c0f1b6a831c399e269772661"),
        ("abc", "900150983cd24fb0d6963f7d28e17f72"),
        ("message digest", "f96b697d7cb7938d525a2f31aaf161d0"),
        ("abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"),
        ("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "d174ab98d277d9f5a5611c2c9f419d9f"),
        ("12345678901234567890123456789012345678901234567890123456789012345678901234567890",
         "57edf4a22be3c955ac49da2e2107b67a"),
    ])
    func rfc1321Vectors(_ input: String, _ hex: String) {
        #expect(Self.md5(Array(input.utf8)).hexString == hex)
    }

    /// Every length around the padding boundaries (55/56/63/64 bytes, one and two blocks), fed in uneven pieces,
    /// against swift-crypto's MD5.
    @Test func matchesSwiftCryptoAtEveryLengthAndSplit() {
        let data = Self.bytes(400)
        for length in 0...data.count {
            let slice = Array(data[..<length])
            var h = MD5Hasher()
            var offset = 0
            var step = length
            while offset < length {
                step = (step &* 37 &+ 11) % 71  // 0...70, varying
                let n = min(step, length - offset)
                slice[offset..<(offset + n)].withUnsafeBytes { h.update(bufferPointer: $0) }
                offset += n
            }
            #expect(h.finalize() == Array(Insecure.MD5.hash(data: slice)), "length \(length)")
        }
    }

    /// A body of a few MiB in socket-sized pieces (the PUT path), against swift-crypto's MD5.
    @Test func largeBodyInPieces() {
        let data = Self.bytes(3 * 1024 * 1024 + 17)
        var h = MD5Hasher()
        var offset = 0
        for piece in [1, 65535, 1 << 20, 4097, 64, 63] + Array(repeating: 1 << 19, count: 8) where offset < data.count {
            let end = min(offset + piece, data.count)
            data[offset..<end].withUnsafeBytes { h.update(bufferPointer: $0) }
            offset = end
        }
        data[offset...].withUnsafeBytes { h.update(bufferPointer: $0) }
        #expect(h.finalize() == Array(Insecure.MD5.hash(data: data)))
    }

    /// `finalize` leaves the hasher as it was: a digest of a prefix, then more bytes.
    @Test func finalizeDoesNotConsume() {
        var h = MD5Hasher()
        h.update(data: Array("message ".utf8))
        #expect(h.finalize().hexString == Self.md5(Array("message ".utf8)).hexString)
        h.update(data: Array("digest".utf8))
        #expect(h.finalize().hexString == "f96b697d7cb7938d525a2f31aaf161d0")
        h.update(bufferPointer: UnsafeRawBufferPointer(start: nil, count: 0))
        #expect(h.finalize().hexString == "f96b697d7cb7938d525a2f31aaf161d0")
    }
}
