import Testing

@testable import S3Wire

@Suite struct MultipartFormParserTests {
    typealias Event = MultipartFormParser.Event

    @Test(arguments: [
        ("multipart/form-data; boundary=abc", Optional("abc")),
        ("multipart/form-data;boundary=abc", "abc"),
        ("Multipart/Form-Data; charset=utf-8; Boundary=\"q b\"", "q b"),
        ("multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxkTrZu0gW", "----WebKitFormBoundary7MA4YWxkTrZu0gW"),
        ("multipart/form-data; boundary=\"\"", nil),
        ("multipart/form-data; boundary=", nil),
        ("multipart/form-data", nil),
        ("multipart/mixed; boundary=abc", nil),
        ("text/plain; boundary=abc", nil),
    ] as [(String, String?)])
    func boundary(_ contentType: String, _ expected: String?) {
        #expect(MultipartFormParser.boundary(contentType: contentType) == expected)
    }

    static let form = Array(
        ("preamble to ignore\r\n"
            + "--XyZ\r\n"
            + "Content-Disposition: form-data; name=\"key\"\r\n\r\n"
            + "photos/${filename}\r\n"
            + "--XyZ\r\n"
            + "Content-Disposition: form-data; name=\"x-amz-meta-note\"\r\n\r\n"
            + "line one\r\nline two\r\n"
            + "--XyZ\r\n"
            + "Content-Disposition: form-data; name=\"file\"; filename=\"a b.txt\"\r\n"
            + "Content-Type: text/plain\r\n\r\n"
            + "hello\r\n--XyY almost\r\n-\r\n--Xy\r\n--X\r\nworld\r\n"
            + "--XyZ\r\n"
            + "Content-Disposition: form-data; name=\"submit\"\r\n\r\n"
            + "Upload\r\n"
            + "--XyZ--\r\n"
            + "epilogue").utf8)

    static let fileBytes = Array("hello\r\n--XyY almost\r\n-\r\n--Xy\r\n--X\r\nworld".utf8)

    static let expected: [Event] = [
        .field(name: "key", value: "photos/${filename}"),
        .field(name: "x-amz-meta-note", value: "line one\r\nline two"),
        .fileStart(fieldName: "file", filename: "a b.txt", contentType: "text/plain"),
        .fileData(fileBytes),
        .fileEnd,
        .field(name: "submit", value: "Upload"),
    ]

    /// Feeds `bytes` in pieces and merges consecutive file data events (their split depends on the pieces).
    static func parse(_ bytes: [UInt8], piece: Int, boundary: String = "XyZ") throws -> (events: [Event], complete: Bool) {
        var parser = MultipartFormParser(boundary: boundary)
        var events: [Event] = []
        var i = 0
        while i < bytes.count {
            let end = min(i + piece, bytes.count)
            for e in try parser.feed(Array(bytes[i..<end])) {
                if case .fileData(let more) = e, case .fileData(let had) = events.last {
                    events[events.count - 1] = .fileData(had + more)
                } else {
                    events.append(e)
                }
            }
            i = end
        }
        return (events, parser.isComplete)
    }

    @Test(arguments: [Int.max, 1, 2, 3, 5, 7, 13, 64])
    func parsesAFormWhateverThePieces(_ piece: Int) throws {
        let (events, complete) = try Self.parse(Self.form, piece: min(piece, Self.form.count))
        #expect(events == Self.expected)
        #expect(complete)
    }

    @Test func firstBoundaryWithoutPreambleAndEmptyFile() throws {
        let text = "--b\r\nContent-Disposition: form-data; name=\"File\"\r\n\r\n\r\n--b--"
        let (events, complete) = try Self.parse(Array(text.utf8), piece: 1000, boundary: "b")
        #expect(events == [.fileStart(fieldName: "File", filename: nil, contentType: nil), .fileEnd])
        #expect(complete)
    }

    @Test func incompleteFormIsNotComplete() throws {
        let cut = Array(Self.form.prefix(Self.form.count - 20))
        let (_, complete) = try Self.parse(cut, piece: 100)
        #expect(!complete)
    }

    @Test func bytesAfterTheEndAreIgnored() throws {
        var parser = MultipartFormParser(boundary: "b")
        _ = try parser.feed(Array("--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--b--".utf8))
        #expect(parser.isComplete)
        #expect(try parser.feed(Array("--b\r\nContent-Disposition: form-data; name=\"c\"\r\n\r\n2\r\n--b--".utf8)) == [])
    }

    @Test func partWithoutNameIsAnError() {
        var parser = MultipartFormParser(boundary: "b")
        let error = #expect(throws: MultipartFormParser.ParseError.self) {
            try parser.feed(Array("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--".utf8))
        }
        #expect(error?.reason == "part without a name")
    }

    @Test func oversizedFieldsAreAnError() {
        var parser = MultipartFormParser(boundary: "b")
        parser.maxFieldBytes = 10
        let error = #expect(throws: MultipartFormParser.ParseError.self) {
            try parser.feed(Array("--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n0123456789AB\r\n--b--".utf8))
        }
        #expect(error?.reason == "form fields too large")
    }

    @Test func oversizedPartHeadersAreAnError() {
        var parser = MultipartFormParser(boundary: "b")
        let error = #expect(throws: MultipartFormParser.ParseError.self) {
            try parser.feed(Array(("--b\r\nX-Long: " + String(repeating: "x", count: 17 * 1024)).utf8))
        }
        #expect(error?.reason == "part headers too large")
    }

    @Test func contentDispositionParameters() {
        #expect(MultipartFormParser.parameter("name", in: #"form-data; name="key"; filename="a;b""#) == "key")
        #expect(MultipartFormParser.parameter("filename", in: #"form-data; name="key"; filename="a.txt""#) == "a.txt")
        #expect(MultipartFormParser.parameter("name", in: "form-data; NAME=plain") == "plain")
        #expect(MultipartFormParser.parameter("filename", in: #"form-data; name="key""#) == nil)
    }
}
