import Foundation

/// Builds the bytes of one audit record (the line format of ``AuditLog``) directly into a byte buffer.
///
/// Every GenerateDataKey and Decrypt appends a record, so this is on the path of every SSE-KMS GET and PUT; String
/// interpolation, per-field escaping into new Strings and `String(format:)` cost more than the cipher work of the
/// operation itself. The bytes are exactly what the String version wrote: keys in the same order, strings JSON
/// escaped the same way (`"` `\` and control characters; other UTF-8 as is), UTC times to the millisecond.
struct AuditRecordWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 512) { bytes.reserveCapacity(capacity) }

    mutating func raw(_ s: StaticString) {
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func raw(_ b: [UInt8]) { bytes.append(contentsOf: b) }

    /// A JSON string literal, quotes included.
    mutating func string(_ s: String) {
        bytes.append(0x22)
        var s = s
        s.withUTF8 { utf8 in
            for b in utf8 {
                switch b {
                case 0x22: bytes += [0x5C, 0x22]
                case 0x5C: bytes += [0x5C, 0x5C]
                case 0x0A: bytes += [0x5C, 0x6E]
                case 0x0D: bytes += [0x5C, 0x72]
                case 0x09: bytes += [0x5C, 0x74]
                case ..<0x20: bytes += [0x5C, 0x75, 0x30, 0x30, Self.hexDigits[Int(b >> 4)], Self.hexDigits[Int(b & 15)]]
                default: bytes.append(b)
                }
            }
        }
        bytes.append(0x22)
    }

    /// A decimal number.
    mutating func number(_ v: UInt64) {
        Self.appendDecimal(v, width: 1, to: &bytes)
    }

    /// `2026-11-29T16:36:16.865Z` for `milliseconds` since 1970.
    mutating func timestamp(milliseconds ms: Int64) {
        var t = time_t(ms / 1000)
        var tm = tm()
        gmtime_r(&t, &tm)
        func put(_ v: Int32, _ width: Int) { Self.appendDecimal(UInt64(max(0, v)), width: width, to: &bytes) }
        put(tm.tm_year + 1900, 4); bytes.append(0x2D)
        put(tm.tm_mon + 1, 2); bytes.append(0x2D)
        put(tm.tm_mday, 2); bytes.append(0x54)
        put(tm.tm_hour, 2); bytes.append(0x3A)
        put(tm.tm_min, 2); bytes.append(0x3A)
        put(tm.tm_sec, 2); bytes.append(0x2E)
        put(Int32(ms % 1000), 3); bytes.append(0x5A)
    }

    static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// `v` in decimal, zero-padded on the left to at least `width` digits.
    static func appendDecimal(_ v: UInt64, width: Int, to out: inout [UInt8]) {
        var digits: [UInt8] = []
        var v = v
        repeat {
            digits.append(0x30 + UInt8(v % 10))
            v /= 10
        } while v > 0
        if digits.count < width { out.append(contentsOf: repeatElement(0x30, count: width - digits.count)) }
        out.append(contentsOf: digits.reversed())
    }
}
