import Foundation

/// The web inspector's pages, rendered from plain values (no store, no key module), so they can be tested alone.
/// The object page is in ``InspectorObjectPage``.
enum InspectorPages {
    typealias H = InspectorHTML
    typealias Cell = InspectorHTML.Cell

    // MARK: - Buckets

    /// One bucket on the buckets page.
    struct BucketRow: Sendable {
        var name: String
        var region: String
        var createdMs: Int64
        /// Objects counted, up to a cap.
        var objectCount: Int
        /// The count stopped at the cap.
        var countCapped: Bool
        /// The default encryption, as a short label (`SSE-S3`, `SSE-KMS (key)`, …).
        var encryption: String
        /// Whether the bucket's encryption configuration blocks SSE-C writes.
        var sseCBlocked: Bool
        var hasPolicy: Bool
    }

    static func buckets(_ rows: [BucketRow]) -> String {
        let table = H.table(
            id: "buckets", headers: ["Bucket", "Region", "Created", "Objects", "Default encryption", "SSE-C writes", "Policy"],
            rows: rows.map { b in
                [.link(b.name, href: H.link("bucket", [("name", b.name)])), .text(b.region), .text(H.date(ms: b.createdMs)),
                 .text(b.countCapped ? "≥ \(b.objectCount)" : "\(b.objectCount)", class: "num"), .text(b.encryption),
                 b.sseCBlocked ? .text("blocked", class: "muted") : .text("allowed"),
                 b.hasPolicy ? .text("yes") : .text("no", class: "muted")]
            }, empty: "No buckets yet.")
        return H.page(title: "Buckets", active: .buckets, body: table)
    }

    // MARK: - Objects

    /// One object on a bucket's page.
    struct ObjectRow: Sendable {
        var key: String
        var size: Int64
        var storedSize: Int64
        /// ``modeLabel(serverMode:clientSide:)``.
        var mode: String
        var kmsKeyARN: String?
        var keyVersion: String?
        var lastModifiedMs: Int64
        var parts: Int
    }

    /// How an object is encrypted, in one label: the server-side mode, or the client-side format with the
    /// server-side mode it is stored under (`client-side V3 (SSE-S3 at rest)`).
    static func modeLabel(serverMode: String?, clientSide: String?) -> String {
        let server = serverMode ?? "none"
        guard let clientSide else { return server }
        return "client-side \(clientSide) (\(server == "none" ? "unencrypted" : server) at rest)"
    }

    /// The bare key id of a KMS key ARN (`arn:aws:kms:r:a:key/ID` → `ID`); other strings unchanged.
    static func keyId(fromARN arn: String) -> String {
        guard let r = arn.range(of: ":key/") else { return arn }
        return String(arn[r.upperBound...])
    }

    static func objects(bucket: String, prefix: String, rows: [ObjectRow], nextAfter: String?, pageSize: Int) -> String {
        var body = "<p><a href=\"\(H.escape(H.link("")))\">Buckets</a> / <b>\(H.escape(bucket))</b>"
        if !prefix.isEmpty { body += " — keys starting with <code>\(H.escape(prefix))</code>" }
        body += "</p>"
        body += H.table(
            id: "objects", headers: ["Key", "Size", "Stored size", "Encryption", "KMS key", "Key version", "Parts", "Last modified"],
            rows: rows.map { o in
                [.link(o.key, href: H.link("object", [("bucket", bucket), ("key", o.key)])),
                 .text(H.size(o.size), class: "num"), .text(H.size(o.storedSize), class: "num"),
                 Cell(html: "<span class=\"mode\">\(H.escape(o.mode))</span>"),
                 o.kmsKeyARN.map { Cell(html: "<code title=\"\(H.escape($0))\">\(H.escape(keyId(fromARN: $0)))</code>") } ?? .dash,
                 o.keyVersion.map { Cell(html: "<code title=\"\(H.escape($0))\">\(H.escape(String($0.prefix(12))))</code>") } ?? .dash,
                 .text("\(o.parts)", class: "num"), .text(H.date(ms: o.lastModifiedMs))]
            }, empty: "No objects.")
        if let nextAfter {
            body += "<p>Showing \(rows.count) keys. <a href=\"\(H.escape(H.link("bucket", [("name", bucket), ("prefix", prefix.isEmpty ? nil : prefix), ("after", nextAfter)])))\">Next \(pageSize) →</a></p>"
        }
        return H.page(title: "Bucket \(bucket)", active: .buckets, body: body)
    }

    // MARK: - Keys

    /// One backing key (key material version) of a KMS key.
    struct Material: Sendable {
        /// `KeyMaterialId` (what an object's `key_version` names).
        var materialId: String
        var current: Bool
        /// `AUTOMATIC` or `ON_DEMAND`; nil for the key's original material.
        var rotationType: String?
        var rotationDate: Double?
    }

    /// One KMS key on the keys page.
    struct KeyRow: Sendable {
        var id: String
        var arn: String
        var description: String
        var state: String
        var keySpec: String
        var keyUsage: String
        var manager: String
        var aliases: [String]
        var creationDate: Double
        var deletionDate: Double?
        /// nil when the key cannot rotate (asymmetric).
        var rotationEnabled: Bool?
        var rotationPeriodDays: Int?
        var nextRotation: Double?
        var materials: [Material]
        /// A key module error met while describing the key.
        var problem: String?

        var onDemandRotations: Int { materials.filter { $0.rotationType == "ON_DEMAND" }.count }
    }

