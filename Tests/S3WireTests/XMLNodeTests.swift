import Testing

@testable import S3Wire

@Suite struct XMLNodeTests {
    static func parse(_ text: String) throws -> XMLNode { try XMLNode.parse(Array(text.utf8)) }

    @Test func completeMultipartUploadWithNamespaceDeclarationAndComments() throws {
        let doc = try Self.parse(
            """
            <?xml version="1.0" encoding="UTF-8"?>
            <!-- parts to assemble -->
            <CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><PartNumber>1</PartNumber><ETag>"a54357aff0632cce46d942af68356b38"</ETag></Part><!-- second --><Part><ETag>&quot;0c78aef83f66abc1fa1e8477f296d394&quot;</ETag><PartNumber>2</PartNumber><ChecksumCRC32>NhCmhg==</ChecksumCRC32></Part></CompleteMultipartUpload>
            <!-- trailing comment -->

            """)
        #expect(
            doc
                == XMLNode(
                    name: "CompleteMultipartUpload",
                    children: [
                        XMLNode(
                            name: "Part",
                            children: [
                                XMLNode(name: "PartNumber", text: "1"),
                                XMLNode(name: "ETag", text: "\"a54357aff0632cce46d942af68356b38\""),
                            ]),
                        XMLNode(
                            name: "Part",
                            children: [
                                XMLNode(name: "ETag", text: "\"0c78aef83f66abc1fa1e8477f296d394\""),
                                XMLNode(name: "PartNumber", text: "2"),
                                XMLNode(name: "ChecksumCRC32", text: "NhCmhg=="),
                            ]),
                    ]))
        #expect(doc.children("Part").count == 2)
        #expect(doc.children("Part").map { $0.value("PartNumber") } == ["1", "2"])
        #expect(doc.child("Part")?.value("ETag") == "\"a54357aff0632cce46d942af68356b38\"")
        #expect(doc.child("Missing") == nil)
        #expect(doc.value("Missing") == nil)
    }

    @Test func deleteWithPrefixedNamespaceEntitiesAndCDATA() throws {
        let doc = try Self.parse(
            """
            <?xml version="1.0"?>
            <s3:Delete xmlns:s3="http://s3.amazonaws.com/doc/2006-03-01/">
              <s3:Quiet>true</s3:Quiet>
              <s3:Object><s3:Key>a&amp;b &#x41;&#65; &lt;&gt;&apos;&quot;</s3:Key></s3:Object>
              <Object><Key><![CDATA[<x>&amp;]]></Key><VersionId/></Object>
              <Object><Key>caf&#xE9; &#x1F600;</Key><VersionId   /></Object>
            </s3:Delete>
            """)
        #expect(doc.name == "Delete")
        #expect(doc.value("Quiet") == "true")
        let objects = doc.children("Object")
        #expect(objects.count == 3)
        #expect(objects.map { $0.value("Key") } == ["a&b AA <>'\"", "<x>&amp;", "café 😀"])
        #expect(objects[1].child("VersionId") == XMLNode(name: "VersionId"))
        #expect(objects[2].child("VersionId") == XMLNode(name: "VersionId"))
        #expect(doc.text == "\n  \n  \n  \n  \n")
    }

    @Test func textKeepsWhitespaceAndMixesCDATAWithCharacters() throws {
        let doc = try Self.parse("<a>  x <![CDATA[ y ]]> z&#32;</a>")
        #expect(doc == XMLNode(name: "a", text: "  x  y  z "))
    }

    @Test func attributesAreParsedAndIgnored() throws {
        let doc = try Self.parse(#"<a one="1" two = 'x>y' three="&amp;"><b c="d"/></a>"#)
        #expect(doc == XMLNode(name: "a", children: [XMLNode(name: "b")]))
    }

    @Test func byteOrderMarkAndProcessingInstructionsInContent() throws {
        let doc = try XMLNode.parse([0xEF, 0xBB, 0xBF] + Array("<a><?pi x?>t</a>".utf8))
        #expect(doc == XMLNode(name: "a", text: "t"))
    }

    @Test func emptyRootAndSelfClosingRoot() throws {
        #expect(try Self.parse("<Root/>") == XMLNode(name: "Root"))
        #expect(try Self.parse("<Root></Root>") == XMLNode(name: "Root"))
        #expect(try Self.parse("<x:Root></x:Root>") == XMLNode(name: "Root"))
    }

    @Test func nestingLimit() throws {
        let ok = String(repeating: "<a>", count: 64) + String(repeating: "</a>", count: 64)
        _ = try Self.parse(ok)
        let deep = String(repeating: "<a>", count: 65) + String(repeating: "</a>", count: 65)
        let error = #expect(throws: XMLParseError.self) { try Self.parse(deep) }
        #expect(error?.reason == "too deeply nested")
    }

    @Test(arguments: [
        ("<a><b></a></b>", "mismatched end tag"),
        ("<a></b>", "mismatched end tag"),
        ("<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>", "DTDs are not accepted"),
        ("<?xml version=\"1.0\"?><!DOCTYPE a><a/>", "DTDs are not accepted"),
        ("<a><!ENTITY x \"y\"></a>", "markup declaration in content"),
        ("<a>", "unterminated element a"),
        ("<a><b>text</b>", "unterminated element a"),
        ("<a", "unterminated start tag"),
        ("<a x=\"1>", "unterminated attribute"),
        ("<a x=\"1></a>", "'<' in attribute"),
        ("<a x=1/>", "expected quote"),
        ("<a x/>", "expected '='"),
        ("<a x=\"<\"/>", "'<' in attribute"),
        ("<a/ >", "bad empty-element tag"),
        ("<a></a x>", "bad end tag"),
        ("<a><!-- never closed </a>", "unterminated construct"),
        ("<a><![CDATA[never closed</a>", "unterminated construct"),
        ("<?xml version=\"1.0\"", "unterminated construct"),
        ("", "no root element"),
        ("   ", "no root element"),
        ("text", "no root element"),
        ("<a/><b/>", "content after root element"),
        ("<a/>text", "content after root element"),
        ("<a>&foo;</a>", "unknown entity"),
        ("<a>&amp</a>", "bad entity"),
        ("<a>&#xZZ;</a>", "bad character reference"),
        ("<a>&#xD800;</a>", "bad character reference"),
        ("<a>&#x110000;</a>", "bad character reference"),
        ("< a/>", "expected a name"),
    ])
    func malformedDocumentsThrow(_ text: String, _ reason: String) {
        let error = #expect(throws: XMLParseError.self) { try Self.parse(text) }
        #expect(error?.reason == reason)
    }

    @Test func invalidUTF8Throws() {
        let error = #expect(throws: XMLParseError.self) { try XMLNode.parse(Array("<a>".utf8) + [0xFF, 0xFE] + Array("</a>".utf8)) }
        #expect(error?.reason == "invalid UTF-8")
    }
}
