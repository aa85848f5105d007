import Testing

@testable import S3Wire

@Suite struct RequestHeadTests {
    @Test func splitsTargetAndLowercasesHeaderNames() {
        let head = RequestHead(method: "GET", target: "/b/k%20x?uploads&partNumber=2&x=a%2Fb", headers: [("Host", "h"), ("X-Amz-Date", "d"), ("x-amz-date", "e")])
        #expect(head.rawPath == "/b/k%20x")
        #expect(head.rawQuery == "uploads&partNumber=2&x=a%2Fb")
        #expect(head.headers.map(\.0) == ["host", "x-amz-date", "x-amz-date"])
        #expect(head.header("X-AMZ-DATE") == "d")
        #expect(head.header("missing") == nil)
        #expect(head.queryValue("partNumber") == "2")
        #expect(head.queryValue("x") == "a/b")
        #expect(head.queryValue("uploads") == "")
        #expect(head.hasQuery("uploads"))
        #expect(!head.hasQuery("uploadId"))
    }

    @Test func targetWithoutQueryAndMalformedQuery() {
        let plain = RequestHead(method: "PUT", target: "/b/k", headers: [])
        #expect(plain.rawPath == "/b/k")
        #expect(plain.rawQuery == "")
        #expect(plain.query?.isEmpty == true)
        let bad = RequestHead(method: "GET", target: "/b?x=%zz&uploads", headers: [])
        #expect(bad.query == nil)
        #expect(bad.queryValue("uploads") == nil)
        #expect(!bad.hasQuery("uploads"))
        let question = RequestHead(method: "GET", target: "/b?a=1?b", headers: [])
        #expect(question.rawPath == "/b")
        #expect(question.queryValue("a") == "1?b")
    }

    /// Each field counts as sent, `name: value` and CRLF, in UTF-8 bytes.
    @Test func headerSectionSizeCountsFieldsAsSent() {
        #expect(RequestHead(method: "GET", target: "/", headers: []).headerSectionSize == 0)
        #expect(RequestHead(method: "GET", target: "/", headers: [("Host", "h")]).headerSectionSize == 4 + 2 + 1 + 2)
        let padded = RequestHead(method: "GET", target: "/", headers: [("Host", "h"), ("X-Pad", String(repeating: "p", count: 99) + "é")])
        #expect(padded.headerSectionSize == 9 + 5 + 2 + 101 + 2)
    }

    @Test func headerSectionLimitError() {
        let e = S3Error.requestHeaderSectionTooLarge
        #expect(e.status == 400)
        #expect(e.code == "RequestHeaderSectionTooLarge")
        #expect(e.fields.map(\.0) == ["MaxSizeAllowed"] && e.fields.map(\.1) == ["8192"])
        #expect(RequestHead.maxHeaderSectionSize == 8192)
    }
}
