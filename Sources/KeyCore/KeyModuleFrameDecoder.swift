import NIOCore

/// Splits a byte stream into ``KeyModuleMessage``s (client and module side alike).
///
/// A frame whose declared length exceeds ``KeyModuleMessage/maxFrame`` or that does not decode is a protocol
/// error: the decoder throws and NIO closes the connection.
public struct KeyModuleFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = KeyModuleMessage

    public init() {}

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let length = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self) else { return .needMoreData }
        guard Int(length) <= KeyModuleMessage.maxFrame else { throw KeyModuleMessage.DecodeError.tooLarge }
        guard buffer.readableBytes >= 4 + Int(length) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 4)
        let rest = buffer.readBytes(length: Int(length))!
        context.fireChannelRead(wrapInboundOut(try KeyModuleMessage.decode(rest)))
        return .continue
    }
}
