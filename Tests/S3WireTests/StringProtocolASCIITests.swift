import Testing

@testable import S3Wire

@Suite struct StringProtocolASCIITests {
    /// `splitASCII` returns what the standard library's `split` does, for every flag and limit, on text built from
    /// separators, letters and non-ASCII characters (seeded, so a failure reproduces).
    @Test func splitASCIIMatchesTheStandardSplit() {
        var rng = SplitMix(seed: 0x5EED)
        let alphabet: [String] = [",", ",", ";", "a", "b", "é", "日", " "]
        for _ in 0..<2000 {
            let text = (0..<Int(rng.next() % 12)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }.joined()
            for sep in [",", ";"] {
                for omit in [true, false] {
                    for maxSplits in [0, 1, 2, Int.max] {
                        let expected = text.split(separator: Character(sep), maxSplits: maxSplits, omittingEmptySubsequences: omit)
                        let got = text.splitASCII(UInt8(ascii: Unicode.Scalar(sep)!), maxSplits: maxSplits, omittingEmptySubsequences: omit)
                        #expect(got == expected, "\(text.debugDescription) sep \(sep) omit \(omit) max \(maxSplits)")
                        let sub = Substring(text).splitASCII(UInt8(ascii: Unicode.Scalar(sep)!), maxSplits: maxSplits, omittingEmptySubsequences: omit)
                        #expect(sub == expected)
                    }
                }
            }
        }
    }

    /// A separator followed by a combining mark is one `Character` to `split`, but still a separator to protocols.
    @Test func splitsAtASeparatorFollowedByACombiningMark() {
        #expect("a,\u{301}b".splitASCII(UInt8(ascii: ",")) == ["a", "\u{301}b"])
        #expect("a,\u{301}b".split(separator: ",").count == 1)
    }

    @Test(arguments: [("", ""), ("  ", ""), (" \t a b \r\n", "a b"), ("x", "x"), ("\nété\t", "été")])
    func trimmingASCIIWhitespace(input: String, expected: String) {
        #expect(input.trimmingASCIIWhitespace() == Substring(expected))
    }

    struct SplitMix {
        var state: UInt64
        init(seed: UInt64) { state = seed }
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }
}
