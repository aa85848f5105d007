/// A `Range` request header (`bytes=a-b`, `bytes=a-`, `bytes=-n`), single range only as S3 supports.
public enum ByteRange: Sendable, Equatable {
    case closed(Int64, Int64)
    case from(Int64)
    case suffix(Int64)

    /// Parses the header. Returns nil for text S3 ignores (it then serves the whole object): unknown units,
    /// several ranges, or a malformed spec.
    public init?(header: String) {
        let t = header.trimmingASCIIWhitespace()
        guard t.hasPrefix("bytes=") else { return nil }
        let spec = t.dropFirst(6)
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return nil }
        let a = spec[..<dash].trimmingASCIIWhitespace()
        let b = spec[spec.index(after: dash)...].trimmingASCIIWhitespace()
        func num(_ s: Substring) -> Int64? { s.allSatisfy { $0.isASCII && $0.isNumber } ? Int64(s) : nil }
        if a.isEmpty {
            guard let n = num(b) else { return nil }
            self = .suffix(n)
        } else if b.isEmpty {
            guard let s = num(a) else { return nil }
            self = .from(s)
        } else {
            guard let s = num(a), let e = num(b), e >= s else { return nil }
            self = .closed(s, e)
        }
    }

    /// The inclusive byte range within an object of `size` bytes; nil when unsatisfiable (→ 416 InvalidRange).
    public func resolve(size: Int64) -> ClosedRange<Int64>? {
        switch self {
        case .closed(let s, let e):
            guard s < size else { return nil }
            return s...min(e, size - 1)
        case .from(let s):
            guard s < size else { return nil }
            return s...(size - 1)
        case .suffix(let n):
            guard n > 0, size > 0 else { return nil }
            return max(0, size - n)...(size - 1)
        }
    }
}
