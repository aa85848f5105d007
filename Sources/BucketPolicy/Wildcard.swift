/// IAM-style wildcard matching: `*` matches any run of characters (including none and including `/`),
/// `?` matches exactly one character. Everything else matches itself.
///
/// Used for `Action` names (after lowercasing both sides), `Resource` ARNs (case-sensitive) and the
/// `StringLike`/`ArnLike` condition operators (case-sensitive). Characters are compared as Unicode scalars.
enum Wildcard {
    /// Whether `text` matches `pattern`.
    static func matches(_ pattern: String, _ text: String) -> Bool {
        if !pattern.unicodeScalars.contains(where: { $0 == "*" || $0 == "?" }) { return pattern == text }
        let p = Array(pattern.unicodeScalars)
        let t = Array(text.unicodeScalars)
        var pi = 0
        var ti = 0
        var star = -1  // index in p of the last `*` seen
        var resume = 0  // index in t the last `*` has absorbed up to
        while ti < t.count {
            if pi < p.count, p[pi] == "*" {
                star = pi
                resume = ti
                pi += 1
            } else if pi < p.count, p[pi] == "?" || p[pi] == t[ti] {
                pi += 1
                ti += 1
            } else if star >= 0 {
                // Let the last `*` absorb one more character and retry.
                resume += 1
                ti = resume
                pi = star + 1
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }

    /// Whether `pattern` holds a wildcard character.
    static func hasWildcard(_ pattern: String) -> Bool {
        pattern.unicodeScalars.contains { $0 == "*" || $0 == "?" }
    }
}
