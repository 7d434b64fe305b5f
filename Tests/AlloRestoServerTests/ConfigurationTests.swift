import AlloRestoServer
import AlloRestoStore
import Foundation
import Testing

@Suite struct ConfigurationTests {
    let key = String(repeating: "ab", count: 32)

    func error(_ env: [String: String], devMode: Bool = false) -> String? {
        do {
            _ = try ServerConfiguration.fromEnvironment(env, devMode: devMode)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func defaultsFollowTheSpec() throws {
        let c = try ServerConfiguration.fromEnvironment(["ENCRYPTION_KEY": key], devMode: false)
        #expect(c.host == "127.0.0.1")
        #expect(c.port == 3000)
        #expect(c.database == .sqliteFile("./data/alloresto.sqlite"))
        #expect(c.publicURL == "http://localhost:3000")
        #expect(c.sipAgentServerURL == "http://localhost:4000")
        #expect(c.sipAgentServerAPIKey == nil)
        #expect(c.demoLine.domain == "sip.twilio.com")
        #expect(c.demoLine.username == "")
        #expect(c.redisURL == "redis://127.0.0.1:6379")
    }

    /// The original AlloResto's variable names work as aliases; ours win when both are set (and say so).
    @Test func theOriginalsVariableNamesAreAliases() throws {
        let original = try ServerConfiguration.fromEnvironment([
            "ENCRYPTION_KEY": key, "SIP_AGENT_INTERNAL_URL": "http://sip-agent-server-api:4000", "SIP_ACCOUNT_API_KEY": "acc_123",
            "ALLORESTO_CALLBACK_URL": "http://alloresto:3000",
        ], devMode: false)
        #expect(original.sipAgentServerURL == "http://sip-agent-server-api:4000" && original.sipAgentServerConfigured)
        #expect(original.sipAgentServerAPIKey == "acc_123" && original.publicURL == "http://alloresto:3000")
        let both = try ServerConfiguration.fromEnvironment([
            "ENCRYPTION_KEY": key, "SIP_AGENT_SERVER_URL": "http://ours:4000", "SIP_AGENT_INTERNAL_URL": "http://theirs:4000",
        ], devMode: false)
        #expect(both.sipAgentServerURL == "http://ours:4000")
        #expect(both.notices.contains { $0.contains("SIP_AGENT_INTERNAL_URL is ignored") })
        #expect(throws: ConfigurationError.self) { try ServerConfiguration.fromEnvironment(["ENCRYPTION_KEY": key, "SIP_AGENT_INTERNAL_URL": "sas:4000"], devMode: false) }
        do { _ = try ServerConfiguration.fromEnvironment(["ENCRYPTION_KEY": key, "SIP_AGENT_INTERNAL_URL": "sas:4000"], devMode: false) } catch {
            #expect(error.description.hasPrefix("SIP_AGENT_INTERNAL_URL:"))
        }
    }

    @Test func everyErrorIsOneLineNamingTheVariable() throws {
        let cases: [([String: String], String)] = [
            ([:], "ENCRYPTION_KEY: required"),
            (["ENCRYPTION_KEY": "abc"], "ENCRYPTION_KEY: expected 64 hexadecimal characters"),
            (["ENCRYPTION_KEY": String(repeating: "zz", count: 32)], "ENCRYPTION_KEY: expected 64 hexadecimal characters"),
            (["ENCRYPTION_KEY": key, "PORT": "http"], "PORT:"),
            (["ENCRYPTION_KEY": key, "DATABASE_URL": "mysql://x"], "DATABASE_URL:"),
            (["ENCRYPTION_KEY": key, "SIP_AGENT_SERVER_URL": "localhost:4000"], "SIP_AGENT_SERVER_URL:"),
            (["ENCRYPTION_KEY": key, "ALLORESTO_PUBLIC_URL": "ftp://x"], "ALLORESTO_PUBLIC_URL:"),
            (["ENCRYPTION_KEY": key, "EXCHANGE_RATES": "EUR:0.9"], "EXCHANGE_RATES:"),
        ]
        for (env, prefix) in cases {
            let e = try #require(error(env), "no error for \(env)")
            #expect(e.hasPrefix(prefix), "\(e)")
            #expect(!e.contains("\n"))
            if let k = env["ENCRYPTION_KEY"] { #expect(!e.contains(k) || k.count < 8, "the key must not be echoed") }
        }
    }

    @Test func databaseURLPasswordIsNeverPrinted() throws {
        let loc = try DatabaseLocation(url: "postgres://app:s3cr3t@db.example:5432/alloresto")
        #expect(!loc.description.contains("s3cr3t"))
        #expect(loc.description.contains("app:***@db.example"))
        #expect(error(["ENCRYPTION_KEY": key, "DATABASE_URL": "mongodb://u:s3cr3t@h/db"])?.contains("s3cr3t") == false)
    }

    @Test func devModeGeneratesAndKeepsAKey() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("alloresto-key-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let env = ["DATABASE_URL": "sqlite://\(dir)/db.sqlite"]
        #expect(error(env)?.hasPrefix("ENCRYPTION_KEY: required") == true)
        let first = try ServerConfiguration.fromEnvironment(env, devMode: true)
        #expect(first.notices.first?.contains("GENERATED") == true)
        #expect(first.notices.first?.contains(first.encryptionKeyHex) == false)
        let saved = try String(contentsOfFile: "\(dir)/encryption.key", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(saved == first.encryptionKeyHex)
        let attributes = try FileManager.default.attributesOfItem(atPath: "\(dir)/encryption.key")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let second = try ServerConfiguration.fromEnvironment(env, devMode: true)
        #expect(second.encryptionKeyHex == first.encryptionKeyHex)
        #expect(second.notices.first?.contains("using the development key") == true)
        // A malformed key is refused even in dev mode: it was set on purpose.
        #expect(error(env.merging(["ENCRYPTION_KEY": "short"]) { $1 }, devMode: true)?.hasPrefix("ENCRYPTION_KEY") == true)
    }
}
