import ArgumentParser
import EmulatorServer
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import S3Wire

/// `s3emu inspect BUCKET KEY`: how the running emulator stores an object (mode, key, format, the first stored bytes,
/// and whether the plaintext shows through), from `GET /_s3emu/inspect/{bucket}/{key}`.
struct InspectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Show how an object is stored: encryption mode, key, format, ciphertext prefix.")

    @Argument(help: "Bucket name.") var bucket: String
    @Argument(help: "Object key.") var key: String

    @Option(help: "Data directory of the running serve (its endpoints.json names the endpoint; env S3EMU_DATA_DIR).")
    var dataDir: String = ProcessInfo.processInfo.environment["S3EMU_DATA_DIR"] ?? "./s3emu-data"

    @Option(help: "Endpoint URL (default: the http endpoint in DATA_DIR/endpoints.json).")
    var endpoint: String?

    @Option(help: "Access key (env S3EMU_ACCESS_KEY).")
    var accessKey: String = ProcessInfo.processInfo.environment["S3EMU_ACCESS_KEY"] ?? EmulatorConfiguration.defaultAccessKey

    @Option(help: "Secret key (env S3EMU_SECRET_KEY).")
    var secretKey: String = ProcessInfo.processInfo.environment["S3EMU_SECRET_KEY"] ?? EmulatorConfiguration.defaultSecretKey

    @Option(help: "Region (env S3EMU_REGION).")
    var region: String = ProcessInfo.processInfo.environment["S3EMU_REGION"] ?? "us-east-1"

    func run() async throws {
        var base = endpoint
        if base == nil, let data = FileManager.default.contents(atPath: URL(fileURLWithPath: dataDir).appendingPathComponent("endpoints.json").path),
            let o = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            base = o["http"] as? String
        }
        guard let base, let baseURL = URL(string: base), let host = baseURL.host else {
            throw ValidationError("No endpoint: give --endpoint or --data-dir of a running serve.")
        }
        let path = "/_s3emu/inspect/" + URIEncoding.encode(bucket) + "/" + URIEncoding.encode(key, keepSlash: true)
        let hostHeader = baseURL.port.map { "\(host):\($0)" } ?? host
        let signer = SigV4Signer(accessKeyId: accessKey, secretAccessKey: secretKey, region: region, service: "s3", signsContentSHA256: true)
        let signed = signer.sign(method: "GET", path: path, headers: [("host", hostHeader)], body: [], timestamp: Int64(Date().timeIntervalSince1970))
        var request = URLRequest(url: URL(string: base.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + path)!)
        for (name, value) in signed.headers where name.lowercased() != "host" { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        if let o = try? JSONSerialization.jsonObject(with: data),
            let pretty = try? JSONSerialization.data(withJSONObject: o, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]) {
            print(String(decoding: pretty, as: UTF8.self))
        } else {
            print(String(decoding: data, as: UTF8.self))
        }
        if status != 200 { throw ExitCode(1) }
    }
}
