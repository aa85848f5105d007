import Testing

@testable import S3Wire

@Suite struct StringProtocolASCIITests {
    /// `splitASCII` returns what the standard library's `split` does, for every flag and limit, on every string of up
    /// to five characters over separators, letters, spaces and non-ASCII characters.
    @Test func splitASCIIMatchesTheStandardSplit() {
        let alphabet: [String] = [",", ";", "a", " ", "é", "日"]
        var texts = [""]
        var level = [""]
        for _ in 1...5 {
            level = level.flatMap { prefix in alphabet.map { prefix + $0 } }
            texts += level
        }
        for text in texts {
            for sep in [",", ";"] {
                for omit in [true, false] {
                    for maxSplits in [0, 1, 2, Int.max] {
                        let expected = text.split(separator: Character(sep), maxSplits: maxSplits, omittingEmptySubsequences: omit)
                        let byte = UInt8(ascii: Unicode.Scalar(sep)!)
                        let got = text.splitASCII(byte, maxSplits: maxSplits, omittingEmptySubsequences: omit)
                        if got != expected { Issue.record("\(text.debugDescription) sep \(sep) omit \(omit) max \(maxSplits): \(got)") }
                        let sub = Substring(text).splitASCII(byte, maxSplits: maxSplits, omittingEmptySubsequences: omit)
                        if sub != expected { Issue.record("substring \(text.debugDescription) sep \(sep)") }
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
}
