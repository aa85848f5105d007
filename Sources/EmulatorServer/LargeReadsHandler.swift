import NIOCore
import NIOHTTPTypes

/// Lets each connection read up to 1 MiB per socket read instead of NIO's default 64 KiB, so a large upload crosses
/// the pipeline, and the async hop to its request handler, in fewer and larger pieces.
final class LargeReadsHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart

    static let allocator = AdaptiveRecvByteBufferAllocator(minimum: 64 * 1024, initial: 256 * 1024, maximum: 1024 * 1024)

    func handlerAdded(context: ChannelHandlerContext) {
        context.channel.setOption(ChannelOptions.recvAllocator, value: Self.allocator).whenComplete { _ in }
    }
}
