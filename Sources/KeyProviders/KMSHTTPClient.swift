import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOTLS
import Synchronization

/// A small HTTP/1.1 client for one endpoint (scheme, host and port fixed at creation), on SwiftNIO.
///
/// One request at a time per connection; finished keep-alive connections go back to a small idle pool and are reused.
/// A request that finds its reused connection closed by the server before any answer came is retried once on a
/// fresh connection. Every request has a deadline covering connect, TLS handshake, send and the whole answer.
final class KMSHTTPClient: Sendable {
    /// What went wrong below HTTP.
    enum Failure: Error, Sendable, Equatable {
        /// No connection (refused, DNS, unroutable) or the TLS handshake failed.
        case unreachable(String)
        /// The deadline passed.
        case timeout
        /// The connection broke before the whole answer arrived.
        case broken(String)
        /// The server answered with something that is not HTTP, or too much of it.
        case invalidAnswer(String)
    }

    struct Response: Sendable {
        var status: Int
        var headers: [(String, String)]
        var body: [UInt8]

        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name }?.1 }
    }

    let host: String
    let port: Int
    let tls: NIOSSLContext?
    let group: any EventLoopGroup
    /// The `Host` header value: `host[:port]`, the port left out when it is the scheme's default.
    let hostHeader: String
    /// Answers larger than this are refused (a KMS answer is a few KiB).
    let maxResponseBytes: Int
    private let idle = Mutex<IdlePool>(IdlePool())
    private let opened = Atomic<Int>(0)

    /// How many connections this client has opened (tests check that keep-alive connections are reused).
    var connectionsOpened: Int { opened.load(ordering: .relaxed) }

    private struct IdlePool {
        var channels: [any Channel] = []
        var closed = false
    }

    static let maxIdleConnections = 8

    /// - Parameters:
    ///   - host: a DNS name or an IP literal (IPv6 without brackets).
    ///   - tls: the client TLS context for https, nil for plain http.
    init(host: String, port: Int, tls: NIOSSLContext?, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
         maxResponseBytes: Int = 4 << 20) {
        self.host = host
        self.port = port
        self.tls = tls
        self.group = group
        self.maxResponseBytes = maxResponseBytes
        let defaultPort = tls == nil ? 80 : 443
        let bracketed = host.contains(":") ? "[\(host)]" : host
        hostHeader = port == defaultPort ? bracketed : "\(bracketed):\(port)"
    }

    deinit {
        for channel in idle.withLock({ $0.channels }) { channel.close(promise: nil) }
    }

    /// Closes the idle connections; requests still running finish, and their connections are closed afterwards.
    /// Later requests still work, each on a connection of its own.
    func shutdown() {
        let channels = idle.withLock { pool -> [any Channel] in
            pool.closed = true
            defer { pool.channels = [] }
            return pool.channels
        }
        for channel in channels { channel.close(promise: nil) }
    }

    /// Sends one request and collects the whole answer. `headers` should not hold `Content-Length`, `Host` or
    /// `Connection`: the client sets them.
    func send(method: HTTPMethod = .POST, path: String, headers: [(String, String)], body: [UInt8], timeout: Duration)
        async throws(Failure) -> Response
    {
        let deadline = NIODeadline.now() + TimeAmount(timeout)
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "Host", value: hostHeader)
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        head.headers.add(name: "Content-Length", value: String(body.count))
        if let channel = takeIdle() {
            do {
                return try await exchange(on: channel, head: head, body: body, deadline: deadline)
            } catch .broken(let why) where why == ExchangeHandler.closedBeforeAnswer {
                // The server dropped the pooled connection (keep-alive timeout) without answering: retry once on a new
                // connection, as the AWS SDKs do.
            } catch {
                throw error
            }
        }
        let channel = try await connect(deadline: deadline)
        return try await exchange(on: channel, head: head, body: body, deadline: deadline)
    }

    private func takeIdle() -> (any Channel)? {
        idle.withLock { pool in
            while let channel = pool.channels.popLast() {
                if channel.isActive { return channel }
            }
            return nil
        }
    }

    private func putIdle(_ channel: any Channel) {
        let kept = idle.withLock { pool -> Bool in
            guard !pool.closed, pool.channels.count < Self.maxIdleConnections else { return false }
            pool.channels.append(channel)
            return true
        }
        if !kept { channel.close(promise: nil) }
    }

    private func connect(deadline: NIODeadline) async throws(Failure) -> any Channel {
        let remaining = deadline - .now()
        guard remaining > .zero else { throw .timeout }
        let tls = self.tls
        let sni = Self.isIPAddress(host) ? nil : host
        let maxBytes = maxResponseBytes
        // With TLS, the connection is usable only once the handshake succeeded; its failure (an untrusted
        // certificate) is the reason to report, not the closed connection it leaves behind.
        let handshake: EventLoopPromise<Void>? = tls == nil ? nil : group.next().makePromise(of: Void.self)
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(remaining)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let tls, let handshake {
                        try sync.addHandler(NIOSSLClientHandler(context: tls, serverHostname: sni))
                        try sync.addHandler(HandshakeWaiter(promise: handshake))
                    }
                    try sync.addHTTPClientHandlers()
                    try sync.addHandler(ExchangeHandler(maxResponseBytes: maxBytes))
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: host, port: port).get()
            opened.add(1, ordering: .relaxed)
        } catch {
            handshake?.fail(ChannelError.ioOnClosedChannel)
            if case ChannelError.connectTimeout = error { throw .timeout }
            throw .unreachable(Self.describeConnectError(error))
        }
        if let handshake {
            let timer = channel.eventLoop.scheduleTask(deadline: deadline) { handshake.fail(Failure.timeout) }
            defer { timer.cancel() }
            do {
                try await handshake.futureResult.get()
            } catch {
                channel.close(promise: nil)
                throw ExchangeHandler.classify(error, answerStarted: false, preferCause: true)
            }
        }
        return channel
    }

    /// Completes its promise when the TLS handshake is done, or fails it with the handshake's error.
    final class HandshakeWaiter: ChannelInboundHandler, RemovableChannelHandler, @unchecked Sendable {
        typealias InboundIn = NIOAny
        let promise: EventLoopPromise<Void>

        init(promise: EventLoopPromise<Void>) { self.promise = promise }

        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
            if let e = event as? TLSUserEvent, case .handshakeCompleted = e { promise.succeed() }
            context.fireUserInboundEventTriggered(event)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            promise.fail(error)
            context.fireErrorCaught(error)
        }

        func channelInactive(context: ChannelHandlerContext) {
            promise.fail(ChannelError.ioOnClosedChannel)
            context.fireChannelInactive()
        }
    }

    private func exchange(on channel: any Channel, head: HTTPRequestHead, body: [UInt8], deadline: NIODeadline)
        async throws(Failure) -> Response
    {
        let promise = channel.eventLoop.makePromise(of: ExchangeHandler.Answer.self)
        let request = ExchangeHandler.Request(head: head, body: body, deadline: deadline, answer: promise)
        channel.writeAndFlush(request).whenFailure { error in
            // A write that never reached the handler (closed channel) must still complete the answer.
            promise.fail(ExchangeHandler.classify(error, answerStarted: false))
        }
        let answer: ExchangeHandler.Answer
        do {
            answer = try await promise.futureResult.get()
        } catch let failure as Failure {
            channel.close(promise: nil)
            throw failure
        } catch {
            channel.close(promise: nil)
            throw .broken(String(describing: error))
        }
        if answer.keepAlive { putIdle(channel) } else { channel.close(promise: nil) }
        return answer.response
    }

    static func isIPAddress(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }

    /// A one-line reason for a failed connect: "connection refused", "DNS lookup failed: …".
    static func describeConnectError(_ error: any Error) -> String {
        if let e = error as? NIOConnectionError {
            if let dns = e.dnsAError ?? e.dnsAAAAError, e.connectionErrors.isEmpty {
                return "DNS lookup of \(e.host) failed (\(dns))"
            }
            if let first = e.connectionErrors.first {
                return "\(describeIOError(first.error)) (\(first.target))"
            }
            return "no address to connect to for \(e.host)"
        }
        return describeIOError(error)
    }

    static func describeIOError(_ error: any Error) -> String {
        if let io = error as? IOError {
            return String(cString: strerror(io.errnoCode)).lowercased()
        }
        return String(describing: error)
    }
}

