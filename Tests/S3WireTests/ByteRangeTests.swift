import Testing

@testable import S3Wire

@Suite struct ByteRangeTests {
    @Test(arguments: [
        ("bytes=0-9", ByteRange.closed(0, 9)),
        ("bytes=10-", ByteRange.from(10)),
        ("bytes=-5", ByteRange.suffix(5)),
        ("bytes=-0", ByteRange.suffix(0)),
        ("bytes=5-1000000", ByteRange.closed(5, 1_000_000)),
        ("bytes=100-200", ByteRange.closed(100, 200)),
        ("bytes=7-7", ByteRange.closed(7, 7)),
        ("  bytes=0-9  ", ByteRange.closed(0, 9)),
        ("bytes= 1 - 2 ", ByteRange.closed(1, 2)),
    ])
    func parse(_ header: String, _ expected: ByteRange) {
        #expect(ByteRange(header: header) == expected)
    }

    @Test(arguments: [
        "bytes=0-1,3-4",
        "bytes=0-1, 3-4",
        "bytes=9-0",
        "bytes=-",
        "bytes=abc",
        "bytes=a-b",
        "bytes=+1-2",
        "bytes=1-0x5",
        "bytes=١-٢",
        "items=0-9",
        "",
        "bytes=",
        "bytes=99999999999999999999-",
    ])
    func unparsable(_ header: String) {
        #expect(ByteRange(header: header) == nil)
    }

    @Test(arguments: [
        ("bytes=0-9", 100, 0...9),
        ("bytes=10-", 100, 10...99),
        ("bytes=-5", 100, 95...99),
        ("bytes=-0", 100, nil),
        ("bytes=5-1000000", 100, 5...99),
        ("bytes=100-200", 100, nil),
        ("bytes=99-200", 100, 99...99),
        ("bytes=100-", 100, nil),
        ("bytes=-500", 100, 0...99),
        ("bytes=0-0", 1, 0...0),
        ("bytes=0-9", 0, nil),
        ("bytes=-5", 0, nil),
        ("bytes=0-", 0, nil),
    ] as [(String, Int64, ClosedRange<Int64>?)])
    func resolve(_ header: String, _ size: Int64, _ expected: ClosedRange<Int64>?) throws {
        let range = try #require(ByteRange(header: header))
        #expect(range.resolve(size: size) == expected)
    }
}
