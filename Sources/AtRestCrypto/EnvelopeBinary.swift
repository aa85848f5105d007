import KeyCore

/// Big-endian, length-prefixed fields for `EncryptionEnvelope`'s encoding.
struct EnvelopeWriter {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u32(_ v: UInt32) { bytes.appendU32(v) }

    /// u32be(count) ‖ bytes.
    mutating func data(_ d: [UInt8]) {
        bytes.appendU32(UInt32(d.count))
        bytes += d
    }

    /// An optional string as `data` of its UTF-8; nil is written as empty.
    mutating func string(_ s: String?) { data(Array((s ?? "").utf8)) }
}

/// Reads what `EnvelopeWriter` writes; every shortfall is `AtRestCryptoError.malformedEnvelope`.
struct EnvelopeReader {
    let bytes: [UInt8]
    private(set) var at = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { at == bytes.count }

    mutating func u8(_ field: String) throws(AtRestCryptoError) -> UInt8 {
        guard at < bytes.count else { throw .malformedEnvelope("truncated at \(field)") }
        defer { at += 1 }
        return bytes[at]
    }

    mutating func u32(_ field: String) throws(AtRestCryptoError) -> UInt32 {
        guard bytes.count - at >= 4 else { throw .malformedEnvelope("truncated at \(field)") }
        defer { at += 4 }
        return bytes.readU32(at: at)
    }

    mutating func data(_ field: String, max: Int = 1 << 20) throws(AtRestCryptoError) -> [UInt8] {
        let n = Int(try u32(field))
        guard n <= max else { throw .malformedEnvelope("\(field) of \(n) bytes") }
        guard bytes.count - at >= n else { throw .malformedEnvelope("truncated at \(field)") }
        defer { at += n }
        return Array(bytes[at..<(at + n)])
    }

    /// A string written by `EnvelopeWriter.string`: empty reads as nil; invalid UTF-8 is malformed.
    mutating func string(_ field: String) throws(AtRestCryptoError) -> String? {
        let d = try data(field)
        if d.isEmpty { return nil }
        guard let s = String(validating: d, as: UTF8.self) else { throw .malformedEnvelope("\(field) is not UTF-8") }
        return s
    }
}
