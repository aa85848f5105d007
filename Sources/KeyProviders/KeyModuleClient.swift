import Foundation
import KeyCore
import NIOCore
import NIOPosix
import Synchronization

/// Connections to the key module's Unix socket, one per event loop of `group`, each shared by the callers running on
/// that loop (requests are multiplexed by id). A caller on an event loop (the server's request handlers) uses that
/// loop's connection, so a call costs no hop between threads on either side of the socket; other callers use any.
///
/// If the module is down, calls fail at once with `KeyUnavailableException` ("The key module is not reachable …");
/// the next call reconnects, so service resumes by itself when the module is back. A request in flight when the
/// module dies fails the same way; nothing is retried behind the caller's back.
public final class KeyModuleClient: Sendable {
    public let socketPath: String
    let group: any EventLoopGroup
    let timeout: TimeAmount
    private let loops: [any EventLoop]
    private let state = Mutex<ConnectionState>(ConnectionState())

    struct ConnectionState {
        var nextId: UInt64 = 1
        /// By event loop (`ObjectIdentifier` of the loop).
        var connections: [ObjectIdentifier: EventLoopFuture<any Channel>] = [:]
        /// The connected channels, so that a call finds its channel without awaiting the (completed) future.
        var ready: [ObjectIdentifier: any Channel] = [:]
    }

    public init(socketPath: String, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, timeout: TimeAmount = .seconds(30)) {
        self.socketPath = socketPath
        self.group = group
        self.timeout = timeout
        loops = Array(group.makeIterator())
    }

    /// The caller's own event loop when it is one of `group`'s, else the next of the group.
    private func preferredLoop() -> any EventLoop {
        if let current = MultiThreadedEventLoopGroup.currentEventLoop, loops.contains(where: { $0 === current }) { return current }
        return group.next()
    }

    var unavailable: KMSFault {
        .unavailable("The key module is not reachable at \(socketPath); requests will work again once it is back.")
    }

    /// Runs one KMS operation in the module: JSON request body in, JSON response body out.
    public func call(_ operation: String, caller: String, body: [UInt8]) async throws(KMSFault) -> [UInt8] {
        let channel = try await connectedChannel()
        let id = state.withLock { s in
            defer { s.nextId &+= 1 }
            return s.nextId
        }
        let promise = channel.eventLoop.makePromise(of: KeyModuleMessage.self)
        let message = KeyModuleMessage(kind: .request, requestId: id, operation: operation, caller: caller, body: body)
        channel.writeAndFlush(ClientHandler.Outgoing(message: message, promise: promise), promise: nil)
        let fault = unavailable
        let timer = channel.eventLoop.scheduleTask(in: timeout) { promise.fail(fault) }
        let reply: KeyModuleMessage
        do {
            reply = try await promise.futureResult.get()
        } catch let f as KMSFault {
            throw f
        } catch {
            throw unavailable
        }
        timer.cancel()
        switch reply.kind {
        case .success: return reply.body
        case .error:
            let o = try JSONObject(parsing: reply.body)
            throw KMSFault((try? o.string("__type")) ?? "KMSInternalException", (try? o.string("message")) ?? "")
        case .request: throw .internalError("The key module sent an unexpected frame.")
        }
    }

    /// Convenience: a JSON object in, a parsed JSON object out.
    public func call(_ operation: String, caller: String, json: [String: Any]) async throws(KMSFault) -> JSONObject {
        try JSONObject(parsing: try await call(operation, caller: caller, body: JSONObject(json).serialized()))
    }

    func connectedChannel() async throws(KMSFault) -> any Channel {
        let loop = preferredLoop()
        let slot = ObjectIdentifier(loop)
        if let channel = state.withLock({ $0.ready[slot] }), channel.isActive { return channel }
        for _ in 0..<2 {
            let future = state.withLock { s -> EventLoopFuture<any Channel> in
                if let f = s.connections[slot] { return f }
                let f = ClientBootstrap(group: loop)
                    .connectTimeout(.seconds(2))
                    .channelInitializer { ch in
                        ch.eventLoop.makeCompletedFuture {
                            try ch.pipeline.syncOperations.addHandler(ByteToMessageHandler(KeyModuleFrameDecoder()))
                            try ch.pipeline.syncOperations.addHandler(ClientHandler(unavailable: self.unavailable))
                        }
                    }
                    .connect(unixDomainSocketPath: socketPath)
                s.connections[slot] = f
                return f
            }
            do {
                let channel = try await future.get()
                if channel.isActive {
                    let first = state.withLock { s -> Bool in
                        guard s.connections[slot] === future, s.ready[slot] == nil else { return false }
                        s.ready[slot] = channel
                        return true
                    }
                    if first { channel.closeFuture.whenComplete { _ in self.forget(future, slot: slot) } }
                    return channel
                }
                forget(future, slot: slot)
            } catch {
                forget(future, slot: slot)
                throw unavailable
            }
        }
        throw unavailable
    }

    private func forget(_ future: EventLoopFuture<any Channel>, slot: ObjectIdentifier) {
        state.withLock { s in
            if s.connections[slot] === future {
                s.connections[slot] = nil
                s.ready[slot] = nil
            }
        }
    }

    /// Closes the connections (the next call opens a new one).
    public func close() async {
        let all = state.withLock { s in
            defer { s.connections = [:]; s.ready = [:] }
            return Array(s.connections.values)
        }
        for f in all { if let ch = try? await f.get() { try? await ch.close() } }
    }

    /// Pairs replies with waiting callers; fails them all if the connection drops.
    final class ClientHandler: ChannelDuplexHandler, @unchecked Sendable {
        struct Outgoing {
            var message: KeyModuleMessage
            var promise: EventLoopPromise<KeyModuleMessage>
        }

        typealias InboundIn = KeyModuleMessage
        typealias OutboundIn = Outgoing
        typealias OutboundOut = ByteBuffer

        var pending: [UInt64: EventLoopPromise<KeyModuleMessage>] = [:]
        let unavailable: KMSFault

        init(unavailable: KMSFault) { self.unavailable = unavailable }

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            let out = unwrapOutboundIn(data)
            pending[out.message.requestId] = out.promise
            context.write(wrapOutboundOut(context.channel.allocator.buffer(bytes: out.message.encoded())), promise: promise)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let m = unwrapInboundIn(data)
            pending.removeValue(forKey: m.requestId)?.succeed(m)
        }

        func channelInactive(context: ChannelHandlerContext) {
            let waiting = pending
            pending = [:]
            for p in waiting.values { p.fail(unavailable) }
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
