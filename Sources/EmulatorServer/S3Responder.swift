import Foundation
import Hummingbird
import KMSService
import HummingbirdCore
import Logging
import NIOCore
import S3Wire

/// The request context: the channel, for the remote address.
public struct EmulatorRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public init(source: ApplicationRequestContextSource) { coreContext = .init(source: source) }
}

/// Turns HTTP requests into S3 (or admin) operations and S3 errors into S3's XML error responses, adding the
/// request-id headers S3 always sends.
struct S3Responder: HTTPResponder {
    typealias Context = EmulatorRequestContext
    let service: S3Service
    let admin: AdminRoutes
    let kms: KMSService?
    let isTLS: Bool

    /// 16 upper-case hex digits, as S3 request ids look.
    static func requestID() -> String {
        var g = SystemRandomNumberGenerator()
        let digits = Array("0123456789ABCDEF".utf8)
        var v = g.next()
        return String(unsafeUninitializedCapacity: 16) { buf in
            for i in 0..<16 {
                buf[i] = digits[Int(v & 0xF)]
                v >>= 4
            }
            return 16
        }
    }

    /// The `x-amz-id-2` / `HostId` that goes with a request id.
    static func hostID(for requestID: String) -> String { Base64.encode(Array((requestID + requestID).utf8)) }

    func respond(to request: Request, context: Context) async throws -> Response {
        let requestID = Self.requestID()
        var headers: [(String, String)] = []
        if let authority = request.head.authority { headers.append(("host", authority)) }
        for field in request.headers { headers.append((field.name.canonicalName, field.value)) }
        let head = RequestHead(method: request.method.rawValue, target: request.head.path ?? "/", headers: headers)
        if KMSService.isKMSRequest(head) { return await kmsResponse(request, head: head, requestID: requestID) }
        var response: Response
        if head.rawPath.hasPrefix("/_s3emu/") || head.rawPath == "/_s3emu" {
            response = await admin.respond(request, head: head, isTLS: isTLS)
        } else {
            do {
                response = try await service.handle(request, head: head, isTLS: isTLS, requestID: requestID)
            } catch {
                let address = S3Address.resolve(host: head.header("host"), rawPath: head.rawPath)
                let e = service.s3Error(for: error, request: (address?.bucket, address?.key))
                response = errorResponse(e, requestID: requestID, isHead: head.method == "HEAD")
            }
        }
        response.headers.add("x-amz-request-id", requestID)
        response.headers.add("x-amz-id-2", Self.hostID(for: requestID))
        response.headers.add("Server", "AmazonS3")
        return response
    }

    /// A KMS JSON 1.1 request (`X-Amz-Target: TrentService.*`), served on the same listeners as S3.
    func kmsResponse(_ request: Request, head: RequestHead, requestID: String) async -> Response {
        let id = UUID().uuidString.lowercased()
        let answer: KMSResponse
        if let kms {
            do {
                let buffer = try await request.body.collect(upTo: 1 << 20)
                answer = await kms.handle(head, body: Array(buffer.readableBytesView), requestId: id)
            } catch {
                answer = KMSService.errorResponse(.validation("The request body is larger than 1 MiB."), requestId: id)
            }
        } else {
            answer = KMSService.errorResponse(.unavailable("This emulator was started without a key module."), requestId: id)
        }
        var h = HTTPFields()
        for (name, value) in answer.headers { h.add(name, value) }
        return Response(status: .init(code: answer.status), headers: h, body: .init(byteBuffer: ByteBuffer(bytes: answer.body)))
    }

    func errorResponse(_ e: S3Error, requestID: String, isHead: Bool) -> Response {
        var h = HTTPFields()
        for (name, value) in e.headers { h.add(name, value) }
        let status = HTTPResponse.Status(code: e.status)
        if isHead { return .empty(status, headers: h) }
        return .xml(e.xml(requestID: requestID, hostID: Self.hostID(for: requestID)), status: status, headers: h)
    }
}
