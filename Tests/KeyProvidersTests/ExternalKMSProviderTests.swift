import Foundation
import KeyCore
import Synchronization
import Testing

@testable import KeyProviders

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: moto

/// A `moto_server` started for the `ExternalKMSProviderMotoTests` suite and killed after it.
enum Moto {
    /// `http://127.0.0.1:<port>` while the suite runs.
    @TaskLocal static var endpoint: String?

    /// moto must be there: set on CI, so that a missing moto fails the suite instead of skipping it.
    static let required = ProcessInfo.processInfo.environment["S3EMU_REQUIRE_MOTO"] == "1"

    /// `moto_server` on the PATH.
    static let executable: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = String(dir) + "/moto_server"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }()

    static var shouldRun: Bool { executable != nil || required }

    struct StartFailure: Error, CustomStringConvertible { var description: String }

    /// Starts moto on a free port and waits until the port answers. With `tls` (certificate and key PEM paths) it
    /// serves https.
    static func start(tls: (certificate: String, key: String)? = nil) async throws -> (Process, String) {
        guard let executable else {
            throw StartFailure(description: "moto_server is not on the PATH (pip install -r tests/requirements.txt), and S3EMU_REQUIRE_MOTO=1")
        }
        let port = try freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["-H", "127.0.0.1", "-p", String(port)] + (tls.map { ["-c", $0.certificate, "-k", $0.key] } ?? [])
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let started = ContinuousClock.now
        while ContinuousClock.now - started < .seconds(60) {
            if !process.isRunning {
                throw StartFailure(description: "moto_server exited with status \(process.terminationStatus) before answering on port \(port)")
            }
            if portAnswers(port) { return (process, "\(tls == nil ? "http" : "https")://127.0.0.1:\(port)") }
            try await Task.sleep(for: .milliseconds(100))
        }
        stop(process)
        throw StartFailure(description: "moto_server did not answer on port \(port) within 60 s")
    }

    static func stop(_ process: Process) {
        guard process.isRunning else { return }
        process.terminate()
        let asked = ContinuousClock.now
        while process.isRunning && ContinuousClock.now - asked < .seconds(5) { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

/// Runs the suite with a moto server of its own.
struct MotoServerTrait: SuiteTrait, TestScoping {
    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        let (process, endpoint) = try await Moto.start()
        defer { Moto.stop(process) }
        try await Moto.$endpoint.withValue(endpoint) { try await function() }
    }
}

extension Trait where Self == MotoServerTrait {
    static var motoServer: MotoServerTrait { MotoServerTrait() }
}

// MARK: sockets

/// A TCP port on 127.0.0.1 that was free a moment ago.
func freePort() throws -> Int {
    let fd = try listeningSocket(backlog: 1)
    defer { close(fd.descriptor) }
    return fd.port
}

/// Whether something accepts TCP connections on 127.0.0.1:`port`.
func portAnswers(_ port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    var address = loopback(port: port)
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
}

func loopback(port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return address
}

struct SocketError: Error, CustomStringConvertible { var description: String }

/// A socket listening on 127.0.0.1 at a kernel-chosen port.
func listeningSocket(backlog: Int32) throws -> (descriptor: Int32, port: Int) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw SocketError(description: "socket: \(errno)") }
    var address = loopback(port: 0)
    let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0, listen(fd, backlog) == 0 else {
        close(fd)
        throw SocketError(description: "bind/listen: \(errno)")
    }
    var actual = sockaddr_in()
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &actual) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return (fd, Int(UInt16(bigEndian: actual.sin_port)))
}

/// An HTTP server on a thread, one connection at a time, that answers each request with the next canned answer
/// (the last one repeats) and records what it was sent.
final class CannedHTTPServer: Sendable {
    let port: Int
    private let descriptor: Int32
    private let requests = Mutex<[String]>([])
    private let answers: [String]
    private let mode: Mode

    enum Mode {
        /// Close each connection after one answer.
        case closeAfterAnswer
        /// Answer requests on a connection until the client closes it.
        case keepAlive
        /// Answer one request, then read the next one on the same connection and close without answering (what a
        /// client sees when the server drops an idle keep-alive connection just as it is reused).
        case dropSecondRequest
    }

    var endpoint: String { "http://127.0.0.1:\(port)" }
    var received: [String] { requests.withLock { $0 } }

