import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOHTTPTypes
import Testing

@testable import EmulatorServer

@Suite struct HeaderOverflowHandlerTests {
    static func request() -> HTTPRequestPart {
        .head(HTTPRequest(method: .get, scheme: nil, authority: "127.0.0.1", path: "/b/k"))
    }

    static func okResponse() -> [HTTPResponsePart] {
        [.head(HTTPResponse(status: .ok)), .end(nil)]
    }

    static func connected() throws -> EmbeddedChannel {
        let channel = EmbeddedChannel(handler: HeaderOverflowHandler())
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9000)).wait()
        return channel
    }

    /// Every part written to the socket side, in order.
    static func written(_ channel: EmbeddedChannel) throws -> [HTTPResponsePart] {
        var parts: [HTTPResponsePart] = []
        while let p = try channel.readOutbound(as: HTTPResponsePart.self) { parts.append(p) }
        return parts
    }

    static func isOverflowAnswer(_ parts: [HTTPResponsePart]) -> Bool {
        guard parts.count == 3, case .head(let head) = parts[0], case .body(let body) = parts[1], case .end = parts[2] else {
            return false
        }
        let text = String(buffer: body)
        return head.status == .badRequest && head.headerFields[.connection] == "close"
            && head.headerFields[HTTPField.Name("x-amz-request-id")!] != nil
            && text.contains("<Code>RequestHeaderSectionTooLarge</Code>") && text.contains("<MaxSizeAllowed>8192</MaxSizeAllowed>")
    }

    @Test func answersAtOnceWhenNothingIsPendingAndCloses() throws {
        let channel = try Self.connected()
        channel.pipeline.fireErrorCaught(HTTPParserError.headerOverflow)
        #expect(Self.isOverflowAnswer(try Self.written(channel)))
        #expect(!channel.isActive)
    }

    @Test func waitsForTheResponsesToEarlierRequests() throws {
        let channel = try Self.connected()
        try channel.writeInbound(Self.request())
        try channel.writeInbound(Self.request())
        channel.pipeline.fireErrorCaught(HTTPParserError.headerOverflow)
        #expect(try Self.written(channel).isEmpty)
        for part in Self.okResponse() { try channel.writeOutbound(part) }
        #expect(try Self.written(channel).count == 2, "the first answer goes out alone")
        #expect(channel.isActive)
        for part in Self.okResponse() { try channel.writeOutbound(part) }
        let parts = try Self.written(channel)
        #expect(parts.count == 5)
        #expect(Self.isOverflowAnswer(Array(parts.suffix(3))))
        #expect(!channel.isActive)
    }

    @Test func otherErrorsPassThrough() throws {
        let channel = try Self.connected()
        channel.pipeline.fireErrorCaught(HTTPParserError.invalidVersion)
        #expect(throws: HTTPParserError.invalidVersion) { try channel.throwIfErrorCaught() }
        #expect(try Self.written(channel).isEmpty)
        #expect(channel.isActive)
    }
}
