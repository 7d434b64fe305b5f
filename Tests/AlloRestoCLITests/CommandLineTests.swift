import AlloRestoTestSupport
import Foundation
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Drives the real `alloresto` executable in a temporary folder.
@Suite struct CommandLineTests {
    struct Run {
        let status: Int32
        let out: String
        let err: String
    }

    static var binary: URL { get throws { try BuiltBinary.alloresto } }

    static func fixture() throws -> URL {
        try #require(Bundle.module.url(forResource: "restaurant-import-v1", withExtension: "json", subdirectory: "Fixtures"))
    }

    static func tempDir() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("alloresto-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    static func environment(_ dir: URL, _ extra: [String: String] = [:]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment.filter { !["DATABASE_URL", "ENCRYPTION_KEY", "PORT", "HOST"].contains($0.key) }
        env["DATABASE_URL"] = "sqlite://\(dir.path)/data/alloresto.sqlite"
        return env.merging(extra) { $1 }
    }

    static func run(_ args: [String], in dir: URL, env extra: [String: String] = [:], stdin: String? = nil) throws -> Run {
        let p = Process()
        p.executableURL = try binary
        p.arguments = args
        p.currentDirectoryURL = dir
        p.environment = environment(dir, extra)
        let out = Pipe(), err = Pipe(), input = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = input
        try p.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        ChildProcess.waitForExit(p)
        return Run(status: p.terminationStatus, out: String(decoding: o, as: UTF8.self), err: String(decoding: e, as: UTF8.self))
    }

    @Test func importPrintsIdAndTokenThenUpdatesOnReimport() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = try Self.run(["import", try Self.fixture().path, "--json"], in: dir)
        #expect(first.status == 0, "\(first.err)")
        let json = try JSONSerialization.jsonObject(with: Data(first.out.utf8)) as? [String: Any]
        let id = try #require(json?["restaurantId"] as? String)
        let token = try #require(json?["agentToken"] as? String)
        #expect(token.hasPrefix("art_"))
        #expect(json?["created"] as? Bool == true)
        #expect(json?["items"] as? Int == 4)

