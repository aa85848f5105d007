import Foundation
import KeyCore
import Logging
import NIOCore
import NIOPosix

/// Serves a ``KeyEngine`` on a Unix socket with the ``KeyModuleMessage`` protocol.
///
/// The socket file is created with mode 0600 (under umask 077) in a directory only the owner can enter, so only
/// the owner's processes can reach the keys. A stale socket left by a crashed module is replaced.
public enum KeyModuleServer {
    /// Binds and serves until the channel is closed; `onBound` runs once the socket accepts connections.
    public static func serve(engine: KeyEngine, socketPath: String, group: any EventLoopGroup, logger: Logger,
                             onBound: @Sendable () -> Void) async throws {
        let dir = (socketPath as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        chmod(dir, 0o700)
        unlink(socketPath)
        let old = umask(0o077)
        let channel: any Channel
        do {
            channel = try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 256)
                .childChannelInitializer { ch in
                    ch.eventLoop.makeCompletedFuture {
                        try ch.pipeline.syncOperations.addHandler(ByteToMessageHandler(KeyModuleFrameDecoder()))
                        try ch.pipeline.syncOperations.addHandler(ModuleHandler(engine: engine, logger: logger))
                    }
                }
                .bind(unixDomainSocketPath: socketPath, cleanupExistingSocketFile: true).get()
        } catch {
            umask(old)
            throw error
        }
        umask(old)
        chmod(socketPath, 0o600)
        onBound()
        // Cancelling the calling task (an in-process module, as S3EmulatorTesting runs one) closes the socket.
        try await withTaskCancellationHandler {
            try await channel.closeFuture.get()
        } onCancel: {
            channel.close(promise: nil)
        }
    }

    final class ModuleHandler: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = KeyModuleMessage
        typealias OutboundOut = ByteBuffer

        let engine: KeyEngine
        let logger: Logger

        init(engine: KeyEngine, logger: Logger) {
            self.engine = engine
            self.logger = logger
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let m = unwrapInboundIn(data)
            guard m.kind == .request else { context.close(promise: nil); return }
            let reply: KeyModuleMessage
            switch engine.call(m.operation, caller: m.caller, body: m.body) {
            case .success(let body):
                reply = KeyModuleMessage(kind: .success, requestId: m.requestId, body: body)
            case .failure(let fault):
                let body = JSONObject(["__type": fault.type, "message": fault.message]).serialized()
                reply = KeyModuleMessage(kind: .error, requestId: m.requestId, body: body)
            }
            // Replies to the requests of one read go out in one flush (`channelReadComplete`): one write and one
            // wake-up of the caller for several requests when they arrive together.
            context.write(wrapOutboundOut(context.channel.allocator.buffer(bytes: reply.encoded())), promise: nil)
        }

        func channelReadComplete(context: ChannelHandlerContext) {
            context.flush()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            logger.warning("key module connection closed: \(error)")
            context.close(promise: nil)
        }
    }
}
