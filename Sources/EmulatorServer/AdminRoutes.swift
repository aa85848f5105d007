import Foundation
import Hummingbird
import KeyCore
import KeyProviders
import S3Wire

/// Routes under `/_s3emu/` (no bucket name can start with `_`): health without auth, the rest signed with SigV4.
///
/// - `GET /_s3emu/health`: `{"status":"ok","uptime_seconds":…,"region":…,"key_module":"up"|"down"|"none","key_provider":…}`
/// - `POST /_s3emu/reset`: removes every bucket and object (keys stay).
/// - `GET /_s3emu/inspect/{bucket}/{key}`: how an object is stored (`S3Service+Inspection.swift`).
/// - `POST /_s3emu/clock?advance_seconds=N`: moves the key module's clock forward, when `serve --test-clock`.
/// - `/_s3emu/ui/…`: the web inspector (``WebInspector``; its own token, cookie or Basic auth).
struct AdminRoutes: Sendable {
    let service: S3Service
    let startedAt: Date
    let keyModule: KeyModuleClient?
    let keyProvider: (any KeyProvider)?
    let allowClockControl: Bool
    var inspector: WebInspector? = nil

    func respond(_ request: Request, head: RequestHead, isTLS: Bool) async -> Response {
        if let inspector, WebInspector.handles(head.rawPath) { return await inspector.respond(head, isTLS: isTLS) }
        switch (head.method, head.rawPath) {
        case ("GET", "/_s3emu/health"), ("HEAD", "/_s3emu/health"):
            var module = "none"
            if let keyModule {
                module = (try? await keyModule.call("_Ping", caller: "health", body: [])) != nil ? "up" : "down"
            }
            let provider = keyProvider?.name ?? "none"
            let body = "{\"status\":\"ok\",\"uptime_seconds\":\(Int(Date().timeIntervalSince(startedAt))),\"region\":\"\(service.configuration.region)\",\"key_module\":\"\(module)\",\"key_provider\":\"\(provider)\"}"
            return json(body)
        case ("POST", "/_s3emu/reset"):
            return await signed(head) {
                try await service.store.reset()
                service.bucketKeys.invalidateAll()
                return json("{\"reset\":true}")
            }
        case ("POST", "/_s3emu/clock"):
            return await signed(head) {
                guard allowClockControl, let keyModule else {
                    return json("{\"error\":\"ClockControlDisabled\",\"message\":\"start serve with --test-clock\"}", status: .forbidden)
                }
                guard let seconds = head.queryValue("advance_seconds").flatMap(Int.init), seconds >= 0 else {
                    return json("{\"error\":\"InvalidArgument\",\"message\":\"advance_seconds must be a non-negative integer\"}", status: .badRequest)
                }
                do throws(KMSFault) {
                    let r = try await keyModule.call("_AdvanceClock", caller: "admin", json: ["Seconds": seconds])
                    service.bucketKeys.invalidateAll()  // keys may have reached their deletion date
                    return json(String(decoding: r.serialized(), as: UTF8.self))
                } catch {
                    return json(String(decoding: JSONObject(["error": error.type, "message": error.message]).serialized(), as: UTF8.self),
                                status: .init(code: error.status))
                }
            }
        case ("GET", let path) where path.hasPrefix("/_s3emu/inspect/"):
            return await signed(head) {
                let rest = String(path.dropFirst("/_s3emu/inspect/".count))
                guard let decoded = URIEncoding.decode(rest), let slash = decoded.firstIndex(of: "/"), slash != decoded.startIndex else {
                    return json("{\"error\":\"InvalidArgument\",\"message\":\"GET /_s3emu/inspect/{bucket}/{key}\"}", status: .badRequest)
                }
                let bucket = String(decoded[..<slash]), key = String(decoded[decoded.index(after: slash)...])
                let caller = (try? service.authenticator.authenticate(head).accessKey) ?? "admin"
                let info = try await service.inspect(bucket: bucket, key: key, caller: caller)
                let data = try JSONSerialization.data(withJSONObject: info, options: [.sortedKeys, .withoutEscapingSlashes])
                return json(String(decoding: data, as: UTF8.self))
            }
        default:
            return json("{\"error\":\"NotFound\"}", status: .notFound)
        }
    }

    /// Runs `body` for a request signed with one of the emulator's access keys.
    func signed(_ head: RequestHead, _ body: () async throws -> Response) async -> Response {
        do {
            let auth = try service.authenticator.authenticate(head)
            guard auth.accessKey != nil else { return json("{\"error\":\"AccessDenied\"}", status: .forbidden) }
            return try await body()
        } catch let e as S3Error {
            let body = try? JSONSerialization.data(withJSONObject: ["error": e.code, "message": e.message])
            return json(body.map { String(decoding: $0, as: UTF8.self) } ?? "{\"error\":\"\(e.code)\"}", status: .init(code: e.status))
        } catch {
            return json("{\"error\":\"InternalError\"}", status: .internalServerError)
        }
    }

    func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: .init(string: text)))
    }
}
