import Foundation

/// The web inspector's HTML building blocks: escaping, hex dumps, tables, the page frame. Pure string building, no
/// I/O; every dynamic value goes through ``escape(_:)`` (tables escape text cells themselves).
enum InspectorHTML {
    /// Escapes `&`, `<`, `>`, `"` and `'`, so the result is safe as element text and as a quoted attribute value.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// Percent-encodes a query-string value (everything but RFC 3986's unreserved characters).
    static func queryValue(_ text: String) -> String {
        var out = ""
        for b in text.utf8 {
            switch b {
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x2D, 0x2E, 0x5F, 0x7E: out.unicodeScalars.append(Unicode.Scalar(b))
            default: out += String(format: "%%%02X", b)
            }
        }
        return out
    }

    /// A path under `/_s3emu/ui/` with query parameters (nil values are left out), percent-encoded.
    static func link(_ page: String, _ query: [(String, String?)] = []) -> String {
        let items = query.compactMap { name, value in value.map { "\(name)=\(queryValue($0))" } }
        return "/_s3emu/ui/" + page + (items.isEmpty ? "" : "?" + items.joined(separator: "&"))
    }

    /// A classic hex dump: offset, 16 bytes in hex (two groups of 8), then the printable ASCII (`.` for the rest).
    /// Plain text: escape it before putting it in a page (``hexDumpBlock(_:)`` does).
    static func hexDump(_ bytes: [UInt8], width: Int = 16) -> String {
        guard !bytes.isEmpty else { return "(no bytes)" }
        let digits = Array("0123456789abcdef".utf8)
        var lines: [String] = []
        var offset = 0
        while offset < bytes.count {
            let row = bytes[offset..<min(offset + width, bytes.count)]
            var hex: [UInt8] = []
            for (i, b) in row.enumerated() {
                if i > 0 { hex.append(0x20) }
                if i == width / 2 { hex.append(0x20) }
                hex += [digits[Int(b >> 4)], digits[Int(b & 0xF)]]
            }
            let fullWidth = width * 3 - 1 + (width >= 2 ? 1 : 0)
            let pad = String(repeating: " ", count: max(0, fullWidth - hex.count))
            let ascii = String(decoding: row.map { (0x20...0x7E).contains($0) ? $0 : 0x2E }, as: UTF8.self)
            let position = String(offset, radix: 16)
            let paddedOffset = String(repeating: "0", count: max(0, 8 - position.count)) + position
            lines.append("\(paddedOffset)  \(String(decoding: hex, as: UTF8.self))\(pad)  |\(ascii)|")
            offset += width
        }
        return lines.joined(separator: "\n")
    }

    /// A hex dump as an escaped `<pre>` block.
    static func hexDumpBlock(_ bytes: [UInt8]) -> String {
        "<pre class=\"hex\">" + escape(hexDump(bytes)) + "</pre>"
    }

    /// One table cell: escaped text, or HTML built by this type.
    struct Cell: Sendable, ExpressibleByStringLiteral {
        /// The cell's HTML.
        let html: String
        /// A CSS class for the `<td>`.
        var cssClass: String?

        init(html: String, cssClass: String? = nil) {
            self.html = html
            self.cssClass = cssClass
        }

        init(stringLiteral value: String) { self.init(html: InspectorHTML.escape(value)) }

        /// Escaped text.
        static func text(_ s: String, class cssClass: String? = nil) -> Cell { Cell(html: InspectorHTML.escape(s), cssClass: cssClass) }
        /// A link whose text and target are escaped.
        static func link(_ s: String, href: String, title: String? = nil) -> Cell {
            let t = title.map { " title=\"\(InspectorHTML.escape($0))\"" } ?? ""
            return Cell(html: "<a href=\"\(InspectorHTML.escape(href))\"\(t)>\(InspectorHTML.escape(s))</a>")
        }
        /// Text in a `<code>` element.
        static func code(_ s: String?) -> Cell { s.map { Cell(html: "<code>\(InspectorHTML.escape($0))</code>") } ?? dash }
        /// An empty value.
        static let dash = Cell(html: "<span class=\"muted\">—</span>")
    }

