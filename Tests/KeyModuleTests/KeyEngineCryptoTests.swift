import Foundation
import KeyCore
@testable import KeyModule
import Testing

@Suite struct KeyEngineCryptoTests {
    @Test func encryptDecryptWithContextInAnyOrder() throws {
        let e = KeyEngine()
        let id = try e.newKey()
        let r = try e.run("Encrypt", ["KeyId": id, "Plaintext": b64("hello"), "EncryptionContext": ["b": "2", "aws:s3:arn": "x", "a": "1"]])
        #expect(r["KeyId"] as? String == "arn:aws:kms:us-east-1:123456789012:key/\(id)")
        let blob = r["CiphertextBlob"] as! String
        let d = try e.run("Decrypt", ["CiphertextBlob": blob, "EncryptionContext": ["a": "1", "aws:s3:arn": "x", "b": "2"]])
        #expect(d["Plaintext"] as? String == b64("hello"))
        #expect((d["KeyMaterialId"] as? String)?.count == 64)
    }

    @Test(arguments: [
        [String: String](), ["a": "1"], ["a": "1", "b": "2", "c": "3"], ["a": "2", "b": "2"], ["A": "1", "b": "2"],
    ])
    func anyOtherContextIsInvalidCiphertext(context: [String: String]) throws {
        let e = KeyEngine()
        let id = try e.newKey()
        let blob = try e.run("Encrypt", ["KeyId": id, "Plaintext": b64("x"), "EncryptionContext": ["a": "1", "b": "2"]])["CiphertextBlob"] as! String
        #expect(throws: KMSFault.invalidCiphertext) { try e.run("Decrypt", ["CiphertextBlob": blob, "EncryptionContext": context]) }
    }

    @Test func everyFlippedByteIsDetected() throws {
        let e = KeyEngine()
        let id = try e.newKey()
        let blob = Array(Data(base64Encoded: try e.run("Encrypt", ["KeyId": id, "Plaintext": b64("0123456789")])["CiphertextBlob"] as! String)!)
        for i in blob.indices {
            var bad = blob
            bad[i] ^= 0x01
            let outcome = e.outcome("Decrypt", ["CiphertextBlob": Data(bad).base64EncodedString()])
            #expect(["InvalidCiphertextException", "NotFoundException"].contains(outcome), "byte \(i): \(outcome)")
        }
    }

    @Test func decryptWithAnotherKeysIdIsIncorrectKey() throws {
        let e = KeyEngine()
        let a = try e.newKey(), b = try e.newKey()
        _ = try e.run("CreateAlias", ["AliasName": "alias/b", "TargetKeyId": b])
        let blob = try e.run("Encrypt", ["KeyId": a, "Plaintext": b64("x")])["CiphertextBlob"] as! String
        #expect(e.outcome("Decrypt", ["CiphertextBlob": blob, "KeyId": b]) == "IncorrectKeyException")
        #expect(e.outcome("Decrypt", ["CiphertextBlob": blob, "KeyId": "alias/b"]) == "IncorrectKeyException")
        #expect(e.outcome("Decrypt", ["CiphertextBlob": blob, "KeyId": a]) == "ok")
    }

    @Test func rotationKeepsOldCiphertextReadableAndUsesNewMaterial() throws {
        let clock = TestClock()
        let e = KeyEngine(clock: { clock.now })
        let id = try e.newKey()
        let old = try e.run("GenerateDataKey", ["KeyId": id, "KeySpec": "AES_256"])
        _ = try e.run("EnableKeyRotation", ["KeyId": id, "RotationPeriodInDays": 90])
        clock.advance(days: 91)
        let status = try e.run("GetKeyRotationStatus", ["KeyId": id])
        #expect(status["KeyRotationEnabled"] as? Bool == true)
        let new = try e.run("GenerateDataKey", ["KeyId": id, "KeySpec": "AES_256"])
        #expect(new["KeyMaterialId"] as? String != old["KeyMaterialId"] as? String)
        let d = try e.run("Decrypt", ["CiphertextBlob": old["CiphertextBlob"]!])
        #expect(d["Plaintext"] as? String == old["Plaintext"] as? String)
        #expect(d["KeyMaterialId"] as? String == old["KeyMaterialId"] as? String)
        _ = try e.run("RotateKeyOnDemand", ["KeyId": id])
        let rotations = try e.run("ListKeyRotations", ["KeyId": id])["Rotations"] as! [[String: Any]]
        #expect(rotations.map { $0["RotationType"] as? String } == ["AUTOMATIC", "ON_DEMAND"])
        #expect(rotations.map { $0["KeyMaterialState"] as? String } == ["NON_CURRENT", "CURRENT"])
        let all = try e.run("ListKeyRotations", ["KeyId": id, "IncludeKeyMaterial": "ALL_KEY_MATERIAL"])["Rotations"] as! [[String: Any]]
        #expect(all.count == 3)
    }

