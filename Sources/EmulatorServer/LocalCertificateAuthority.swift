import Crypto
import Foundation
import NIOSSL
import SwiftASN1
import X509

/// The emulator's own CA and server certificate, generated on first start and kept in the data directory:
///
/// ```
/// tls/ca.pem          CA certificate (P-256, 10 years): what clients trust (AWS_CA_BUNDLE, curl --cacert)
/// tls/ca-key.pem      CA private key (0600)
/// tls/server.pem      server certificate, SANs localhost, s3.localhost, *.s3.localhost, 127.0.0.1, ::1
/// tls/server-key.pem  server private key (0600)
/// ```
struct LocalCertificateAuthority {
    let directory: URL
    var caPath: String { directory.appendingPathComponent("ca.pem").path }
    var serverCertPath: String { directory.appendingPathComponent("server.pem").path }
    var serverKeyPath: String { directory.appendingPathComponent("server-key.pem").path }

    /// Loads the files, creating them when missing. Returns whether they were created now.
    @discardableResult
    func ensure() throws -> Bool {
        let fm = FileManager.default
        if fm.fileExists(atPath: caPath) && fm.fileExists(atPath: serverCertPath) && fm.fileExists(atPath: serverKeyPath) { return false }
        try fm.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let now = Date()
        let caKey = P256.Signing.PrivateKey()
        let caPub = Certificate.PublicKey(caKey.publicKey)
        let caName = try DistinguishedName {
            OrganizationName("s3emu")
            CommonName("s3emu local CA")
        }
        let caSKI = SubjectKeyIdentifier(hash: caPub)
        let ca = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: caPub, notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(3650 * 86400), issuer: caName, subject: caName, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                caSKI
            }, issuerPrivateKey: .init(caKey))
        let leafKey = P256.Signing.PrivateKey()
        let leafPub = Certificate.PublicKey(leafKey.publicKey)
        let leafName = try DistinguishedName {
            OrganizationName("s3emu")
            CommonName("localhost")
        }
        let leaf = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: leafPub, notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(825 * 86400), issuer: caName, subject: leafName, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectKeyIdentifier(hash: leafPub)
                AuthorityKeyIdentifier(keyIdentifier: caSKI.keyIdentifier)
                SubjectAlternativeNames([
                    .dnsName("localhost"), .dnsName("s3.localhost"), .dnsName("*.s3.localhost"),
                    .ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1])),
                    .ipAddress(ASN1OctetString(contentBytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])),
                ])
            }, issuerPrivateKey: .init(caKey))
        try write(caKey.pemRepresentation, to: directory.appendingPathComponent("ca-key.pem").path, mode: 0o600)
        try write(leafKey.pemRepresentation, to: serverKeyPath, mode: 0o600)
        try write(try leaf.serializeAsPEM().pemString + "\n", to: serverCertPath, mode: 0o644)
        try write(try ca.serializeAsPEM().pemString + "\n", to: caPath, mode: 0o644)
        return true
    }

    private func write(_ text: String, to path: String, mode: Int) throws {
        try AtomicFile.write(Data(text.utf8), to: path, mode: mode)
    }

    /// A server TLS configuration from PEM files.
    static func tlsConfiguration(certificatePath: String, keyPath: String) throws -> TLSConfiguration {
        let chain = try NIOSSLCertificate.fromPEMFile(certificatePath).map { NIOSSLCertificateSource.certificate($0) }
        let key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
        return TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
    }
}