    /// A table with a header row. `id` (escaped) lets tests and links find it.
    static func table(id: String? = nil, headers: [String], rows: [[Cell]], empty: String = "nothing here") -> String {
        var out = "<table" + (id.map { " id=\"\(escape($0))\"" } ?? "") + "><thead><tr>"
        for h in headers { out += "<th>\(escape(h))</th>" }
        out += "</tr></thead><tbody>"
        if rows.isEmpty {
            out += "<tr><td class=\"muted\" colspan=\"\(max(1, headers.count))\">\(escape(empty))</td></tr>"
        }
        for row in rows {
            out += "<tr>"
            for cell in row { out += (cell.cssClass.map { "<td class=\"\(escape($0))\">" } ?? "<td>") + cell.html + "</td>" }
            out += "</tr>"
        }
        return out + "</tbody></table>"
    }

    /// A two-column table of names and values.
    static func definitions(id: String? = nil, _ rows: [(String, Cell)]) -> String {
        var out = "<table class=\"defs\"" + (id.map { " id=\"\(escape($0))\"" } ?? "") + "><tbody>"
        for (name, value) in rows { out += "<tr><th>\(escape(name))</th><td>\(value.html)</td></tr>" }
        return out + "</tbody></table>"
    }

    /// The pages of the nav bar.
    enum Section: String, CaseIterable, Sendable {
        case buckets = "Buckets", keys = "KMS keys", audit = "Audit trail"
        var href: String {
            switch self {
            case .buckets: InspectorHTML.link("")
            case .keys: InspectorHTML.link("keys")
            case .audit: InspectorHTML.link("audit")
            }
        }
    }

    /// A whole document: title, inline style, nav bar (with `active` marked) and `body` (already HTML).
    static func page(title: String, active: Section?, body: String) -> String {
        var nav = "<nav><span class=\"brand\">s3emu inspector</span>"
        for s in Section.allCases {
            nav += "<a href=\"\(escape(s.href))\"" + (s == active ? " class=\"active\"" : "") + ">\(escape(s.rawValue))</a>"
        }
        nav += "</nav>"
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(escape(title)) · s3emu inspector</title><style>\(style)</style></head>
            <body>\(nav)<main><h1>\(escape(title))</h1>\(body)</main></body></html>
            """
    }

    static let style = """
        body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2330;background:#f6f7f9}
        nav{display:flex;gap:4px;align-items:center;background:#1d2330;padding:0 16px}
        nav a,nav .brand{color:#d8dde8;text-decoration:none;padding:10px 12px;display:inline-block}
        nav .brand{font-weight:600;color:#fff;margin-right:12px}nav a.active,nav a:hover{background:#37415a;color:#fff}
        main{padding:16px 24px}h1{font-size:20px;margin:4px 0 12px}h2{font-size:16px;margin:20px 0 8px}
        table{border-collapse:collapse;background:#fff;margin:4px 0 12px;font-size:13px}
        th,td{border:1px solid #d9dde5;padding:4px 8px;text-align:left;vertical-align:top}
        thead th{background:#eceff4}table.defs th{background:#f1f3f7;font-weight:500;white-space:nowrap}
        td.num{text-align:right;font-variant-numeric:tabular-nums}code,pre{font:12px/1.35 ui-monospace,Menlo,Consolas,monospace}
        pre.hex{background:#fff;border:1px solid #d9dde5;padding:8px;margin:4px 0;white-space:pre}
        .muted{color:#7a8394}.ok{color:#1b7a3a}.bad{color:#b3261e;font-weight:600}.warn{color:#9a6400}
        .mode{display:inline-block;padding:0 6px;border-radius:3px;background:#e7ecf7;white-space:nowrap}
        .sides{display:flex;gap:16px;flex-wrap:wrap}.sides>div{flex:1 1 560px}p.note{max-width:70em}
        a{color:#2452b5}.nowrap{white-space:nowrap}
        """

    /// `1234567` → `1234567 (1.2 MiB)`; small sizes are just the number.
    static func size(_ n: Int64) -> String {
        guard n >= 1024 else { return "\(n)" }
        let units = ["KiB", "MiB", "GiB", "TiB"]
        var v = Double(n) / 1024
        var i = 0
        while v >= 1024 && i < units.count - 1 {
            v /= 1024
            i += 1
        }
        return "\(n) (\(String(format: "%.1f", v)) \(units[i]))"
    }

    /// Seconds since the epoch as `2026-01-02 03:04:05Z`.
    static func date(epochSeconds: Double) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm:ss'Z'"
        return f.string(from: Date(timeIntervalSince1970: epochSeconds))
    }

    /// Milliseconds since the epoch, formatted as ``date(epochSeconds:)``.
    static func date(ms: Int64) -> String { date(epochSeconds: Double(ms) / 1000) }
}
