import Foundation
import S3Wire
import Testing

@testable import EmulatorServer

@Suite struct InspectorHTMLTests {
    typealias H = InspectorHTML

    @Test func escapesTheFiveCharacters() {
        #expect(H.escape(#"<a href="x">Tom & 'Jerry'</a>"#) == "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;")
        #expect(H.escape("plain ✓ text") == "plain ✓ text")
        #expect(H.escape("") == "")
        #expect(H.escape("&amp;") == "&amp;amp;")  // escaping is not idempotent: escape once, at the edge
    }

    @Test func encodesQueryValuesAndLinks() {
        #expect(H.queryValue("a b/c&d=é") == "a%20b%2Fc%26d%3D%C3%A9")
        #expect(H.queryValue("Az09-._~") == "Az09-._~")
        #expect(H.link("object", [("bucket", "b"), ("key", "dir/x y"), ("after", nil)]) == "/_s3emu/ui/object?bucket=b&key=dir%2Fx%20y")
        #expect(H.link("") == "/_s3emu/ui/")
    }

    @Test func hexDumpHasOffsetsHexAndASCII() {
        let bytes = Array("Hello, <world>!\n".utf8) + [0x00, 0xFF, 0x41]
        let dump = H.hexDump(bytes)
        let lines = dump.split(separator: "\n").map(String.init)
        #expect(lines.count == 2)
        #expect(lines[0] == "00000000  48 65 6c 6c 6f 2c 20 3c  77 6f 72 6c 64 3e 21 0a  |Hello, <world>!.|")
        #expect(lines[1] == "00000010  00 ff 41" + String(repeating: " ", count: 40) + "  |..A|")
        #expect(H.hexDump([]) == "(no bytes)")
        // The ASCII column can hold markup characters: the block escapes them.
        let block = H.hexDumpBlock(bytes)
        #expect(block.contains("|Hello, &lt;world&gt;!.|"))
        #expect(!block.contains("<world>"))
        #expect(block.hasPrefix("<pre class=\"hex\">") && block.hasSuffix("</pre>"))
    }

    @Test func hexDumpOf256BytesHas16Lines() {
        let dump = H.hexDump((0..<256).map { UInt8($0) })
        let lines = dump.split(separator: "\n")
        #expect(lines.count == 16)
        #expect(lines.last!.hasPrefix("000000f0  f0 f1"))
        #expect(lines.allSatisfy { $0.count == lines[0].count })
    }

    @Test func tablesEscapeTextCells() {
        let html = H.table(id: "t<1>", headers: ["Key", "<b>"], rows: [[.text("<script>alert(1)</script>"), .link("k&v", href: "/x?a=1&b=\"2\"")]])
        #expect(html.contains("id=\"t&lt;1&gt;\""))
        #expect(html.contains("<th>&lt;b&gt;</th>"))
        #expect(html.contains("<td>&lt;script&gt;alert(1)&lt;/script&gt;</td>"))
        #expect(html.contains("<a href=\"/x?a=1&amp;b=&quot;2&quot;\">k&amp;v</a>"))
        #expect(!html.contains("<script>"))
        let empty = H.table(headers: ["A", "B"], rows: [], empty: "none <here>")
        #expect(empty.contains("colspan=\"2\">none &lt;here&gt;</td>"))
    }

    @Test func pageHasNavAndEscapedTitle() {
        let page = H.page(title: "Bucket <x>", active: .keys, body: "<p>body</p>")
        #expect(page.hasPrefix("<!DOCTYPE html>"))
        #expect(page.contains("<title>Bucket &lt;x&gt; · s3emu inspector</title>"))
        #expect(page.contains("<a href=\"/_s3emu/ui/keys\" class=\"active\">KMS keys</a>"))
        #expect(page.contains("<a href=\"/_s3emu/ui/audit\">Audit trail</a>"))
        #expect(!page.contains("<script") && !page.contains("http://") && !page.contains("https://"))
    }

    @Test func sizesAndDates() {
        #expect(H.size(1023) == "1023")
        #expect(H.size(5 * 1024 * 1024) == "5242880 (5.0 MiB)")
        #expect(H.date(epochSeconds: 0) == "1970-01-01 00:00:00Z")
        #expect(H.date(ms: 1_700_000_000_123) == "2023-11-14 22:13:20Z")
    }
}

