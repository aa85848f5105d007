import Testing

@testable import S3Wire

@Suite struct HTTPDateTests {
    @Test(arguments: [
        (Int64(0), "Thu, 01 Jan 1970 00:00:00 GMT", "1970-01-01T00:00:00.000Z", "19700101T000000Z"),
        (1_369_353_600, "Fri, 24 May 2013 00:00:00 GMT", "2013-05-24T00:00:00.000Z", "20130524T000000Z"),
        (784_111_777, "Sun, 06 Nov 1994 08:49:37 GMT", "1994-11-06T08:49:37.000Z", "19941106T084937Z"),
        (951_782_400, "Tue, 29 Feb 2000 00:00:00 GMT", "2000-02-29T00:00:00.000Z", "20000229T000000Z"),
        (1_255_369_830, "Mon, 12 Oct 2009 17:50:30 GMT", "2009-10-12T17:50:30.000Z", "20091012T175030Z"),
        (4_102_444_799, "Thu, 31 Dec 2099 23:59:59 GMT", "2099-12-31T23:59:59.000Z", "20991231T235959Z"),
        (-1, "Wed, 31 Dec 1969 23:59:59 GMT", "1969-12-31T23:59:59.000Z", "19691231T235959Z"),
    ])
    func formats(_ seconds: Int64, _ rfc1123: String, _ iso: String, _ amz: String) {
        #expect(HTTPDate.rfc1123(seconds) == rfc1123)
        #expect(HTTPDate.iso8601(milliseconds: seconds * 1000) == iso)
        #expect(HTTPDate.amzTimestamp(seconds) == amz)
        #expect(HTTPDate.parse(rfc1123) == seconds)
        #expect(HTTPDate.parse(iso) == seconds)
        #expect(HTTPDate.parseAmzTimestamp(amz) == seconds)
    }

    @Test func iso8601KeepsMilliseconds() {
        #expect(HTTPDate.iso8601(milliseconds: 1_369_353_600_123) == "2013-05-24T00:00:00.123Z")
        #expect(HTTPDate.iso8601(milliseconds: 5) == "1970-01-01T00:00:00.005Z")
        #expect(HTTPDate.iso8601(milliseconds: -1) == "1969-12-31T23:59:59.999Z")
    }

    @Test(arguments: [
        ("Fri, 24 May 2013 00:00:00 GMT", Optional(Int64(1_369_353_600))),
        ("Friday, 24-May-13 00:00:00 GMT", 1_369_353_600),
        ("Fri May 24 00:00:00 2013", 1_369_353_600),
        ("Sun, 06 Nov 1994 08:49:37 GMT", 784_111_777),
        ("Sunday, 06-Nov-94 08:49:37 GMT", 784_111_777),
        ("Sun Nov  6 08:49:37 1994", 784_111_777),
        ("Tue, 27 Mar 2007 19:36:42 +0000", 1_175_024_202),
        ("  Fri, 24 May 2013 00:00:00 GMT  ", 1_369_353_600),
        ("2013-05-24T00:00:00Z", 1_369_353_600),
        ("2013-05-24T00:00:00.123Z", 1_369_353_600),
        ("2013-05-24T00:00:00.5Z", 1_369_353_600),
        ("2009-10-12T17:50:30.000Z", 1_255_369_830),
        ("", nil),
        ("yesterday", nil),
        ("Fri, 24 Foo 2013 00:00:00 GMT", nil),
        ("Fri, 32 May 2013 00:00:00 GMT", nil),
        ("Fri, 24 May 2013 24:00:00 GMT", nil),
        ("Fri, 24 May 2013 00:60:00 GMT", nil),
        ("Fri, 24 May 2013 00:00 GMT", nil),
        ("2013-05-24T00:00:00", nil),
        ("2013-13-24T00:00:00Z", nil),
        ("2013-05-24T00:00:00.Z", nil),
        ("2013-05-24T00:00:00.12aZ", nil),
        ("2013-05-24 00:00:00Z", nil),
    ] as [(String, Int64?)])
    func parse(_ text: String, _ expected: Int64?) {
        #expect(HTTPDate.parse(text) == expected)
    }

    @Test(arguments: [
        ("20130524T000000Z", Optional(Int64(1_369_353_600))),
        ("20130524T235960Z", 1_369_353_600 + 86400),
        ("20130524T000000", nil),
        ("2013-05-24T00:00:00Z", nil),
        ("20131324T000000Z", nil),
        ("20130500T000000Z", nil),
        ("20130524T240000Z", nil),
        ("20130524X000000Z", nil),
        ("2013052aT000000Z", nil),
    ] as [(String, Int64?)])
    func parseAmzTimestamp(_ text: String, _ expected: Int64?) {
        #expect(HTTPDate.parseAmzTimestamp(text) == expected)
    }

    @Test func civilDayConversionsRoundTrip() {
        for day in stride(from: -800_000, through: 800_000, by: 997) {
            let (y, m, d) = HTTPDate.civil(fromDays: day)
            #expect(HTTPDate.days(year: y, month: m, day: d) == day)
        }
        #expect(HTTPDate.days(year: 1970, month: 1, day: 1) == 0)
        #expect(HTTPDate.days(year: 2013, month: 5, day: 24) == 15849)
    }
}
