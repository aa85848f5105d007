import Testing

@testable import S3Wire

@Suite struct XMLWriterTests {
    @Test(arguments: [
        ("plain text", "plain text"),
        ("", ""),
        ("a&b", "a&amp;b"),
        ("<Key>", "&lt;Key&gt;"),
        ("\"quoted\" 'single'", "&quot;quoted&quot; 'single'"),
        ("it's", "it's"),
        ("line1\nline2\r\ttab", "line1&#xA;line2&#xD;&#x9;tab"),
        ("\u{01}\u{1F}", "&#x1;&#x1F;"),
        ("café 😀", "café 😀"),
        ("&amp;", "&amp;amp;"),
        ("a & é\n", "a &amp; é&#xA;"),
    ])
    func escape(_ input: String, _ expected: String) {
        #expect(XMLWriter.escape(input) == expected)
    }

    @Test func documentBuilding() {
        var w = XMLWriter()
        w.open("ListAllMyBucketsResult", namespace: true)
        w.open("Buckets")
        w.element("Name", "a<b")
        w.element("Missing", ifPresent: nil)
        w.element("Present", ifPresent: "x")
        w.close("Buckets")
        w.close("ListAllMyBucketsResult")
        #expect(
            w.document
                == "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListAllMyBucketsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Buckets><Name>a&lt;b</Name><Present>x</Present></Buckets></ListAllMyBucketsResult>"
        )
    }

    @Test func escapedTextRoundTripsThroughTheParser() throws {
        let text = "a&b <c> \"d\" 'e' \n\t\r f\u{01} é"
        var w = XMLWriter()
        w.element("Key", text)
        let node = try XMLNode.parse(Array(w.document.utf8))
        #expect(node == XMLNode(name: "Key", text: text))
    }
}
