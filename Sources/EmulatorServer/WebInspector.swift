import Foundation
import HTTPTypes
import Hummingbird
import KeyProviders
import NIOCore
import S3Wire

/// The web inspector: read-only HTML pages under `/_s3emu/ui/` on both listeners, showing buckets, objects (with
/// their stored bytes next to their plaintext), KMS keys and the key module's audit trail.
///
/// - `/_s3emu/ui/` buckets · `bucket?name=B[&prefix=P][&after=K]` objects · `object?bucket=B&key=K` one object ·
///   `keys` KMS keys · `audit[?limit=N][&show_inspector=1]` the audit trail · `login` HTTP Basic sign-in.
/// - Access: `?token=<start token>` on any page sets a session cookie and redirects to the page without it; or HTTP
///   Basic auth with an access key id and its secret key. Otherwise 401 with a page saying how to get in.
/// - Never shows SSE-C keys, data keys or the token. Key reads go through the key module's KMS operations and are
///   audited with the caller ``caller``.
struct WebInspector: Sendable {
    let service: S3Service
    let keyModule: KeyModuleClient?
    let auth: InspectorAuth
    /// The key module's audit trail, when this server supervises the module (nil for `--keymodule-socket`).
    let auditPath: String?

    /// The caller name of the inspector's key module calls and decryptions, as the audit trail shows it.
    static let caller = "s3emu-web-inspector"
    /// Objects per page of a bucket listing.
    static let pageSize = 200
    /// Objects counted per bucket on the buckets page before showing "≥ N".
    static let countCap = 10_000

    /// A page that could not be produced, with the status to answer.
    struct Failure: Error {
        var status: HTTPResponse.Status
        var title: String
        var message: String

        static func notFound(_ message: String) -> Failure { Failure(status: .notFound, title: "Not found", message: message) }
    }

    init(service: S3Service, keyModule: KeyModuleClient?, token: String) {
        self.service = service
        self.keyModule = keyModule
        auth = InspectorAuth(token: token, credentials: service.configuration.credentials)
        auditPath = service.configuration.keyModuleLaunch == nil
            ? nil : service.configuration.dataDirectory.appendingPathComponent("keymodule/audit.jsonl").path
    }

    /// Whether a request path belongs to the inspector.
    static func handles(_ rawPath: String) -> Bool { rawPath == "/_s3emu/ui" || rawPath.hasPrefix("/_s3emu/ui/") }

    /// Answers one request under `/_s3emu/ui`.
    func respond(_ head: RequestHead, isTLS: Bool) async -> Response {
        guard head.method == "GET" || head.method == "HEAD" else {
            var r = html(InspectorPages.error(title: "Method not allowed", message: "The inspector is read-only: GET only."),
                         status: .methodNotAllowed, head: head)
            r.headers[.allow] = "GET, HEAD"
            return r
        }
        if head.rawPath == "/_s3emu/ui" {
            return redirect(to: "/_s3emu/ui/" + (head.rawQuery.isEmpty ? "" : "?" + head.rawQuery), status: .movedPermanently)
        }
        let page = String(head.rawPath.dropFirst("/_s3emu/ui/".count))
        let outcome = auth.authenticate(head)
        if page == "login" {
            if case .basic = outcome {
                var r = redirect(to: "/_s3emu/ui/")
                r.headers[.setCookie] = auth.setCookie(secure: isTLS)
                return r
            }
            var r = html(InspectorPages.unauthorized(reason: "Sign in with an access key id (user name) and its secret key (password)."),
                         status: .unauthorized, head: head)
            r.headers[.wwwAuthenticate] = "Basic realm=\"s3emu inspector\", charset=\"UTF-8\""
            return r
        }
        switch outcome {
        case .tokenLogin:
            var r = redirect(to: InspectorAuth.withoutToken(path: head.rawPath, rawQuery: head.rawQuery))
            r.headers[.setCookie] = auth.setCookie(secure: isTLS)
            return r
        case .denied(let reason):
            return html(InspectorPages.unauthorized(reason: reason), status: .unauthorized, head: head)
        case .session, .basic:
            break
        }
        do throws(Failure) {
            return html(try await render(page, head), head: head)
        } catch {
            return html(InspectorPages.error(title: error.title, message: error.message), status: error.status, head: head)
        }
    }

    func render(_ page: String, _ head: RequestHead) async throws(Failure) -> String {
        switch page {
        case "":
            return InspectorPages.buckets(try await bucketRows())
        case "bucket":
            guard let name = head.queryValue("name") else { throw .notFound("Which bucket? (bucket?name=…)") }
            let prefix = head.queryValue("prefix") ?? ""
            let (rows, next) = try await objectRows(bucket: name, prefix: prefix, after: head.queryValue("after"))
            return InspectorPages.objects(bucket: name, prefix: prefix, rows: rows, nextAfter: next, pageSize: Self.pageSize)
        case "object":
            guard let bucket = head.queryValue("bucket"), let key = head.queryValue("key") else {
                throw .notFound("Which object? (object?bucket=…&key=…)")
            }
            return InspectorObjectPage.render(try await objectModel(bucket: bucket, key: key))
        case "keys":
            let (rows, note) = await keyRows()
            return InspectorPages.keys(rows, note: note)
        case "audit":
            let limit = min(max(head.queryValue("limit").flatMap(Int.init) ?? 200, 1), 5000)
            let hide = head.queryValue("show_inspector") != "1"
            guard let auditPath else {
                return InspectorPages.audit([], limit: limit, hideInspector: hide, path: nil,
                                            note: "This server uses a key module started separately (--keymodule-socket): its audit trail is in that module's --dir; read it with s3emu audit tail --file.")
            }
            do throws(AuditTrailReader.ReadError) {
                let entries = try AuditTrailReader.newest(path: auditPath, limit: limit) { !hide || $0.caller != Self.caller }
                return InspectorPages.audit(entries, limit: limit, hideInspector: hide, path: auditPath, note: nil)
            } catch {
                return InspectorPages.audit([], limit: limit, hideInspector: hide, path: auditPath, note: error.description)
            }
        default:
            throw .notFound("There is no inspector page here.")
        }
    }

    // MARK: - Responses

    /// Security headers of every inspector page: no caching, no framing, no referrer, no script, no outside asset.
    static let pageHeaders: [(HTTPField.Name, String)] = [
        (.contentType, "text/html; charset=utf-8"),
        (.cacheControl, "no-store"),
        (HTTPField.Name("Content-Security-Policy")!, "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"),
        (HTTPField.Name("X-Frame-Options")!, "DENY"),
        (HTTPField.Name("X-Content-Type-Options")!, "nosniff"),
        (HTTPField.Name("Referrer-Policy")!, "no-referrer"),
    ]

    func html(_ text: String, status: HTTPResponse.Status = .ok, head: RequestHead) -> Response {
        var h = HTTPFields()
        for (name, value) in Self.pageHeaders { h[name] = value }
        let bytes = ByteBuffer(string: text)
        h[.contentLength] = "\(bytes.readableBytes)"
        return Response(status: status, headers: h, body: head.method == "HEAD" ? ResponseBody() : .init(byteBuffer: bytes))
    }

    func redirect(to location: String, status: HTTPResponse.Status = .seeOther) -> Response {
        var h = HTTPFields()
        for (name, value) in Self.pageHeaders { h[name] = value }
        h[.location] = location
        h[.contentLength] = "0"
        return Response(status: status, headers: h, body: ResponseBody())
    }
}
