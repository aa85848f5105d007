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
}
