@testable import AtRestCrypto
import KeyCore
import Testing

/// Bytes from lowercase or uppercase hex (whitespace ignored).
func hex(_ s: String) -> [UInt8] {
    let digits = Array(s.filter { !$0.isWhitespace }.utf8)
    precondition(digits.count % 2 == 0)
    func nibble(_ c: UInt8) -> UInt8 {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: preconditionFailure("not hex")
        }
    }
    return stride(from: 0, to: digits.count, by: 2).map { nibble(digits[$0]) << 4 | nibble(digits[$0 + 1]) }
}

/// Lowercase hex of `bytes`.
func hexString(_ bytes: [UInt8]) -> String {
    let table = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for b in bytes { out += [table[Int(b >> 4)], table[Int(b & 15)]] }
    return String(decoding: out, as: UTF8.self)
}

/// Random bytes (test data, not keys).
func randomBytes(_ count: Int) -> [UInt8] {
    var g = SystemRandomNumberGenerator()
    return (0..<count).map { _ in UInt8.random(in: 0...255, using: &g) }
}

/// A context for a simple object.
func objectContext(_ key: String = "photos/cat.jpg", mode: EncryptionMode = .sseKMS, bucket: String = "bucket")
    -> SegmentContext
{
    SegmentContext(mode: mode, bucket: bucket, key: key)
}

/// Fixed inputs of the golden vectors (also computed by an independent implementation of the pseudo-code).
enum Golden {
    static let dataKey = SecretBytes(Array(0..<32))
    static let outerDataKey = SecretBytes(Array(32..<64))
    static let salt = [UInt8](repeating: 0xA5, count: 32)
    static let plaintext = [UInt8](0..<40)
}

/// Fresh keys for `layers` layers.
func freshKeys(layers: Int = 1, context: SegmentContext = objectContext(),
               segmentSize: Int = AtRestFormat.defaultSegmentSize) throws -> SegmentKeys
{
    try SegmentKeys(dataKey: .random(count: 32), outerDataKey: layers == 2 ? .random(count: 32) : nil,
                    salt: AtRestFormat.newSalt(), context: context, segmentSize: segmentSize)
}

/// Seals `plaintext` fed in `chunk`-byte pieces; returns the stored bytes and the size of every emitted segment.
func sealInChunks(_ plaintext: [UInt8], chunk: Int, keys: SegmentKeys) throws -> (stored: [UInt8], segments: [Int]) {
    var sealer = SegmentSealer(keys: keys)
    var stored: [UInt8] = []
    var sizes: [Int] = []
    var offset = 0
    repeat {
        let end = min(offset + chunk, plaintext.count)
        try plaintext[offset..<end].withUnsafeBytes { piece in
            try sealer.append(piece) { stored += $0; sizes.append($0.count) }
        }
        offset = end
    } while offset < plaintext.count
    try sealer.finish { stored += $0; sizes.append($0.count) }
    #expect(sealer.plaintextCount == Int64(plaintext.count))
    #expect(sealer.storedCount == Int64(stored.count))
    #expect(sealer.segmentCount == sizes.count)
    return (stored, sizes)
}

/// The stored segments of `stored`, cut by its layout.
func storedSegments(_ stored: [UInt8], keys: SegmentKeys) throws -> [[UInt8]] {
    let layout = try SegmentLayout(storedSize: Int64(stored.count), segmentSize: keys.segmentSize, layers: keys.layers)
    return (0..<layout.segmentCount).map { i in
        let r = layout.storedRange(ofSegment: i)
        return Array(stored[Int(r.lowerBound)..<Int(r.upperBound)])
    }
}