    init(answers: [String], mode: Mode = .closeAfterAnswer) throws {
        (descriptor, port) = try listeningSocket(backlog: 16)
        self.answers = answers
        self.mode = mode
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    /// An HTTP/1.1 answer with a body and `Connection: close`.
    static func answer(status: String, contentType: String = "application/x-amz-json-1.1", body: String) -> String {
        "HTTP/1.1 \(status)\r\nContent-Type: \(contentType)\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)"
    }

    private func serve() {
        var served = 0
        while true {
            let client = accept(descriptor, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return  // the listening socket was shut down
            }
            var answered = 0
            while true {
                let request = readRequest(client)
                if request.isEmpty { break }
                requests.withLock { $0.append(request) }
                if mode == .dropSecondRequest && answered == 1 { break }
                let answer = Array(answers[min(served, answers.count - 1)].utf8)
                served += 1
                answered += 1
                _ = answer.withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if mode == .closeAfterAnswer { break }
            }
            close(client)
        }
    }

    private func readRequest(_ fd: Int32) -> String {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let separator: [UInt8] = [13, 10, 13, 10]
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            data += buffer[0..<n]
            guard let end = data.indices.dropLast(3).first(where: { Array(data[$0..<($0 + 4)]) == separator }) else { continue }
            let head = String(decoding: data[..<end], as: UTF8.self).lowercased()
            let length = head.components(separatedBy: "\r\n").first { $0.hasPrefix("content-length:") }
                .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
            if end + 4 + length <= data.count { break }
        }
        return String(decoding: data, as: UTF8.self)
    }

    func stop() {
        shutdown(descriptor, Int32(SHUT_RDWR))
        close(descriptor)
    }
}

// MARK: Tests without moto

@Suite struct ExternalKMSProviderTests {
    static func configuration(_ endpoint: String, timeout: Duration = .seconds(10)) -> ExternalKMSProvider.Configuration {
        .init(endpoint: endpoint, region: "us-west-2", accessKeyId: "AKIDEXAMPLE", secretAccessKey: "not-a-real-secret-0123456789", timeout: timeout)
    }

    @Test func theConfigurationDescriptionRedactsSecrets() {
        var c = Self.configuration("https://kms.us-west-2.amazonaws.com")
        c.sessionToken = "a-session-token-value"
        let text = "\(c) \(String(reflecting: c))"
        #expect(!text.contains("not-a-real-secret"))
        #expect(!text.contains("a-session-token-value"))
        #expect(text.contains("AKIDEXAMPLE"))
        #expect(text.contains("https://kms.us-west-2.amazonaws.com"))
        #expect(text.contains("alias/aws/s3"))
    }

    @Test(arguments: ["", "kms.example.com", "ftp://kms.example.com", "http://", "http://host:0"])
    func anUnusableEndpointIsAValidationError(_ endpoint: String) {
        #expect(throws: KMSFault.self) { try ExternalKMSProvider(Self.configuration(endpoint)) }
    }