/// Drives one request/answer exchange at a time on its channel; the last handler of the pipeline.
final class ExchangeHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = Request
    typealias OutboundOut = HTTPClientRequestPart

    struct Request: Sendable {
        var head: HTTPRequestHead
        var body: [UInt8]
        var deadline: NIODeadline
        var answer: EventLoopPromise<Answer>
    }

    struct Answer: Sendable {
        var response: KMSHTTPClient.Response
        /// The connection may carry another request.
        var keepAlive: Bool
    }

    static let closedBeforeAnswer = "the connection was closed before an answer arrived"

    private struct Pending {
        var answer: EventLoopPromise<Answer>
        var timer: Scheduled<Void>?
        var head: HTTPResponseHead?
        var body: [UInt8] = []
    }

    private var pending: Pending?
    /// An error seen before any request was running (a TLS handshake failing right after connect): it explains
    /// the closed connection the next request finds, so that request reports it instead of "closed".
    private var earlierError: (any Error)?
    private let maxResponseBytes: Int

    init(maxResponseBytes: Int) { self.maxResponseBytes = maxResponseBytes }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = unwrapOutboundIn(data)
        if let earlierError {
            request.answer.fail(Self.classify(earlierError, answerStarted: false, preferCause: true))
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        guard pending == nil else {
            request.answer.fail(KMSHTTPClient.Failure.broken("a request is already running on this connection"))
            promise?.fail(ChannelError.inappropriateOperationForState)
            return
        }
        let loop = context.eventLoop.assumeIsolated()
        let timer = loop.scheduleTask(deadline: request.deadline) { [weak self] in
            self?.finish(.failure(KMSHTTPClient.Failure.timeout), context: context)
            context.close(promise: nil)
        }
        pending = Pending(answer: request.answer, timer: timer)
        context.write(wrapOutboundOut(.head(request.head)), promise: nil)
        if !request.body.isEmpty {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: request.body)))), promise: nil)
        }
        context.write(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard pending != nil else { return }  // an answer nobody asked for: ignore (the connection closes below)
        switch unwrapInboundIn(data) {
        case .head(let head):
            if head.status == .continue { return }
            pending?.head = head
        case .body(let buffer):
            if (pending?.body.count ?? 0) + buffer.readableBytes > maxResponseBytes {
                finish(.failure(KMSHTTPClient.Failure.invalidAnswer("the answer is larger than \(maxResponseBytes) bytes")), context: context)
                context.close(promise: nil)
                return
            }
            pending?.body.append(contentsOf: buffer.readableBytesView)
        case .end:
            guard let head = pending?.head, let body = pending?.body else { return }
            let headers = head.headers.map { ($0.name, $0.value) }
            let response = KMSHTTPClient.Response(status: Int(head.status.code), headers: headers, body: body)
            finish(.success(Answer(response: response, keepAlive: head.isKeepAlive)), context: context)
            if !head.isKeepAlive { context.close(promise: nil) }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let p = pending {
            let failure: KMSHTTPClient.Failure =
                if let earlierError { Self.classify(earlierError, answerStarted: p.head != nil, preferCause: true) }
                else if p.head == nil { .broken(Self.closedBeforeAnswer) }
                else { .broken("the connection was closed in the middle of the answer") }
            finish(.failure(failure), context: context)
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let p = pending {
            finish(.failure(Self.classify(error, answerStarted: p.head != nil)), context: context)
        } else if earlierError == nil {
            earlierError = error
        }
        context.close(promise: nil)
    }

    private func finish(_ result: Result<Answer, any Error>, context: ChannelHandlerContext) {
        guard let p = pending else { return }
        pending = nil
        p.timer?.cancel()
        p.answer.completeWith(result)
    }

    /// Maps a channel error to a ``KMSHTTPClient/Failure``: TLS trouble means the endpoint is not usable.
    static func classify(_ error: any Error, answerStarted: Bool, preferCause: Bool = false) -> KMSHTTPClient.Failure {
        if let failure = error as? KMSHTTPClient.Failure { return failure }
        if !answerStarted && !preferCause {
            // What a server closing an idle keep-alive connection looks like from here.
            if let e = error as? ChannelError, e == .ioOnClosedChannel || e == .alreadyClosed || e == .eof { return .broken(closedBeforeAnswer) }
            if let e = error as? IOError, e.errnoCode == ECONNRESET || e.errnoCode == EPIPE { return .broken(closedBeforeAnswer) }
            if let e = error as? NIOSSLError, case .uncleanShutdown = e { return .broken(closedBeforeAnswer) }
        }
        if error is NIOSSLError || error is NIOSSLExtraError || error is BoringSSLError {
            return .unreachable("TLS failure: \(error)")
        }
        if error is HTTPParserError { return .invalidAnswer("the answer is not HTTP (\(error))") }
        return .broken(KMSHTTPClient.describeIOError(error))
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let capped = min(max(seconds, 0), 86_400 * 365)
        self = .nanoseconds(capped * 1_000_000_000 + (seconds < 0 ? 0 : attoseconds / 1_000_000_000))
    }
}