        let second = try Self.run(["import", try Self.fixture().path], in: dir)
        #expect(second.status == 0)
        #expect(second.out.contains("Updated \"Pizzeria Bella Napoli\""))
        #expect(second.out.contains("restaurant id: \(id)"))
        #expect(second.out.contains("agent token:   unchanged"))
        #expect(!second.out.contains(token))
        // Import needs no encryption key and does not create one.
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("data/encryption.key").path))
    }

    @Test func provisionDryRunAndAVoiceServerDownNeverFailTheRestaurant() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let imported = try Self.run(["import", try Self.fixture().path, "--json"], in: dir)
        let id = try #require((try JSONSerialization.jsonObject(with: Data(imported.out.utf8)) as? [String: Any])?["restaurantId"] as? String)
        let env = ["ENCRYPTION_KEY": TestDatabases.testKeyHex, "ALLORESTO_PUBLIC_URL": "https://alloresto.example"]

        let dry = try Self.run(["provision", "--dry-run"], in: dir, env: env)
        #expect(dry.status == 0, "\(dry.err)")
        #expect(dry.out.contains("Pizzeria Bella Napoli (\(id)): dry run: nothing sent"))
        #expect(dry.out.contains("https://alloresto.example/api/ai?restaurantId=\(id)&callerPhone={{callerPhone}}&token="))
        #expect(dry.out.contains("tools → PUT /api/agents/:id/tools (12)"))
        #expect(dry.out.contains("{{BASE_URL}}/api/availability/check"))

        // Nothing listens there: one FAILED line, exit 1, and the restaurant is untouched.
        var down = env
        down["SIP_AGENT_SERVER_URL"] = "http://127.0.0.1:9"
        let failed = try Self.run(["provision"], in: dir, env: down)
        #expect(failed.status == 1)
        #expect(failed.out.contains("Pizzeria Bella Napoli (\(id)): FAILED"))
        #expect(failed.out.contains("the next run catches up"))
        // A re-import while the voice server is down still succeeds and says so.
        let again = try Self.run(["import", try Self.fixture().path], in: dir, env: down)
        #expect(again.status == 0)
        #expect(again.out.contains("Updated \"Pizzeria Bella Napoli\""))
        #expect(again.out.contains("sip-agent-server: FAILED"))
        // Without the key, import does not try.
        let plain = try Self.run(["import", try Self.fixture().path], in: dir, env: ["SIP_AGENT_SERVER_URL": "http://127.0.0.1:9"])
        #expect(plain.status == 0 && !plain.out.contains("sip-agent-server"))
    }

    @Test func invalidImportNamesTheFieldAndWritesNothing() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        var text = try String(contentsOf: Self.fixture(), encoding: .utf8)
        text = text.replacingOccurrences(of: "\"price\": 11.50", with: "\"price\": \"onze\"")
        text = text.replacingOccurrences(of: "\"close\": \"14:30\", \"open2\": \"18:00\", \"close2\": \"23:00\" },\n      \"tuesday\"", with: "\"close\": \"14:70\", \"open2\": \"18:00\", \"close2\": \"23:00\" },\n      \"tuesday\"")
        let bad = dir.appendingPathComponent("bad.json")
        try text.write(to: bad, atomically: true, encoding: .utf8)
        let r = try Self.run(["import", bad.path], in: dir)
        #expect(r.status != 0)
        #expect(r.err.contains("menu.items[1].price: must be a number, got \"onze\""))
        #expect(r.err.contains("restaurant.opening_hours.monday.close"))
        #expect(r.out.isEmpty)
        // Nothing was written: not even a database file.
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("data/alloresto.sqlite").path))
    }

    @Test func serveRefusesToStartWithoutAKeyInOneLine() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let missing = try Self.run(["serve"], in: dir)
        #expect(missing.status != 0)
        let lines = missing.err.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.contains("ENCRYPTION_KEY: required") == true)
        let bad = try Self.run(["serve"], in: dir, env: ["ENCRYPTION_KEY": "1234"])
        #expect(bad.err.split(separator: "\n").count == 1)
        #expect(bad.err.contains("ENCRYPTION_KEY: expected 64 hexadecimal characters"))
        let port = try Self.run(["serve"], in: dir, env: ["ENCRYPTION_KEY": TestDatabases.testKeyHex, "PORT": "99999"])
        #expect(port.err.contains("PORT: expected a TCP port number"))
    }

    @Test func adminCreateReadsThePasswordFromStdin() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try Self.run(["admin", "create", "--email", "chef@example.fr"], in: dir, stdin: "un mot de passe solide\n")
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.contains("Admin chef@example.fr created."))
        let short = try Self.run(["admin", "create", "--email", "x@example.fr"], in: dir, stdin: "court\n")
        #expect(short.status != 0)
        #expect(short.err.contains("password: at least 10 characters"))
    }

    /// The README's run command: `serve --demo` on a fresh folder prints a curl line that returns the configuration.
    @Test func demoServesAndItsCurlLineWorks() async throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = Int.random(in: 20_000...40_000)
        let p = Process()
        p.executableURL = try Self.binary
        p.arguments = ["serve", "--demo"]
        p.currentDirectoryURL = dir
        p.environment = Self.environment(dir, ["PORT": String(port)])
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer { p.terminate(); ChildProcess.waitForExit(p) }

        var text = ""
        let deadline = Date().addingTimeInterval(60)
        while !text.contains("curl"), Date() < deadline {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        let line = try #require(text.split(separator: "\n").first { $0.contains("curl") })
        // curl -s -H 'Authorization: Bearer TOKEN' 'URL'
        let quoted = line.split(separator: "'").map(String.init)
        let header = try #require(quoted.first { $0.hasPrefix("Authorization: Bearer ") })
        let url = try #require(quoted.first { $0.hasPrefix("http") })
        #expect(url.contains(":\(port)/api/ai?restaurantId="))
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("data/encryption.key").path))

        var request = URLRequest(url: try #require(URL(string: url)))
        request.setValue(String(header.dropFirst("Authorization: ".count)), forHTTPHeaderField: "Authorization")
        var body: Data?
        for _ in 0..<50 {
            if let (data, response) = try? await URLSession.shared.data(for: request), (response as? HTTPURLResponse)?.statusCode == 200 {
                body = data
                break
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        let json = try JSONSerialization.jsonObject(with: try #require(body)) as? [String: Any]
        #expect((json?["tools"] as? [Any])?.count == 12)
        #expect((json?["systemPrompt"] as? String)?.contains("Chez Luigi") == true)
        #expect(((json?["initialContext"] as? [String: Any])?["customer_name"] as? String) == "Jean")
    }
}