@Suite struct InspectorPagesTests {
    @Test func modeLabels() {
        #expect(InspectorPages.modeLabel(serverMode: "SSE-KMS", clientSide: nil) == "SSE-KMS")
        #expect(InspectorPages.modeLabel(serverMode: nil, clientSide: nil) == "none")
        #expect(InspectorPages.modeLabel(serverMode: "SSE-S3", clientSide: "V3") == "client-side V3 (SSE-S3 at rest)")
        #expect(InspectorPages.modeLabel(serverMode: nil, clientSide: "V2") == "client-side V2 (unencrypted at rest)")
        #expect(InspectorPages.keyId(fromARN: "arn:aws:kms:us-east-1:123456789012:key/abc-def") == "abc-def")
        #expect(InspectorPages.keyId(fromARN: "alias/x") == "alias/x")
    }

    @Test func bucketAndObjectPagesEscapeNamesAndKeys() {
        let buckets = InspectorPages.buckets([
            .init(name: "b1", region: "us-east-1", createdMs: 0, objectCount: 3, countCapped: false, encryption: "SSE-KMS (alias/<k>)",
                  sseCBlocked: true, hasPolicy: true),
        ])
        #expect(buckets.contains("href=\"/_s3emu/ui/bucket?name=b1\""))
        #expect(buckets.contains("SSE-KMS (alias/&lt;k&gt;)"))
        let objects = InspectorPages.objects(
            bucket: "b1", prefix: "",
            rows: [.init(key: "<img src=x>", size: 5, storedSize: 37, mode: "SSE-KMS",
                         kmsKeyARN: "arn:aws:kms:us-east-1:1:key/kid-1", keyVersion: String(repeating: "ab", count: 32),
                         lastModifiedMs: 0, parts: 1)],
            nextAfter: "<img src=x>", pageSize: 1)
        #expect(!objects.contains("<img"))
        #expect(objects.contains("key=%3Cimg%20src%3Dx%3E"))
        #expect(objects.contains(">kid-1</code>"))
        #expect(objects.contains("after=%3Cimg%20src%3Dx%3E"))
    }

    @Test func keysAndAuditPages() {
        let keys = InspectorPages.keys([
            .init(id: "k1", arn: "arn:k1", description: "d <1>", state: "Enabled", keySpec: "SYMMETRIC_DEFAULT", keyUsage: "ENCRYPT_DECRYPT",
                  manager: "CUSTOMER", aliases: ["alias/app"], creationDate: 0, deletionDate: nil, rotationEnabled: true,
                  rotationPeriodDays: 90, nextRotation: nil,
                  materials: [.init(materialId: "m0", current: false, rotationType: nil, rotationDate: nil),
                              .init(materialId: "m1", current: true, rotationType: "ON_DEMAND", rotationDate: 86400)]),
        ], note: nil)
        #expect(keys.contains("d &lt;1&gt;"))
        #expect(keys.contains("enabled, every 90 days"))
        #expect(keys.contains("#1 m1 on-demand rotation 1970-01-02 00:00:00Z"))
        #expect(keys.contains("<code>alias/app</code>"))
        let audit = InspectorPages.audit(
            [.init(seq: 7, time: "t", operation: "Decrypt", caller: "ak", keyId: "k1", keyVersion: 1,
                   context: ["aws:s3:arn": "arn:aws:s3:::b/<k>"], result: "DisabledException")],
            limit: 10, hideInspector: false, path: "/d/audit.jsonl", note: nil)
        #expect(audit.contains("aws:s3:arn=arn:aws:s3:::b/&lt;k&gt;"))
        #expect(audit.contains("class=\"bad\">DisabledException"))
        #expect(audit.contains("Hide the inspector"))
        #expect(InspectorPages.audit([], limit: 5, hideInspector: true, path: nil, note: nil).contains("show_inspector=1"))
    }

    @Test func objectPageShowsVerdictDumpsAndNoPlaintextForSSEC() {
        var model = InspectorObjectPage.Model(
            bucket: "b", key: "k", inspection: ["mode": "SSE-C", "plaintext_prefix_found_in_stored_bytes": NSNull(),
                                                 "parts": [["number": 1, "mode": "SSE-C", "stored_size": 40, "plaintext_size": 8, "segments": 1]],
                                                 "bucket_key_enabled": false, "segments": 1],
            stored: [1, 2, 3], plaintext: nil, plaintextNote: "SSE-C: cannot <decrypt>")
        var html = InspectorObjectPage.render(model)
        #expect(html.contains("SSE-C: cannot &lt;decrypt&gt;"))
        #expect(html.contains("<b>null</b>"))
        #expect(html.contains("<th>bucket_key_enabled</th><td>false</td>"))
        #expect(html.contains("00000000  01 02 03"))
        model.inspection["plaintext_prefix_found_in_stored_bytes"] = false
        model.plaintext = Array("hello".utf8)
        html = InspectorObjectPage.render(model)
        #expect(html.contains("<b>false</b>"))
        #expect(html.contains("|hello|"))
    }
}

