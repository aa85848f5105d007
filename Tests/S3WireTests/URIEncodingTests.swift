import Testing

@testable import S3Wire

@Suite struct URIEncodingTests {
    @Test(arguments: [
        ("", "", ""),
        ("abcXYZ019-._~", "abcXYZ019-._~", "abcXYZ019-._~"),
        ("a b", "a%20b", "a%20b"),
        ("a/b", "a%2Fb", "a/b"),
        ("test$file.text", "test%24file.text", "test%24file.text"),
        ("a+b=c&d", "a%2Bb%3Dc%26d", "a%2Bb%3Dc%26d"),
        ("100%", "100%25", "100%25"),
        ("café", "caf%C3%A9", "caf%C3%A9"),
        ("😀", "%F0%9F%98%80", "%F0%9F%98%80"),
        ("photos/2006/Jan/sample.jpg", "photos%2F2006%2FJan%2Fsample.jpg", "photos/2006/Jan/sample.jpg"),
        ("!*'()", "%21%2A%27%28%29", "%21%2A%27%28%29"),
        ("\n", "%0A", "%0A"),
    ])
    func encode(_ input: String, _ encoded: String, _ encodedKeepingSlash: String) {
        #expect(URIEncoding.encode(input) == encoded)
        #expect(URIEncoding.encode(input, keepSlash: true) == encodedKeepingSlash)
        #expect(URIEncoding.decode(encoded) == input)
        #expect(URIEncoding.decode(encodedKeepingSlash) == input)
    }

    @Test(arguments: [
        ("%41%2f%2F", Optional("A//")),
        ("%c3%a9", "é"),
        ("a+b", "a+b"),
        ("plain", "plain"),
        ("", ""),
        ("%", nil),
        ("%4", nil),
        ("abc%4", nil),
        ("%zz", nil),
        ("%G0", nil),
        ("%FF", nil),
        ("%C3", nil),
        ("%C3%28", nil),
    ] as [(String, String?)])
    func decode(_ input: String, _ expected: String?) {
        #expect(URIEncoding.decode(input) == expected)
    }

    @Test func decodePlusAsSpace() {
        #expect(URIEncoding.decode("a+b%2B", plusAsSpace: true) == "a b+")
        #expect(URIEncoding.decode("a+b%2B") == "a+b+")
        #expect(URIEncoding.decode(Substring("x%20y")) == "x y")
    }

    static func pairs(_ items: [(String, String)]?) -> [[String]]? { items.map { $0.map { [$0.0, $0.1] } } }

    @Test(arguments: [
        ("", Optional([[String]]())),
        ("a=1&b&c=%20x&&d=", [["a", "1"], ["b", ""], ["c", " x"], ["d", ""]]),
        ("uploads", [["uploads", ""]]),
        ("partNumber=1&uploadId=abc%2Fdef", [["partNumber", "1"], ["uploadId", "abc/def"]]),
        ("a=b=c", [["a", "b=c"]]),
        ("k=a+b", [["k", "a+b"]]),
        ("%6B%65y=v", [["key", "v"]]),
        ("x=1&x=2", [["x", "1"], ["x", "2"]]),
        ("=v", [["", "v"]]),
        ("a=%", nil),
        ("a=%G1", nil),
        ("ok=1&bad%zz=2", nil),
        ("a=%FF", nil),
    ] as [(String, [[String]]?)])
    func parseQuery(_ raw: String, _ expected: [[String]]?) {
        #expect(Self.pairs(URIEncoding.parseQuery(raw)) == expected)
    }

    @Test func hexHelpers() {
        #expect([UInt8]([0x00, 0x0F, 0xAB, 0xFF]).hexString == "000fabff")
        #expect([UInt8]().hexString == "")
        #expect([UInt8](hex: "000fABff") == [0x00, 0x0F, 0xAB, 0xFF])
        #expect([UInt8](hex: "") == [])
        #expect([UInt8](hex: "abc") == nil)
        #expect([UInt8](hex: "zz") == nil)
    }

    /// Only hex digits make bytes; `UInt8(_:radix:)` alone would also take a sign.
    @Test(arguments: ["+1", "-0", "+f", "0x"])
    func hexRejectsSigns(_ text: String) {
        #expect([UInt8](hex: text) == nil)
    }
}
