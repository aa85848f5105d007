import Foundation
import S3Wire
import Testing

@testable import Encryption

@Suite struct BucketEncryptionConfigurationTests {
    static let ns = "http://s3.amazonaws.com/doc/2006-03-01/"
    static let decl = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"

    static func parse(_ xml: String) throws(S3Error) -> BucketEncryptionConfiguration {
        try BucketEncryptionConfiguration.parse(Array(xml.utf8))
    }

    static func doc(_ rule: String) -> String {
        "<ServerSideEncryptionConfiguration xmlns=\"\(ns)\">\(rule)</ServerSideEncryptionConfiguration>"
    }

    /// §5.1: the never-configured document, byte for byte; with the April 2026 block when asked.
    @Test func neverConfiguredDocuments() {
        let legacy = BucketEncryptionConfiguration.neverConfigured(blockSSECForNewBuckets: false)
        #expect(
            legacy.xml() == Self.decl + Self.doc(
                "<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault>"
                    + "<BucketKeyEnabled>false</BucketKeyEnabled></Rule>"))
        #expect(!legacy.rule.blocksSSEC)
        let current = BucketEncryptionConfiguration.neverConfigured(blockSSECForNewBuckets: true)
        #expect(
            current.xml() == Self.decl + Self.doc(
                "<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault>"
                    + "<BucketKeyEnabled>false</BucketKeyEnabled>"
                    + "<BlockedEncryptionTypes><EncryptionType>SSE-C</EncryptionType></BlockedEncryptionTypes></Rule>"))
        #expect(current.rule.blocksSSEC)
    }

    /// The reference example, pretty-printed with comments, parses and is written back in canonical order.
    @Test func referenceExampleRoundTrip() throws {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
              <Rule>
                <BlockedEncryptionTypes>
                  <EncryptionType>SSE-C</EncryptionType>   <!-- SSE-C | NONE -->
                </BlockedEncryptionTypes>
                <ApplyServerSideEncryptionByDefault>
                  <KMSMasterKeyID>arn:aws:kms:us-east-1:111122223333:key/abc</KMSMasterKeyID>
                  <SSEAlgorithm>aws:kms</SSEAlgorithm>
                </ApplyServerSideEncryptionByDefault>
                <BucketKeyEnabled>true</BucketKeyEnabled>
              </Rule>
            </ServerSideEncryptionConfiguration>
            """
        let config = try Self.parse(xml)
        #expect(
            config.rule
                == BucketEncryptionRule(
                    algorithm: .kms, kmsMasterKeyID: "arn:aws:kms:us-east-1:111122223333:key/abc", bucketKeyEnabled: true,
                    blockedEncryptionTypes: [.sseC]))
        let written = config.xml()
        #expect(
            written == Self.decl + Self.doc(
                "<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm>"
                    + "<KMSMasterKeyID>arn:aws:kms:us-east-1:111122223333:key/abc</KMSMasterKeyID></ApplyServerSideEncryptionByDefault>"
                    + "<BucketKeyEnabled>true</BucketKeyEnabled>"
                    + "<BlockedEncryptionTypes><EncryptionType>SSE-C</EncryptionType></BlockedEncryptionTypes></Rule>"))
        #expect(try Self.parse(written) == config)
    }

    /// Accepted shapes (§5.1) and what Get writes back.
    @Test func acceptedShapes() throws {
        let cases: [(String, BucketEncryptionRule)] = [
            // A bare UUID is stored and echoed verbatim.
            (
                "<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>1234abcd-12ab-34cd-56ef-1234567890ab</KMSMasterKeyID></ApplyServerSideEncryptionByDefault></Rule>",
                BucketEncryptionRule(algorithm: .kms, kmsMasterKeyID: "1234abcd-12ab-34cd-56ef-1234567890ab")
            ),
            // aws:kms without a key: Get shows no key.
            (
                "<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule>",
                BucketEncryptionRule(algorithm: .kms)
            ),
            (
                "<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms:dsse</SSEAlgorithm><KMSMasterKeyID>alias/d</KMSMasterKeyID></ApplyServerSideEncryptionByDefault></Rule>",
                BucketEncryptionRule(algorithm: .kmsDSSE, kmsMasterKeyID: "alias/d")
            ),
            // BucketKeyEnabled with AES256 is accepted.
            (
                "<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true</BucketKeyEnabled></Rule>",
                BucketEncryptionRule(bucketKeyEnabled: true)
            ),
            // AWS's unblock example: a rule with only BlockedEncryptionTypes NONE.
            (
                "<Rule><BlockedEncryptionTypes><EncryptionType>NONE</EncryptionType></BlockedEncryptionTypes></Rule>",
                BucketEncryptionRule(blockedEncryptionTypes: [.none])
            ),
            ("<Rule><BlockedEncryptionTypes></BlockedEncryptionTypes></Rule>", BucketEncryptionRule(blockedEncryptionTypes: [.none])),
            (
                "<Rule><BlockedEncryptionTypes><EncryptionType>SSE-C</EncryptionType><EncryptionType>SSE-C</EncryptionType></BlockedEncryptionTypes></Rule>",
                BucketEncryptionRule(blockedEncryptionTypes: [.sseC])
            ),
            // Empty KMSMasterKeyID counts as absent; unknown elements are ignored.
            (
                "<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm><KMSMasterKeyID></KMSMasterKeyID></ApplyServerSideEncryptionByDefault><Extra>x</Extra></Rule>",
                BucketEncryptionRule()
            ),
            ("<Rule><BucketKeyEnabled> false </BucketKeyEnabled></Rule>", BucketEncryptionRule()),
        ]
        for (rule, expected) in cases {
            let config = try Self.parse(Self.doc(rule))
            #expect(config.rule == expected, "\(rule)")
            #expect(try Self.parse(config.xml()) == config, "\(rule)")
        }
        // No namespace, or a prefixed one, is fine.
        #expect(try Self.parse("<ServerSideEncryptionConfiguration><Rule/></ServerSideEncryptionConfiguration>").rule == BucketEncryptionRule())
        #expect(
            try Self.parse("<s3:ServerSideEncryptionConfiguration xmlns:s3=\"\(Self.ns)\"><s3:Rule/></s3:ServerSideEncryptionConfiguration>").rule
                == BucketEncryptionRule())
    }

    /// E-B1, E-B2, E-B3.
    @Test func errors() {
        let apply = { (inner: String) in "<ApplyServerSideEncryptionByDefault>\(inner)</ApplyServerSideEncryptionByDefault>" }
        let cases: [(String, String, S3Error)] = [
            ("E-B1 no Rule", Self.doc(""), Ref.malformedXML),
            ("E-B1 two Rules", Self.doc("<Rule/><Rule/>"), Ref.malformedXML),
            ("E-B1 not well-formed", "<ServerSideEncryptionConfiguration><Rule>", Ref.malformedXML),
            ("E-B1 empty body", "", Ref.malformedXML),
            ("E-B1 wrong root", "<EncryptionConfiguration><Rule/></EncryptionConfiguration>", Ref.malformedXML),
            ("E-B2 key with AES256", Self.doc("<Rule>" + apply("<SSEAlgorithm>AES256</SSEAlgorithm><KMSMasterKeyID>k</KMSMasterKeyID>") + "</Rule>"), Ref.eb2),
            ("E-B3 unknown algorithm", Self.doc("<Rule>" + apply("<SSEAlgorithm>aes256</SSEAlgorithm>") + "</Rule>"), Ref.malformedXML),
            ("E-B3 unknown algorithm with key", Self.doc("<Rule>" + apply("<SSEAlgorithm>x</SSEAlgorithm><KMSMasterKeyID>k</KMSMasterKeyID>") + "</Rule>"), Ref.malformedXML),
            ("E-B3 missing algorithm", Self.doc("<Rule>" + apply("<KMSMasterKeyID>k</KMSMasterKeyID>") + "</Rule>"), Ref.malformedXML),
            ("E-B3 SSE-C as default", Self.doc("<Rule>" + apply("<SSEAlgorithm>SSE-C</SSEAlgorithm>") + "</Rule>"), Ref.malformedXML),
            ("E-B3 aws:fsx", Self.doc("<Rule>" + apply("<SSEAlgorithm>aws:fsx</SSEAlgorithm>") + "</Rule>"), Ref.malformedXML),
            ("E-B3 two algorithms", Self.doc("<Rule>" + apply("<SSEAlgorithm>AES256</SSEAlgorithm><SSEAlgorithm>AES256</SSEAlgorithm>") + "</Rule>"), Ref.malformedXML),
            ("E-B3 two Apply", Self.doc("<Rule>" + apply("<SSEAlgorithm>AES256</SSEAlgorithm>") + apply("<SSEAlgorithm>AES256</SSEAlgorithm>") + "</Rule>"), Ref.malformedXML),
            ("E-B3 unknown EncryptionType", Self.doc("<Rule><BlockedEncryptionTypes><EncryptionType>SSE-KMS</EncryptionType></BlockedEncryptionTypes></Rule>"), Ref.malformedXML),
            ("E-B3 NONE and SSE-C", Self.doc("<Rule><BlockedEncryptionTypes><EncryptionType>NONE</EncryptionType><EncryptionType>SSE-C</EncryptionType></BlockedEncryptionTypes></Rule>"), Ref.malformedXML),
            ("E-B3 bad BucketKeyEnabled", Self.doc("<Rule><BucketKeyEnabled>yes</BucketKeyEnabled></Rule>"), Ref.malformedXML),
        ]
        for (label, xml, expected) in cases {
            expectS3Error(expected, label) { () throws(S3Error) in _ = try Self.parse(xml) }
        }
    }

    /// Put keeps an earlier block when it omits the element; Delete returns the AES256 default and keeps it [I].
    @Test func putAndDeleteKeepTheBlock() throws {
        let blocked = BucketEncryptionConfiguration.neverConfigured(blockSSECForNewBuckets: true)
        let kms = try Self.parse(Self.doc("<Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm></ApplyServerSideEncryptionByDefault></Rule>"))
        let afterPut = blocked.applying(put: kms)
        #expect(afterPut.rule.algorithm == .kms && afterPut.rule.blocksSSEC)
        let unblock = try Self.parse(Self.doc("<Rule><BlockedEncryptionTypes><EncryptionType>NONE</EncryptionType></BlockedEncryptionTypes></Rule>"))
        let afterUnblock = afterPut.applying(put: unblock)
        #expect(afterUnblock.rule == BucketEncryptionRule(blockedEncryptionTypes: [.none]))
        #expect(!afterUnblock.rule.blocksSSEC)
        let deleted = afterPut.deleted()
        #expect(deleted.rule == BucketEncryptionRule(blockedEncryptionTypes: [.sseC]))
        #expect(BucketEncryptionConfiguration.neverConfigured(blockSSECForNewBuckets: false).applying(put: kms) == kms)
    }

    @Test func codableRoundTrip() throws {
        let config = BucketEncryptionConfiguration(
            rule: BucketEncryptionRule(algorithm: .kmsDSSE, kmsMasterKeyID: "k", bucketKeyEnabled: true, blockedEncryptionTypes: [.sseC]))
        let data = try JSONEncoder().encode(config)
        #expect(try JSONDecoder().decode(BucketEncryptionConfiguration.self, from: data) == config)
    }
}
