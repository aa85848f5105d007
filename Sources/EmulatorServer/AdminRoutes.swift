import Foundation
import Hummingbird
import S3Wire

/// Routes under `/_s3emu/` (no bucket name can start with `_`): health without auth, the rest signed with SigV4.
struct AdminRoutes: Sendable {
    let service: S3Service
    let startedAt: Date

    func respond(_ request: Request, head: RequestHead, isTLS: Bool) async -> Response {
        switch (head.method, head.rawPath) {
        case ("GET", "/_s3emu/health"), ("HEAD", "/_s3emu/health"):
            let body = "{\"status\":\"ok\",\"uptime_seconds\":\(Int(Date().timeIntervalSince(startedAt))),\"region\":\"\(service.configuration.region)\"}"
            return json(body)
        case ("POST", "/_s3emu/reset"):
            do {
                let auth = try service.authenticator.authenticate(head)
                guard auth.accessKey != nil else { return json("{\"error\":\"AccessDenied\"}", status: .forbidden) }
                try await service.store.reset()
                return json("{\"reset\":true}")
            } catch let e as S3Error {
                return json("{\"error\":\"\(e.code)\"}", status: .init(code: e.status))
            } catch {
                return json("{\"error\":\"InternalError\"}", status: .internalServerError)
            }
        default:
            return json("{\"error\":\"NotFound\"}", status: .notFound)
        }
    }

    func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: .init(string: text)))
    }
}