    @Test func aMissingCABundleIsReported() {
        var c = Self.configuration("https://127.0.0.1:1")
        c.caBundlePath = "/nonexistent/ca.pem"
        #expect {
            try ExternalKMSProvider(c)
        } throws: { error in
            (error as? KMSFault)?.type == "KeyUnavailableException" && (error as? KMSFault)?.message.contains("/nonexistent/ca.pem") == true
        }
    }

    @Test(arguments: [
        ("NotFoundException", "NotFoundException"), ("com.amazonaws.kms#NotFoundException", "NotFoundException"),
        ("AccessDeniedException:http://internal.amazon.com/coral/com.amazon.coral.service/", "AccessDeniedException"),
        ("aws.protocoltests#InvalidCiphertextException:extra", "InvalidCiphertextException"),
    ])
    func errorTypesAreReducedToTheCode(_ type: String, _ code: String) {
        #expect(ExternalKMSProvider.errorCode(type) == code)
    }

    @Test func errorAnswersPassThrough() {
        let body = Array(#"{"__type":"com.amazonaws.kms#DisabledException","Message":"arn:x is disabled."}"#.utf8)
        #expect(ExternalKMSProvider.fault(status: 400, headers: [], body: body, endpoint: "e") == KMSFault("DisabledException", "arn:x is disabled."))
        let viaHeader = ExternalKMSProvider.fault(
            status: 400, headers: [("X-Amzn-ErrorType", "ThrottlingException:http://x")], body: Array("{}".utf8), endpoint: "e")
        #expect(viaHeader == KMSFault("ThrottlingException", ""))
        #expect(ExternalKMSProvider.fault(status: 502, headers: [], body: Array("<html>".utf8), endpoint: "e").type == "KMSInternalException")
    }

    @Test func aClosedPortIsKeyUnavailable() async throws {
        let port = try freePort()
        let p = try ExternalKMSProvider(Self.configuration("http://127.0.0.1:\(port)"))
        let f = await fault { () async throws(KMSFault) in try await p.describeKey(nil, caller: "test") }
        #expect(f?.type == "KeyUnavailableException")
        #expect(f?.message.hasPrefix("The KMS endpoint http://127.0.0.1:\(port) is not reachable: ") == true)
        #expect(f?.message.lowercased().contains("refused") == true)
    }

    @Test func aSilentEndpointIsADependencyTimeout() async throws {
        // Listening but never accepting: the kernel completes the handshake, nobody ever answers.
        let (fd, port) = try listeningSocket(backlog: 8)
        defer { close(fd) }
        let p = try ExternalKMSProvider(Self.configuration("http://127.0.0.1:\(port)", timeout: .milliseconds(300)))
        let started = ContinuousClock.now
        let f = await fault { () async throws(KMSFault) in try await p.generateDataKey(keyId: "alias/k", context: [:], caller: "test") }
        #expect(f?.type == "DependencyTimeoutException")
        // The deadline is 300 ms; the bound only proves the call does not hang (the test runner may be starved
        // for threads while other suites run, so a tight bound here would measure the machine, not the client).
        #expect(ContinuousClock.now - started < .seconds(30))
    }

    @Test func aNonJSONAnswerIsKMSInternal() async throws {
        let server = try CannedHTTPServer(answers: [
            CannedHTTPServer.answer(status: "200 OK", contentType: "text/html", body: "<html>hello</html>"),
            CannedHTTPServer.answer(status: "503 Service Unavailable", contentType: "text/plain", body: "upstream down"),
        ])
        defer { server.stop() }
        let p = try ExternalKMSProvider(Self.configuration(server.endpoint))
        let ok = await fault { () async throws(KMSFault) in try await p.describeKey(nil, caller: "test") }
        #expect(ok?.type == "KMSInternalException")
        let failed = await fault { () async throws(KMSFault) in try await p.describeKey(nil, caller: "test") }
        #expect(failed?.type == "KMSInternalException")
    }

    @Test func keepAliveConnectionsAreReused() async throws {
        let body = #"{"KeyMetadata":{"Arn":"arn:aws:kms:us-west-2:123456789012:key/k","KeyState":"Disabled"}}"#
        let server = try CannedHTTPServer(
            answers: ["HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"],
            mode: .keepAlive)
        defer { server.stop() }
        let p = try ExternalKMSProvider(Self.configuration(server.endpoint))
        for _ in 0..<5 {
            #expect(try await p.describeKey("k", caller: "test").state == "Disabled")
        }
        #expect(server.received.count == 5)
        #expect(p.connectionsOpened == 1)
        p.shutdown()
    }

    @Test(arguments: [CannedHTTPServer.Mode.closeAfterAnswer, .dropSecondRequest])
    func aKeepAliveConnectionTheServerClosedIsReplaced(_ mode: CannedHTTPServer.Mode) async throws {
        // The answers promise keep-alive, but the server closes the connection after one answer: right away, or only
        // when the next request arrives (then the client must retry that request on a new connection).
        let body = #"{"KeyMetadata":{"Arn":"arn:aws:kms:us-west-2:123456789012:key/k","KeyState":"Enabled"}}"#
        let server = try CannedHTTPServer(
            answers: ["HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"],
            mode: mode)
        defer { server.stop() }
        let p = try ExternalKMSProvider(Self.configuration(server.endpoint))
        for _ in 0..<3 {
            let d = try await p.describeKey("k", caller: "test")
            #expect(d == KeyDescription(keyId: "arn:aws:kms:us-west-2:123456789012:key/k", state: "Enabled"))
        }
        #expect(p.connectionsOpened == 3)
        #expect(server.received.count == (mode == .dropSecondRequest ? 5 : 3))
        p.shutdown()
    }

    @Test func requestsAreSignedJSON11Posts() async throws {
        let server = try CannedHTTPServer(answers: [
            CannedHTTPServer.answer(status: "400 Bad Request", body: #"{"__type":"NotFoundException","message":"Alias arn:aws:kms:us-west-2:123456789012:alias/aws/s3 is not found."}"#)
        ])
        defer { server.stop() }
        var c = Self.configuration(server.endpoint)
        c.sessionToken = "token-123"
        let p = try ExternalKMSProvider(c)
        let f = await fault { () async throws(KMSFault) in try await p.describeKey(nil, caller: "test") }
        #expect(f == KMSFault("NotFoundException", "Alias arn:aws:kms:us-west-2:123456789012:alias/aws/s3 is not found."))
        let request = try #require(server.received.first)
        let lines = request.components(separatedBy: "\r\n")
        #expect(lines.first == "POST / HTTP/1.1")
        let headers = Dictionary(
            lines.dropFirst().prefix { !$0.isEmpty }.compactMap { line -> (String, String)? in
                guard let colon = line.firstIndex(of: ":") else { return nil }
                return (line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
            }, uniquingKeysWith: { a, _ in a })
        #expect(headers["host"] == "127.0.0.1:\(server.port)")
        #expect(headers["content-type"] == "application/x-amz-json-1.1")
        #expect(headers["x-amz-target"] == "TrentService.DescribeKey")
        #expect(headers["x-amz-security-token"] == "token-123")
        let auth = try #require(headers["authorization"])
        let day = try #require(headers["x-amz-date"]).prefix(8)
        #expect(auth.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/\(day)/us-west-2/kms/aws4_request, "))
        #expect(auth.contains("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature="))
        #expect(!request.contains("not-a-real-secret"))
        let body = try #require(request.components(separatedBy: "\r\n\r\n").last)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: String])
        #expect(json == ["KeyId": "alias/aws/s3"])
    }
}

// MARK: Tests against moto

@Suite(.enabled(if: Moto.shouldRun, "moto_server is not installed (set S3EMU_REQUIRE_MOTO=1 to fail instead)"), .motoServer)
struct ExternalKMSProviderMotoTests {
    let provider: ExternalKMSProvider

    init() throws {
        let endpoint = try #require(Moto.endpoint)
        provider = try ExternalKMSProvider(
            .init(endpoint: endpoint, region: "us-east-1", accessKeyId: "testing", secretAccessKey: "testing", timeout: .seconds(20)))
    }

    /// A fresh symmetric key: (key id, key ARN).
    func createKey() async throws -> (String, String) {
        let answer = try await provider.call("CreateKey", ["Description": "s3emu ExternalKMSProvider test"])
        let metadata = try #require(answer["KeyMetadata"] as? [String: Any])
        let id = try #require(metadata["KeyId"] as? String)
        let arn = try #require(metadata["Arn"] as? String)
        return (id, arn)
    }

    static let context = ["aws:s3:arn": "arn:aws:s3:::bucket/object", "purpose": "test"]

    @Test func generateAndDecryptRoundTrip() async throws {
        let (id, arn) = try await createKey()
        let dk = try await provider.generateDataKey(keyId: id, context: Self.context, caller: "test")
        #expect(dk.plaintext.count == 32)
        #expect(dk.keyId == arn)
        #expect(!dk.sealed.isEmpty)
        let withKeyId = try await provider.decryptDataKey(dk.sealed, keyId: arn, context: Self.context, caller: "test")
        #expect(withKeyId == dk.plaintext)
        let withoutKeyId = try await provider.decryptDataKey(dk.sealed, keyId: nil, context: Self.context, caller: "test")
        #expect(withoutKeyId == dk.plaintext)
    }

    @Test func aWrongContextIsInvalidCiphertext() async throws {
        let (id, _) = try await createKey()
        let dk = try await provider.generateDataKey(keyId: id, context: Self.context, caller: "test")
        let f = await fault { () async throws(KMSFault) in
            try await provider.decryptDataKey(dk.sealed, keyId: nil, context: ["aws:s3:arn": "arn:aws:s3:::bucket/other"], caller: "test")
        }
        #expect(f?.type == "InvalidCiphertextException")
    }

    @Test func describeKeyGivesTheARNAndState() async throws {
        let (id, arn) = try await createKey()
        #expect(try await provider.describeKey(id, caller: "test") == KeyDescription(keyId: arn, state: "Enabled"))
        // A configured default key stands in for nil.
        let defaulted = try ExternalKMSProvider(
            .init(endpoint: provider.configuration.endpoint, region: "us-east-1", accessKeyId: "testing", secretAccessKey: "testing", defaultKeyId: id))
        #expect(try await defaulted.describeKey(nil, caller: "test").keyId == arn)
        let dk = try await defaulted.generateDataKey(keyId: nil, context: [:], caller: "test")
        #expect(dk.keyId == arn)
        _ = try await provider.call("DisableKey", ["KeyId": id])
        #expect(try await provider.describeKey(arn, caller: "test").state == "Disabled")
    }

    @Test func anUnknownKeyIsNotFound() async throws {
        let unknown = "arn:aws:kms:us-east-1:123456789012:key/" + UUID().uuidString.lowercased()
        let f = await fault { () async throws(KMSFault) in try await provider.describeKey(unknown, caller: "test") }
        #expect(f?.type == "NotFoundException")
        #expect(f?.message.isEmpty == false)
        let g = await fault { () async throws(KMSFault) in try await provider.generateDataKey(keyId: "alias/s3emu-no-such-alias", context: [:], caller: "test") }
        #expect(g?.type == "NotFoundException")
    }

    @Test func concurrentCallsSucceed() async throws {
        let (id, _) = try await createKey()
        let provider = self.provider
        try await withThrowingTaskGroup(of: Void.self) { group in
            for i in 0..<24 {
                group.addTask {
                    let context = ["n": String(i)]
                    let dk = try await provider.generateDataKey(keyId: id, context: context, caller: "test")
                    let plain = try await provider.decryptDataKey(dk.sealed, keyId: id, context: context, caller: "test")
                    #expect(plain == dk.plaintext)
                }
            }
            try await group.waitForAll()
        }
    }
}

// MARK: https against moto

/// `openssl` on the PATH, to make a test CA and server certificate.
let opensslPath: String? = ["/usr/bin/openssl", "/usr/local/bin/openssl", "/opt/homebrew/bin/openssl"].first {
    FileManager.default.isExecutableFile(atPath: $0)
}

@Suite(.enabled(if: Moto.shouldRun && opensslPath != nil, "moto_server or openssl is not installed"))
struct ExternalKMSProviderTLSTests {
    /// A CA and a server certificate for 127.0.0.1 and localhost, signed by it; returns the CA, cert and key paths.
    static func makeCertificates(in dir: KeyTempDir) throws -> (ca: String, certificate: String, key: String) {
        func openssl(_ arguments: [String]) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: opensslPath!)
            process.arguments = arguments
            process.currentDirectoryURL = dir.url
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw SocketError(description: "openssl \(arguments.first ?? "") failed") }
        }
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        try openssl(["req", "-x509"] + ec + ["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=s3emu test CA"])
        try openssl(["req"] + ec + ["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"])
        _ = try dir.write("san.ext", Array("subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n".utf8))
        try openssl([
            "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2",
            "-extfile", "san.ext",
        ])
        return (dir.path("ca.pem"), dir.path("server.pem"), dir.path("server.key"))
    }

    @Test func httpsWithACABundle() async throws {
        let dir = try KeyTempDir()
        defer { dir.cleanup() }
        let (ca, certificate, key) = try Self.makeCertificates(in: dir)
        let (process, endpoint) = try await Moto.start(tls: (certificate, key))
        defer { Moto.stop(process) }
        let port = try #require(URL(string: endpoint)?.port)

        // Trusting the test CA, by IP address and by host name (SNI).
        for url in [endpoint, "https://localhost:\(port)"] {
            let p = try ExternalKMSProvider(
                .init(endpoint: url, region: "us-east-1", accessKeyId: "testing", secretAccessKey: "testing", caBundlePath: ca))
            let created = try await p.call("CreateKey", [:])
            let id = try #require((created["KeyMetadata"] as? [String: Any])?["KeyId"] as? String)
            let dk = try await p.generateDataKey(keyId: id, context: ["a": "b"], caller: "test")
            #expect(try await p.decryptDataKey(dk.sealed, keyId: id, context: ["a": "b"], caller: "test") == dk.plaintext)
        }

        // The system trust store does not know the test CA: the endpoint is unusable.
        let untrusting = try ExternalKMSProvider(.init(endpoint: endpoint, region: "us-east-1", accessKeyId: "testing",
                                                       secretAccessKey: "testing", timeout: .seconds(60)))
        let f = await fault { () async throws(KMSFault) in try await untrusting.describeKey("alias/x", caller: "test") }
        #expect(f?.type == "KeyUnavailableException")
        #expect(f?.message.contains("is not reachable: TLS") == true, "\(String(describing: f))")
    }
}
