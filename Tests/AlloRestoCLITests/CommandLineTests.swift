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
        #expect(dry.out.contains("=https://alloresto.example/api/ai?restaurantId={{config.restaurantId}}&callerPhone={{callerPhone}}&token=<secret>"))
        #expect(dry.out.contains("tools → POST /api/agents/:id/tools ×12"))
        #expect(dry.out.contains("={{BASE_URL}}/api/availability/check"))
        #expect(dry.out.contains("\"transportType\":\"sip_bridge\""))
        #expect(!dry.out.contains("art_"))

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
        // A port checked free and below the ephemeral range (a random one could be an outgoing connection's).
        let port = LocalServers.freePort()
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
        // The curl line is printed before the server listens: wait (30 s at most, on a loaded machine) for its answer.
        var body: Data?
        for _ in 0..<150 {
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

/// `alloresto load-test` stopped half-way (Ctrl-C) leaves the restaurant as it found it and says what it did.
@Suite struct LoadTestCommandTests {
    struct Failure: Error, CustomStringConvertible { let description: String }

    /// `alloresto serve --demo` on `port`, and what it printed up to its curl line (it is then listening soon).
    static func serveDemo(in dir: URL, port: Int, env: [String: String] = [:]) throws -> (Process, String) {
        let (server, text, _) = try Self.launch(["serve", "--demo"], in: dir, env: env.merging(["PORT": String(port)]) { $1 }, until: "curl")
        return (server, text)
    }

    /// Starts the built binary with `args` and reads its standard output until `marker` appears (or it ends);
    /// returns the process, what it printed so far and the rest of its output to read.
    static func launch(_ args: [String], in dir: URL, env: [String: String] = [:], until marker: String) throws -> (Process, String, FileHandle) {
        let process = Process()
        process.executableURL = try CommandLineTests.binary
        process.arguments = args
        process.currentDirectoryURL = dir
        process.environment = CommandLineTests.environment(dir, env)
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var text = ""
        while !text.contains(marker) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
        }
        return (process, text, out.fileHandleForReading)
    }

    /// `GET /health` of the server on `port`: its status, or nil when no answer came in `seconds`.
    static func health(port: Int, within seconds: Double) async -> Int? {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/health")!)
        request.timeoutInterval = seconds
        request.setValue("close", forHTTPHeaderField: "Connection")  // no kept-alive connection to reuse past the cap
        guard let (_, response) = try? await URLSession.shared.data(for: request) else { return nil }
        return (response as? HTTPURLResponse)?.statusCode
    }

    /// Beyond `HTTP_MAX_CONNECTIONS`, a new connection is not served until an open one closes: it waits in the
    /// listen backlog instead of costing memory. (The built binary: Hummingbird's test server drops the cap.)
    @Test func connectionsBeyondTheCapWaitForOneToClose() async throws {
        let dir = try CommandLineTests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = LocalServers.freePort()
        let (server, _) = try Self.serveDemo(in: dir, port: port, env: ["HTTP_MAX_CONNECTIONS": "2", "HTTP_HEADER_TIMEOUT_SEC": "60"])
        defer { server.terminate(); ChildProcess.waitForExit(server) }
        // Every probe is a raw connection of its own, read to its end (a client's connection pool could reuse an
        // accepted connection and pass the cap).
        var ready: Int?
        for _ in 0..<100 where ready == nil {  // readiness: its first answer (it prints the curl line before listening)
            ready = LocalServers.httpStatus(port: port, within: 1)
            if ready == nil { try await Task.sleep(for: .milliseconds(200)) }
        }
        #expect(ready == 200)
        // Two connections, each accepted for sure (answered once, then idle); connections arriving in one burst
        // are accepted together, so the cap can only be observed for a connection that comes after.
        let idle = [try #require(LocalServers.answeredConnection(port: port)), try #require(LocalServers.answeredConnection(port: port))]
        // A third client gets no answer while the two idle connections hold the cap…
        #expect(LocalServers.httpStatus(port: port, within: 2) == nil, "a connection beyond the cap was served")
        // …and is served once one of them goes away.
        close(idle[0])
        #expect(LocalServers.httpStatus(port: port, within: 10) == 200)
        close(idle[1])
    }

    @Test func ctrlCRestoresTheKitchenPlanningAndReports() async throws {
        let dir = try CommandLineTests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = LocalServers.freePort()
        let (server, text) = try Self.serveDemo(in: dir, port: port)
        defer { server.terminate(); ChildProcess.waitForExit(server) }
        let line = try #require(text.split(separator: "\n").first { $0.contains("curl") })
        let token = try #require(line.split(separator: "'").map(String.init).first { $0.hasPrefix("Authorization: Bearer ") }).dropFirst("Authorization: Bearer ".count)
        let url = try #require(line.split(separator: "'").map(String.init).first { $0.hasPrefix("http") })
        let restaurant = try #require(URLComponents(string: url)?.queryItems?.first { $0.name == "restaurantId" }?.value)
        let base = "http://127.0.0.1:\(port)"
        let keyRun = try CommandLineTests.run(["token", "management-key", "--restaurant", restaurant, "--label", "load test"], in: dir)
        #expect(keyRun.status == 0, "\(keyRun.err)")
        let key = try #require(keyRun.out.split(separator: " ").first { $0.hasPrefix("arm_") }.map(String.init))

        func override() async throws -> Any? {
            var request = URLRequest(url: try #require(URL(string: "\(base)/api/planning/config?restaurantId=\(restaurant)")))
            request.setValue("Bearer \(key)", forHTTPHeaderField: "Authorization")
            for _ in 0..<50 {  // the server may still be starting: its readiness is the answer itself
                if let (data, response) = try? await URLSession.shared.data(for: request), (response as? HTTPURLResponse)?.statusCode == 200 {
                    return (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["override"]
                }
                try await Task.sleep(for: .milliseconds(200))
            }
            throw Failure(description: "planning config never answered")
        }
        #expect(try await override() is NSNull)

        // Stopped once it has changed the planning and started ordering (it says so).
        var (load, said, loadOut) = try Self.launch(["load-test", "--base-url", base, "--restaurant", restaurant, "--token", String(token), "--management-key", key,
                                                     "--concurrency", "2", "--orders", "100000", "--rate", "20"], in: dir, until: "orders ask for")
        #expect(said.contains("kitchen capacity set to 100000"))
        let during = try await override() as? [String: Any]
        #expect((during?["capacity"] as? [String: Any])?["cuisine"] as? Int == 100_000)
        kill(load.processIdentifier, SIGINT)
        let status = await ChildProcess.exit(of: load)
        said += String(decoding: loadOut.readDataToEndOfFile(), as: UTF8.self)
        #expect(status == 130, "\(said)")
        #expect(said.contains("kitchen planning restored"), "\(said)")
        #expect(said.contains("INTERRUPTED") && said.contains("orders:") && said.contains("latency ms:"), "\(said)")
        #expect(try await override() is NSNull, "the restaurant's planning is back to what it was")
    }
}