@Suite struct InspectorAuthTests {
    let auth = InspectorAuth(token: "tok-123", credentials: ["AK": "secret/key"])

    func head(_ target: String, _ headers: [(String, String)] = []) -> RequestHead {
        RequestHead(method: "GET", target: target, headers: headers)
    }

    @Test func tokenCookieAndBasic() {
        #expect(auth.authenticate(head("/_s3emu/ui/?token=tok-123")) == .tokenLogin)
        if case .denied = auth.authenticate(head("/_s3emu/ui/?token=tok-124")) {} else { Issue.record("wrong token accepted") }
        if case .denied = auth.authenticate(head("/_s3emu/ui/")) {} else { Issue.record("no credentials accepted") }
        let cookie = "other=1; \(InspectorAuth.cookieName)=\(auth.sessionValue)"
        #expect(auth.authenticate(head("/_s3emu/ui/", [("cookie", cookie)])) == .session)
        if case .denied = auth.authenticate(head("/_s3emu/ui/", [("cookie", "\(InspectorAuth.cookieName)=tok-123")])) {} else {
            Issue.record("the raw token must not work as a cookie")
        }
        let basic = "Basic " + Data("AK:secret/key".utf8).base64EncodedString()
        #expect(auth.authenticate(head("/_s3emu/ui/", [("authorization", basic)])) == .basic(accessKey: "AK"))
        let wrong = "Basic " + Data("AK:nope".utf8).base64EncodedString()
        if case .denied = auth.authenticate(head("/_s3emu/ui/", [("authorization", wrong)])) {} else { Issue.record("wrong secret accepted") }
    }

    @Test func cookieNeverHoldsTheToken() {
        let c = auth.setCookie(secure: true)
        #expect(!c.contains("tok-123"))
        #expect(c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.contains("Secure") && c.contains("Path=/_s3emu/ui/"))
        #expect(!auth.setCookie(secure: false).contains("Secure"))
        #expect(InspectorAuth.newToken().count == 43)
        #expect(InspectorAuth.newToken() != InspectorAuth.newToken())
    }

    @Test func redirectDropsOnlyTheToken() {
        #expect(InspectorAuth.withoutToken(path: "/_s3emu/ui/", rawQuery: "token=abc") == "/_s3emu/ui/")
        #expect(InspectorAuth.withoutToken(path: "/_s3emu/ui/object", rawQuery: "bucket=b&token=abc&key=k") == "/_s3emu/ui/object?bucket=b&key=k")
        #expect(InspectorAuth.constantTimeEqual("abc", "abc") && !InspectorAuth.constantTimeEqual("abc", "abcd"))
    }
}

@Suite struct AuditTrailReaderTests {
    @Test func readsNewestFirstAndSkipsBrokenLines() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("audit-\(UUID().uuidString).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let lines = [
            #"{"seq":1,"time":"2026-01-01T00:00:00.000Z","op":"CreateKey","caller":"ak","keyId":"k1","result":"ok","prev":"0","hash":"1"}"#,
            #"{"seq":2,"time":"2026-01-01T00:00:01.000Z","op":"Decrypt","caller":"s3","keyId":"k1","keyVersion":0,"context":{"a":"b"},"result":"ok","prev":"1","hash":"2"}"#,
            #"{"seq":3,"time":"2026-01-01T00:00:02.000Z","op":"ListKeys","caller":"s3emu-web-inspector","result":"ok","prev":"2","hash":"3"}"#,
            #"{"seq":4,"ti"#,
        ]
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let all = try AuditTrailReader.newest(path: path, limit: 10)
        #expect(all.map(\.seq) == [3, 2, 1])
        #expect(all[1].context == ["a": "b"] && all[1].keyVersion == 0 && all[1].operation == "Decrypt")
        #expect(try AuditTrailReader.newest(path: path, limit: 1).map(\.seq) == [3])
        #expect(try AuditTrailReader.newest(path: path, limit: 10) { $0.caller != "s3emu-web-inspector" }.map(\.seq) == [2, 1])
        // Reading only the tail drops the partial first line.
        #expect(try AuditTrailReader.newest(path: path, limit: 10, maxBytes: lines[2].utf8.count + lines[3].utf8.count + 2).map(\.seq) == [3])
        #expect(throws: AuditTrailReader.ReadError.missing(path + ".none")) { try AuditTrailReader.newest(path: path + ".none", limit: 1) }
    }
}