    @Test func disabledKeysDoNotRotateUntilReEnabled() throws {
        let clock = TestClock()
        let e = KeyEngine(clock: { clock.now })
        let id = try e.newKey()
        _ = try e.run("EnableKeyRotation", ["KeyId": id, "RotationPeriodInDays": 90])
        _ = try e.run("DisableKey", ["KeyId": id])
        clock.advance(days: 200)
        #expect((try e.run("ListKeyRotations", ["KeyId": id])["Rotations"] as! [Any]).isEmpty)
        _ = try e.run("EnableKey", ["KeyId": id])
        #expect((try e.run("ListKeyRotations", ["KeyId": id])["Rotations"] as! [Any]).count >= 1)
    }

    @Test func onDemandRotationIsCapped() throws {
        let e = KeyEngine()
        let id = try e.newKey()
        for _ in 0..<25 { _ = try e.run("RotateKeyOnDemand", ["KeyId": id]) }
        #expect(e.outcome("RotateKeyOnDemand", ["KeyId": id]) == "LimitExceededException")
    }

    @Test(arguments: [
        ("Encrypt", #"{"Plaintext":""}"#), ("Encrypt", "{\"Plaintext\":\"\(String(repeating: "A", count: 5464))\"}"),
        ("GenerateDataKey", "{}"), ("GenerateDataKey", #"{"KeySpec":"AES_256","NumberOfBytes":32}"#),
        ("GenerateDataKey", #"{"NumberOfBytes":0}"#), ("GenerateDataKey", #"{"NumberOfBytes":1025}"#),
        ("GenerateDataKey", #"{"KeySpec":"AES_512"}"#), ("ScheduleKeyDeletion", #"{"PendingWindowInDays":6}"#),
        ("ScheduleKeyDeletion", #"{"PendingWindowInDays":31}"#), ("EnableKeyRotation", #"{"RotationPeriodInDays":89}"#),
        ("EnableKeyRotation", #"{"RotationPeriodInDays":2561}"#),
    ])
    func validation(op: String, extra: String) throws {
        let e = KeyEngine()
        var body = try JSONObject(parsing: Array(extra.utf8)).values
        body["KeyId"] = try e.newKey()
        #expect(e.outcome(op, body) == "ValidationException")
    }

    @Test func identifierForms() throws {
        let e = KeyEngine()
        let id = try e.newKey()
        _ = try e.run("CreateAlias", ["AliasName": "alias/app", "TargetKeyId": id])
        let arn = "arn:aws:kms:us-east-1:123456789012:key/\(id)"
        for form in [id, arn, "alias/app", "arn:aws:kms:us-east-1:123456789012:alias/app"] {
            #expect(e.outcome("Encrypt", ["KeyId": form, "Plaintext": b64("x")]) == "ok", "\(form)")
        }
        #expect(throws: KMSFault.notFound("Alias arn:aws:kms:us-east-1:123456789012:alias/nope is not found.")) {
            try e.run("Encrypt", ["KeyId": "alias/nope", "Plaintext": b64("x")])
        }
        #expect(e.outcome("EnableKey", ["KeyId": "alias/app"]) == "NotFoundException")
        #expect(e.outcome("CreateAlias", ["AliasName": "alias/app", "TargetKeyId": id]) == "AlreadyExistsException")
        #expect(e.outcome("CreateAlias", ["AliasName": "alias/aws/mine", "TargetKeyId": id]) == "NotAuthorizedException")
        #expect(e.outcome("CreateAlias", ["AliasName": "nope", "TargetKeyId": id]) == "InvalidAliasNameException")
    }

    @Test func managedS3KeyIsCreatedOnFirstUse() throws {
        let e = KeyEngine()
        let r = try e.run("GenerateDataKey", ["KeyId": "alias/aws/s3", "KeySpec": "AES_256"])
        let meta = try e.run("DescribeKey", ["KeyId": "alias/aws/s3"])["KeyMetadata"] as! [String: Any]
        #expect(meta["KeyManager"] as? String == "AWS")
        #expect(r["KeyId"] as? String == meta["Arn"] as? String)
        #expect((try e.run("GetKeyRotationStatus", ["KeyId": meta["KeyId"]!])["KeyRotationEnabled"]) as? Bool == true)
    }

    @Test(arguments: [("RSA_2048", "RSAES_OAEP_SHA_1", 214), ("RSA_2048", "RSAES_OAEP_SHA_256", 190)])
    func rsaEncryptDecryptAndLimits(spec: String, algorithm: String, limit: Int) throws {
        let e = KeyEngine()
        let id = try e.newKey(["KeySpec": spec, "KeyUsage": "ENCRYPT_DECRYPT"])
        let pt = Data(repeating: 7, count: limit).base64EncodedString()
        let ct = try e.run("Encrypt", ["KeyId": id, "Plaintext": pt, "EncryptionAlgorithm": algorithm])["CiphertextBlob"]!
        #expect(try e.run("Decrypt", ["KeyId": id, "CiphertextBlob": ct, "EncryptionAlgorithm": algorithm])["Plaintext"] as? String == pt)
        let tooLong = Data(repeating: 7, count: limit + 1).base64EncodedString()
        #expect(e.outcome("Encrypt", ["KeyId": id, "Plaintext": tooLong, "EncryptionAlgorithm": algorithm]) == "ValidationException")
        #expect(e.outcome("Encrypt", ["KeyId": id, "Plaintext": pt]) == "InvalidKeyUsageException")
        #expect(e.outcome("GenerateDataKey", ["KeyId": id, "KeySpec": "AES_256"]) == "InvalidKeyUsageException")
        #expect(e.outcome("Decrypt", ["CiphertextBlob": ct, "EncryptionAlgorithm": algorithm]) == "ValidationException")
    }

    @Test func reEncryptMovesToTheDestinationKey() throws {
        let e = KeyEngine()
        let a = try e.newKey(), b = try e.newKey()
        let blob = try e.run("Encrypt", ["KeyId": a, "Plaintext": b64("move me"), "EncryptionContext": ["s": "1"]])["CiphertextBlob"]!
        #expect(e.outcome("ReEncrypt", ["CiphertextBlob": blob, "DestinationKeyId": b]) == "InvalidCiphertextException")
        let r = try e.run("ReEncrypt", ["CiphertextBlob": blob, "SourceEncryptionContext": ["s": "1"], "DestinationKeyId": b,
                                        "DestinationEncryptionContext": ["d": "2"]])
        #expect(r["SourceKeyId"] as? String == "arn:aws:kms:us-east-1:123456789012:key/\(a)")
        let d = try e.run("Decrypt", ["CiphertextBlob": r["CiphertextBlob"]!, "EncryptionContext": ["d": "2"]])
        #expect(d["Plaintext"] as? String == b64("move me"))
    }

    @Test func pagingWithMarkers() throws {
        let e = KeyEngine()
        var ids: [String] = []
        for _ in 0..<5 { ids.append(try e.newKey()) }
        var seen: [String] = []
        var marker: String?
        repeat {
            var body: [String: Any] = ["Limit": 2]
            if let marker { body["Marker"] = marker }
            let r = try e.run("ListKeys", body)
            seen += (r["Keys"] as! [[String: Any]]).map { $0["KeyId"] as! String }
            marker = r["NextMarker"] as? String
            #expect((r["Truncated"] as? Bool) == (marker != nil))
        } while marker != nil
        #expect(seen == ids)
        #expect(e.outcome("ListKeys", ["Marker": "garbage"]) == "InvalidMarkerException")
    }

    @Test func seedsCreateMissingKeysOnly() throws {
        let e = KeyEngine()
        let seeds = try KeyEngine.parseSeeds(Data(#"{"keys":[{"KeyId":"11111111-2222-3333-4444-555555555555","Aliases":["alias/seeded"],"State":"Disabled"}]}"#.utf8))
        #expect(try e.apply(seeds: seeds) == 1)
        #expect(try e.state(of: "alias/seeded") == "Disabled")
        _ = try e.run("EnableKey", ["KeyId": "11111111-2222-3333-4444-555555555555"])
        #expect(try e.apply(seeds: seeds) == 0)
        #expect(try e.state(of: "11111111-2222-3333-4444-555555555555") == "Enabled")
    }
}

@Suite struct InternalKeyTests {
    func binaryGenerate(_ e: KeyEngine, _ id: String) -> Result<[UInt8], KMSFault> {
        var w = KeyModuleBinary.Writer()
        w.string(id)
        w.u16(32)
        w.context(["aws:s3:arn": "arn:aws:s3:::b/k"])
        return e.call(KeyModuleBinary.generateDataKey, caller: "s3", body: w.bytes)
    }

    @Test func theSSES3KeyIsHiddenFromTheKMSAPI() throws {
        let e = KeyEngine()
        var r = KeyModuleBinary.Reader(try binaryGenerate(e, KeyEngine.sseS3Identifier).get())
        #expect(try r.string() == "arn:aws:kms:us-east-1:123456789012:key/s3emu-sse-s3")
        _ = try r.string()
        let plain = try r.data()
        let blob = try r.data()
        #expect((try e.run("ListKeys")["Keys"] as! [Any]).isEmpty)
        #expect(e.outcome("DescribeKey", ["KeyId": "s3emu-sse-s3"]) == "NotFoundException")
        #expect(e.outcome("DescribeKey", ["KeyId": KeyEngine.sseS3Identifier]) == "NotFoundException")
        #expect(e.outcome("Decrypt", ["CiphertextBlob": Data(blob).base64EncodedString(), "EncryptionContext": ["aws:s3:arn": "arn:aws:s3:::b/k"]]) == "NotFoundException")
        // The binary path (the object service's provider) opens it.
        var w = KeyModuleBinary.Writer()
        w.string("")
        w.data(blob)
        w.context(["aws:s3:arn": "arn:aws:s3:::b/k"])
        var d = KeyModuleBinary.Reader(try e.call(KeyModuleBinary.decrypt, caller: "s3", body: w.bytes).get())
        _ = try d.string()
        #expect(try d.data() == plain)
    }
}
