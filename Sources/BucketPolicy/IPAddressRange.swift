/// An IPv4 or IPv6 CIDR block (`203.0.113.0/24`, `2001:db8::/32`) or single address, as the `IpAddress` and
/// `NotIpAddress` condition operators take it.
struct IPAddressRange: Sendable, Hashable {
    /// Network bytes: 4 for IPv4, 16 for IPv6.
    var bytes: [UInt8]
    /// Prefix length in bits.
    var prefixLength: Int

    /// Parses `address[/prefix]`; nil when it is not an IPv4/IPv6 address or the prefix is out of range.
    init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let first = parts.first, let bytes = Self.parseAddress(String(first)) else { return nil }
        let maximum = bytes.count * 8
        var prefix = maximum
        if parts.count == 2 {
            guard parts[1].allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(parts[1]), (0...maximum).contains(n) else {
                return nil
            }
            prefix = n
        }
        self.bytes = bytes
        self.prefixLength = prefix
    }

    /// Whether `address` (a single IPv4/IPv6 address) lies in this block. Different families never match.
    func contains(_ address: String) -> Bool {
        guard let other = Self.parseAddress(address), other.count == bytes.count else { return false }
        var bits = prefixLength
        for i in 0..<bytes.count where bits > 0 {
            let take = min(8, bits)
            let mask: UInt8 = take == 8 ? 0xFF : ~(UInt8(0xFF) >> take)
            if bytes[i] & mask != other[i] & mask { return false }
            bits -= take
        }
        return true
    }

    /// 4 or 16 bytes of an IPv4 or IPv6 address, nil when malformed.
    static func parseAddress(_ text: String) -> [UInt8]? {
        text.contains(":") ? parseIPv6(text) : parseIPv4(text)
    }

    static func parseIPv4(_ text: String) -> [UInt8]? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var out: [UInt8] = []
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }), let n = UInt8(part)
            else { return nil }
            out.append(n)
        }
        return out
    }

    static func parseIPv6(_ text: String) -> [UInt8]? {
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func groups(_ s: String, allowIPv4Tail: Bool) -> [UInt16]? {
            if s.isEmpty { return [] }
            var out: [UInt16] = []
            let items = s.split(separator: ":", omittingEmptySubsequences: false)
            for (i, item) in items.enumerated() {
                if i == items.count - 1, allowIPv4Tail, item.contains(".") {
                    guard let v4 = parseIPv4(String(item)) else { return nil }
                    out.append(UInt16(v4[0]) << 8 | UInt16(v4[1]))
                    out.append(UInt16(v4[2]) << 8 | UInt16(v4[3]))
                    continue
                }
                guard (1...4).contains(item.count), item.allSatisfy(\.isHexDigit), let v = UInt16(item, radix: 16) else {
                    return nil
                }
                out.append(v)
            }
            return out
        }
        let words: [UInt16]
        if halves.count == 2 {
            guard let left = groups(halves[0], allowIPv4Tail: false), let right = groups(halves[1], allowIPv4Tail: true),
                left.count + right.count <= 7
            else { return nil }
            words = left + Array(repeating: 0, count: 8 - left.count - right.count) + right
        } else {
            guard let all = groups(halves[0], allowIPv4Tail: true), all.count == 8 else { return nil }
            words = all
        }
        return words.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }
}
