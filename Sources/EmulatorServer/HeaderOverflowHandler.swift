import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import S3Wire

/// Answers a request whose header section is too large for the HTTP parser (NIO stops at 80 KiB) with S3's XML
/// `400 RequestHeaderSectionTooLarge` and closes the connection, where the framework would send an empty 400.
/// Sections above S3's own limit but within the parser's reach get the same error from `S3Service`.
///
/// The answer waits until every earlier request on the connection has had its response, so responses stay in order.
final class HeaderOverflowHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    /// Request heads received and responses ended on this connection.
    private var requests = 0
    private var responses = 0
    private var overflowed = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) { requests += 1 }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let isEnd: Bool
        if case .end = unwrapOutboundIn(data) { isEnd = true } else { isEnd = false }
        context.write(data, promise: promise)
        if isEnd {
            responses += 1
            if overflowed && responses == requests { answer(context) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError, parserError == .headerOverflow else {
            context.fireErrorCaught(error)
            return
        }
        // The parser reads nothing more on this connection: answer once the responses before this one are out.
        guard !overflowed else { return }
        overflowed = true
        if responses == requests { answer(context) }
    }

    private func answer(_ context: ChannelHandlerContext) {
        let requestID = S3Responder.requestID()
        let hostID = S3Responder.hostID(for: requestID)
        let body = S3Error.requestHeaderSectionTooLarge.xml(requestID: requestID, hostID: hostID)
        var fields = HTTPFields()
        fields[.contentType] = "application/xml"
        fields[.contentLength] = String(body.utf8.count)
        fields[.connection] = "close"
        fields[.date] = HTTPDate.rfc1123(Int64(Date().timeIntervalSince1970))
        fields[HTTPField.Name("x-amz-request-id")!] = requestID
        fields[HTTPField.Name("x-amz-id-2")!] = hostID
        fields[.server] = "AmazonS3"
        context.write(wrapOutboundOut(.head(HTTPResponse(status: .badRequest, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(ByteBuffer(string: body))), promise: nil)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in bound.value.close(promise: nil) }
    }
}
