import Foundation

/// The web inspector's object page: the inspection data (`GET /_s3emu/inspect/…`'s fields), and the first bytes
/// of the plaintext and of what is stored, side by side as hex dumps.
enum InspectorObjectPage {
    typealias H = InspectorHTML
    typealias Cell = InspectorHTML.Cell

    /// How many leading bytes the dumps show.
    static let dumpLength = 256

    /// What the page shows.
    struct Model {
        var bucket: String
        var key: String
        /// The inspection fields (``S3Service/inspect(bucket:key:caller:)``).
        var inspection: [String: Any]
        /// The first stored bytes (ciphertext for encrypted objects).
        var stored: [UInt8]
        /// The first plaintext bytes, when the server can decrypt the object itself.
        var plaintext: [UInt8]?
        /// Why there is no plaintext dump (SSE-C, client-side).
        var plaintextNote: String?
    }

    /// Fields shown in the summary, in order; the rest follow alphabetically.
    static let leading = ["mode", "kms_key_arn", "key_version", "algorithm", "format_version", "layers", "segments",
                          "plaintext_size", "stored_size", "bucket_key_enabled", "encryption_context"]
    /// Fields shown elsewhere on the page (or repeating the page title).
    static let shownElsewhere: Set<String> = ["bucket", "key", "parts", "client_side", "plaintext_prefix_found_in_stored_bytes", "stored_prefix_hex"]

    static func render(_ m: Model) -> String {
        var body = "<p><a href=\"\(H.escape(H.link("")))\">Buckets</a> / "
        body += "<a href=\"\(H.escape(H.link("bucket", [("name", m.bucket)])))\">\(H.escape(m.bucket))</a> / <b>\(H.escape(m.key))</b></p>"
        body += verdict(m.inspection["plaintext_prefix_found_in_stored_bytes"])
        body += "<h2>First \(dumpLength) bytes</h2><div class=\"sides\">"
        body += "<div id=\"plaintext-dump\"><h3>Plaintext</h3>"
        if let p = m.plaintext {
            body += H.hexDumpBlock(p)
        } else {
            body += "<p class=\"note warn\">\(H.escape(m.plaintextNote ?? "Not available."))</p>"
        }
        body += "</div><div id=\"stored-dump\"><h3>Stored bytes (on disk)</h3>" + H.hexDumpBlock(m.stored) + "</div></div>"

        let rest = m.inspection.keys.filter { !leading.contains($0) && !shownElsewhere.contains($0) }.sorted()
        let rows = (leading.filter { m.inspection[$0] != nil } + rest).map { name in
            (name, name == "encryption_context" ? context(m.inspection[name]) : value(m.inspection[name]))
        }
        body += "<h2>Envelope</h2>" + H.definitions(id: "inspection", rows)

        if let parts = m.inspection["parts"] as? [[String: Any]], !parts.isEmpty {
            body += "<h2>Parts</h2>" + H.table(
                id: "parts", headers: ["Part", "Mode", "Plaintext size", "Stored size", "Segments"],
                rows: parts.map { p in
                    [.text(text(p["number"]), class: "num"), .text(text(p["mode"])), .text(text(p["plaintext_size"]), class: "num"),
                     .text(text(p["stored_size"]), class: "num"), .text(text(p["segments"]), class: "num")]
                })
        }

        body += "<h2>Client-side encryption</h2>"
        if let cse = m.inspection["client_side"] as? [String: Any] {
            body += H.definitions(id: "client-side", cse.keys.sorted().map { ($0, value(cse[$0])) })
        } else {
            body += "<p class=\"muted\">No S3 Encryption Client envelope on this object.</p>"
        }

        return H.page(title: "Object \(m.key)", active: .buckets, body: body)
    }

    /// The `plaintext_prefix_found_in_stored_bytes` verdict, as a sentence.
    static func verdict(_ v: Any?) -> String {
        let label = "<code>plaintext_prefix_found_in_stored_bytes</code>"
        switch v {
        case let b as Bool where !b:
            return "<p id=\"verdict\" class=\"ok\">\(label): <b>false</b> — the first plaintext bytes occur nowhere in the stored bytes.</p>"
        case let b as Bool where b:
            return "<p id=\"verdict\" class=\"bad\">\(label): <b>true</b> — the plaintext is readable in the stored bytes (not encrypted at rest).</p>"
        default:
            return "<p id=\"verdict\" class=\"muted\">\(label): <b>null</b> — not checked (the server cannot decrypt this object, or it is empty).</p>"
        }
    }

    /// The `x-amz-server-side-encryption-context` header kept with an SSE-KMS object (base64 of a JSON object):
    /// decoded, with the raw value below.
    static func context(_ v: Any?) -> Cell {
        guard let raw = v as? String, let data = Data(base64Encoded: raw),
            let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return value(v) }
        let pairs = json.keys.sorted().map { "\($0)=\(text(json[$0]))" }.joined(separator: "\n")
        return Cell(html: "<code>\(H.escape(pairs).replacingOccurrences(of: "\n", with: "<br>"))</code>"
            + "<br><span class=\"muted\">header: <code>\(H.escape(raw))</code></span>")
    }

    /// A JSON value as a cell: objects and arrays of objects as nested tables, the rest as escaped text.
    static func value(_ v: Any?) -> Cell {
        switch v {
        case nil, is NSNull: return .dash
        case let d as [String: Any]:
            if d.isEmpty { return .dash }
            return Cell(html: H.definitions(d.keys.sorted().map { ($0, value(d[$0])) }))
        case let a as [Any]:
            if a.isEmpty { return .dash }
            return Cell(html: a.map { value($0).html }.joined(separator: "<br>"))
        case let s as String: return .code(s)
        default: return .text(text(v))
        }
    }

    /// A scalar JSON value as text (`true`/`false` for booleans, not `1`/`0`).
    static func text(_ v: Any?) -> String {
        switch v {
        case nil, is NSNull: return "—"
        case let b as Bool: return b ? "true" : "false"
        case let s as String: return s
        default: return "\(v!)"
        }
    }
}
