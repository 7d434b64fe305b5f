import AlloRestoStore
import AlloRestoTestSupport
import Foundation
import Testing

/// Byte compatibility with the original (Node) implementation, both ways.
@Suite struct LineSecretCipherTests {
    struct Vector: Decodable {
        let keyHex: String
        let lineId: String
        let plaintext: String
        let stored: String
    }

    struct Vectors: Decodable { let vectors: [Vector] }

    static func fixture(_ name: String) throws -> URL {
        try #require(Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures"))
    }

    static func vectors() throws -> [Vector] {
        try JSONDecoder().decode(Vectors.self, from: Data(contentsOf: fixture("line-cipher-vectors.json"))).vectors
    }

    /// Runs the Node reference implementation.
    static func node(_ args: [String]) throws -> (status: Int32, out: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["node", try fixture("line-cipher-reference.mjs").path] + args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = Pipe()
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        ChildProcess.waitForExit(p)
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func decryptsValuesEncryptedByTheNodeImplementation() throws {
        for v in try Self.vectors() {
            let cipher = LineSecretCipher(master: try MasterKey(hex: v.keyHex))
            #expect(try cipher.decrypt(v.stored, lineId: v.lineId) == v.plaintext)
        }
    }

    @Test func sameIVGivesTheSameBytesAsNode() throws {
        let v = try #require(try Self.vectors().first)
        let iv = Array(Data(base64Encoded: String(v.stored.split(separator: ":")[0]))!)
        let cipher = LineSecretCipher(master: try MasterKey(hex: v.keyHex))
        #expect(try cipher.encrypt(v.plaintext, lineId: v.lineId, iv: iv) == v.stored)
    }

    @Test func nodeDecryptsWhatWeEncrypt() throws {
        let key = "8f3c2a61d94b7e05a1c6f0e2b3d4958670a1b2c3d4e5f60718293a4b5c6d7e8f"
        let cipher = LineSecretCipher(master: try MasterKey(hex: key))
        for (line, secret) in [("5b1e7a2c-0d3f-4e8a-9b6c-112233445566", "Tr0ub4dor&3"), ("line-2", "àéîõü — ☎︎"), ("x", "")] {
            let stored = try cipher.encrypt(secret, lineId: line)
            #expect(LineSecretCipher.looksEncrypted(stored))
            let result = try Self.node(["decrypt", key, line, stored])
            #expect(result.status == 0, "node could not decrypt \(stored)")
            #expect(result.out == secret)
        }
    }

    @Test func freshIVEveryTime() throws {
        let cipher = LineSecretCipher(master: try MasterKey(hex: String(repeating: "ab", count: 32)))
        let a = try cipher.encrypt("same", lineId: "l"), b = try cipher.encrypt("same", lineId: "l")
        #expect(a != b)
    }

    @Test func tamperedOrWrongKeyIsAClearError() throws {
        let v = try #require(try Self.vectors().first)
        let cipher = LineSecretCipher(master: try MasterKey(hex: v.keyHex))
        var parts = v.stored.split(separator: ":").map(String.init)
        var ct = Array(Data(base64Encoded: parts[2])!)
        ct[0] ^= 0x01
        parts[2] = Data(ct).base64EncodedString()
        #expect(throws: StoreError.self) { try cipher.decrypt(parts.joined(separator: ":"), lineId: v.lineId) }
        // Right key, wrong line id (salt): the derived key differs.
        #expect(throws: StoreError.self) { try cipher.decrypt(v.stored, lineId: v.lineId + "x") }
        let other = LineSecretCipher(master: try MasterKey(hex: String(repeating: "00", count: 32)))
        do {
            _ = try other.decrypt(v.stored, lineId: v.lineId)
            Issue.record("decrypting with the wrong key must fail")
        } catch {
            #expect(error.description.contains("wrong ENCRYPTION_KEY or tampered value"))
        }
    }

    @Test func legacyPlaintextPassesThrough() throws {
        let cipher = LineSecretCipher(master: try MasterKey(hex: String(repeating: "01", count: 32)))
        #expect(try cipher.decrypt("plain-old-password", lineId: "l") == "plain-old-password")
        #expect(try cipher.decrypt("a:b:c", lineId: "l") == "a:b:c")
        #expect(!LineSecretCipher.looksEncrypted("user:pass"))
    }

    @Test func masterKeyValidation() {
        #expect(throws: StoreError.self) { try MasterKey(hex: "abc") }
        #expect(throws: StoreError.self) { try MasterKey(hex: String(repeating: "zz", count: 32)) }
        #expect(MasterKey.generateHex().count == 64)
        #expect((try? MasterKey(hex: MasterKey.generateHex())) != nil)
    }
}