    static func keys(_ rows: [KeyRow], note: String?) -> String {
        var body = note.map { "<p class=\"note warn\">\(H.escape($0))</p>" } ?? ""
        body += H.table(
            id: "keys",
            headers: ["Key id", "Aliases", "State", "Spec / usage", "Rotation", "On-demand rotations", "Key material versions",
                      "Created", "Deletion date"],
            rows: rows.map { k in
                let state = k.state == "Enabled" ? "ok" : (k.state == "PendingDeletion" ? "bad" : "warn")
                var id = "<code title=\"\(H.escape(k.arn))\">\(H.escape(k.id))</code>"
                if !k.description.isEmpty { id += "<br><span class=\"muted\">\(H.escape(k.description))</span>" }
                if k.manager != "CUSTOMER" { id += "<br><span class=\"muted\">\(H.escape(k.manager))-managed</span>" }
                if let p = k.problem { id += "<br><span class=\"bad\">\(H.escape(p))</span>" }
                let rotation: Cell
                switch k.rotationEnabled {
                case nil: rotation = .text("not supported", class: "muted")
                case false?: rotation = .text("disabled")
                case true?:
                    var text = "enabled, every \(k.rotationPeriodDays ?? 365) days"
                    if let next = k.nextRotation { text += "; next \(H.date(epochSeconds: next))" }
                    rotation = .text(text, class: "ok")
                }
                let materials = k.materials.enumerated().map { i, m in
                    var s = "#\(i) \(m.materialId.prefix(12)) " + (m.rotationType.map { "\($0.lowercased().replacingOccurrences(of: "_", with: "-")) rotation" } ?? "original")
                    if let d = m.rotationDate { s += " \(H.date(epochSeconds: d))" }
                    return "<span title=\"\(H.escape(m.materialId))\">\(H.escape(s))</span>" + (m.current ? " <b>(current)</b>" : "")
                }
                return [
                    Cell(html: id), Cell(html: k.aliases.isEmpty ? Cell.dash.html : k.aliases.map { "<code>\(H.escape($0))</code>" }.joined(separator: "<br>")),
                    .text(k.state, class: state), .text("\(k.keySpec) / \(k.keyUsage)"), rotation,
                    .text("\(k.onDemandRotations)", class: "num"),
                    Cell(html: materials.isEmpty ? Cell.dash.html : "\(k.materials.count): " + materials.joined(separator: "<br>")),
                    .text(H.date(epochSeconds: k.creationDate)),
                    k.deletionDate.map { Cell.text(H.date(epochSeconds: $0), class: "bad") } ?? .dash,
                ]
            }, empty: "No KMS keys yet (the AWS-managed alias/aws/s3 key appears after its first use).")
        body += "<p class=\"note muted\">Read through the key module's KMS operations (ListKeys, ListAliases, DescribeKey, GetKeyRotationStatus, ListKeyRotations), so these reads appear in the audit trail with the caller <code>\(H.escape(WebInspector.caller))</code>.</p>"
        return H.page(title: "KMS keys", active: .keys, body: body)
    }

    // MARK: - Audit trail

    static func audit(_ entries: [AuditTrailReader.Entry], limit: Int, hideInspector: Bool, path: String?, note: String?) -> String {
        var body = "<p>Newest first, the last \(limit) records"
        if let path { body += " of <code>\(H.escape(path))</code>" }
        body += ". "
        body += hideInspector
            ? "The inspector's own key reads are hidden: <a href=\"\(H.escape(H.link("audit", [("limit", "\(limit)"), ("show_inspector", "1")])))\">show them</a>"
            : "<a href=\"\(H.escape(H.link("audit", [("limit", "\(limit)")])))\">Hide the inspector's own key reads</a>"
        body += " · check the chain with <code>s3emu audit verify</code>.</p>"
        if let note { body += "<p class=\"note warn\">\(H.escape(note))</p>" }
        body += H.table(
            id: "audit", headers: ["#", "Time (UTC)", "Operation", "Key", "Caller", "Encryption context", "Outcome"],
            rows: entries.map { e in
                var key = e.keyId.map { "<code>\(H.escape($0))</code>" } ?? Cell.dash.html
                if let v = e.keyVersion { key += " <span class=\"muted\">material #\(v)</span>" }
                let context = e.context.keys.sorted().map { "\($0)=\(e.context[$0]!)" }.joined(separator: "\n")
                return [.text("\(e.seq)", class: "num"), .text(e.time, class: "nowrap"), .text(e.operation), Cell(html: key), .code(e.caller),
                        context.isEmpty ? .dash : Cell(html: "<code>\(H.escape(context).replacingOccurrences(of: "\n", with: "<br>"))</code>"),
                        .text(e.result, class: e.result == "ok" ? "ok" : "bad")]
            }, empty: "No records.")
        return H.page(title: "Audit trail", active: .audit, body: body)
    }

    // MARK: - Errors

    /// The 401 page: how to get in, without saying anything about what was sent.
    static func unauthorized(reason: String) -> String {
        H.page(title: "Sign in to the s3emu inspector", active: nil, body: """
            <p class="note">\(H.escape(reason))</p>
            <p class="note">Open the address that <code>s3emu serve</code> printed at start (the <code>inspector:</code> line, \
            ending in <code>/_s3emu/ui/?token=…</code>): it sets a session cookie for this browser.</p>
            <p class="note">Or sign in with an access key id and its secret key (HTTP Basic auth): \
            <a href="\(H.escape(H.link("login")))">sign in with an access key</a>.</p>
            """)
    }

    /// An error page (not found, key module down, …).
    static func error(title: String, message: String) -> String {
        H.page(title: title, active: nil, body: "<p class=\"note bad\">\(H.escape(message))</p>")
    }
}
