/// Text helpers for protocol fields, which are ASCII-delimited: they work on UTF-8 bytes, never on `Character`s, so
/// they skip grapheme breaking (the bulk of `split(separator:)`'s cost on a request's hot path) and a separator is
/// found even where a combining mark follows it.
extension StringProtocol {
    /// The text without leading and trailing spaces, tabs, CR and LF.
    public func trimmingASCIIWhitespace() -> Substring {
        let s = Substring(self)
        let u = s.utf8
        let isWS: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0A }
        guard let start = u.firstIndex(where: { !isWS($0) }) else { return "" }
        let end = u.lastIndex(where: { !isWS($0) })!
        return Substring(u[start...end])
    }

    /// The pieces between occurrences of the ASCII byte `separator`, as `split(separator:maxSplits:
    /// omittingEmptySubsequences:)` returns them.
    public func splitASCII(_ separator: UInt8, maxSplits: Int = .max, omittingEmptySubsequences: Bool = true) -> [Substring] {
        precondition(separator < 0x80, "an ASCII separator")
        let s = Substring(self)
        let u = s.utf8
        var pieces: [Substring] = []
        var start = u.startIndex
        var i = start
        while i != u.endIndex, pieces.count < maxSplits {
            if u[i] == separator {
                if !(omittingEmptySubsequences && start == i) { pieces.append(Substring(u[start..<i])) }
                start = u.index(after: i)
            }
            i = u.index(after: i)
        }
        if start != u.endIndex || !omittingEmptySubsequences { pieces.append(Substring(u[start...])) }
        return pieces
    }
}
