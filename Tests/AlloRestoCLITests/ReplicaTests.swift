import AlloRestoTestSupport
import Foundation
import SipAgentServerDouble
import Testing

/// Two `alloresto serve` replicas on one PostgreSQL behind one public URL (SPEC §12), with sip-agent-server's
/// double: provisioning happens once whichever replica starts or is written to first, and a change made through
/// one replica is what the other serves at the next call.
@Suite struct ReplicaTests {
    static var postgres: Bool { TestDatabases.postgresURL != nil }

    static func start(_ dir: URL, port: Int, env: [String: String]) throws -> Process {
        let server = Process()
        server.executableURL = try CommandLineTests.binary
        server.arguments = ["serve"]
        server.currentDirectoryURL = dir
        server.environment = CommandLineTests.environment(dir, env.merging(["PORT": String(port)]) { $1 })
        FileManager.default.createFile(atPath: dir.appendingPathComponent("serve-\(port).log").path, contents: nil)
        let log = try FileHandle(forWritingTo: dir.appendingPathComponent("serve-\(port).log"))
        server.standardOutput = log
        server.standardError = log
        try server.run()
        return server
    }

    /// Waits (up to `seconds`) for `condition`, checked every 100 ms.
    static func eventually(_ seconds: Double, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return try await condition()
    }

    @Test(.enabled(if: postgres)) func twoReplicasProvisionOnceAndServeTheSameAnswers() async throws {
        let dir = try CommandLineTests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (url, drop) = try await TestDatabases.freshPostgresDatabase()
        let double = SipAgentServer(apiKey: "sas-key")
        try await double.run { sas in
            let portA = LocalServers.freePort(), portB = LocalServers.freePort()
            let a = "http://127.0.0.1:\(portA)", b = "http://127.0.0.1:\(portB)"
            let env = ["DATABASE_URL": url, "ENCRYPTION_KEY": TestDatabases.testKeyHex, "SIP_AGENT_INTERNAL_URL": sas,
                       "SIP_ACCOUNT_API_KEY": "sas-key", "ALLORESTO_PUBLIC_URL": a]
            // (Without ENCRYPTION_KEY, import does not provision: the replicas find the restaurant without an agent.)
            let imported = try CommandLineTests.run(["import", try CommandLineTests.fixture().path, "--json"], in: dir, env: ["DATABASE_URL": url])
            #expect(imported.status == 0, "\(imported.err)")
            let json = try #require(JSON.parse(Data(imported.out.utf8)))
            let id = try #require(json["restaurantId"]?.string), token = try #require(json["agentToken"]?.string)
            let keyRun = try CommandLineTests.run(["token", "management-key", "--restaurant", id], in: dir, env: ["DATABASE_URL": url])
            #expect(double.requests.isEmpty)
            let key = try #require(keyRun.out.components(separatedBy: "management key: ").last?.split(separator: " ").first.map(String.init))

            // Both replicas start at once; each catches up on restaurants without an agent.
            let serverA = try Self.start(dir, port: portA, env: env), serverB = try Self.start(dir, port: portB, env: env)
            defer {
                for s in [serverA, serverB] { s.terminate(); ChildProcess.waitForExit(s) }
            }
            let provisioned = try await Self.eventually(60) {
                guard let agent = double.agents.first, let agentId = agent["id"]?.string else { return false }
                return double.tools(of: agentId).count == 12
            }
            #expect(provisioned, "\(double.requests)")
            let agentId = try #require(double.agents.first?["id"]?.string)
            #expect(try await Self.eventually(30) { await LoadTestCommandTests.health(port: portB, within: 1) == 200 },
                    "\((try? String(contentsOf: dir.appendingPathComponent("serve-\(portB).log"), encoding: .utf8))?.suffix(3000) ?? "")")

            // A change through B reaches sip-agent-server, and A's next session configuration.
            let patched = try await CallEmulator.http("PATCH", b + "/api/restaurants", headers: ["Authorization": "Bearer \(key)"],
                                                      body: ["restaurantId": .string(id), "aiVoice": "coral"])
            #expect(patched.0 == 200, "\(patched)")
            #expect(try await Self.eventually(30) { double.agent(agentId)?["aiVoice"] == "coral" })
            let session = try await CallEmulator.http("GET", a + "/api/ai?restaurantId=\(id)&callerPhone=0612345678", headers: ["Authorization": "Bearer \(token)"])
            #expect(session.0 == 200 && session.1["voice"] == "coral")

            // A tool call through A, its result read through B.
            let left = try await CallEmulator.http("POST", a + "/api/messages", headers: ["Authorization": "Bearer \(token)"], body: [
                "restaurantId": .string(id), "content": "Rappeler pour un anniversaire", "category": "callback_request", "callerPhone": "0611111111",
            ])
            #expect(left.1["success"] == true, "\(left)")
            let messages = try await CallEmulator.http("GET", b + "/api/messages?restaurantId=\(id)", headers: ["Authorization": "Bearer \(key)"])
            #expect(messages.1.text.contains("Rappeler pour un anniversaire"), "\(messages)")

            // Provisioning done once: one account, final customer, agent, line, 12 tools; the change was one PUT.
            let writes = double.writes.map(\.description)
            #expect(writes.filter { $0 == "POST /api/accounts" }.count == 1, "\(writes)")
            #expect(writes.filter { $0 == "POST /api/final-customers" }.count == 1, "\(writes)")
            #expect(writes.filter { $0 == "POST /api/agents" }.count == 1, "\(writes)")
            #expect(writes.filter { $0 == "POST /api/agents/\(agentId)/phone-lines" }.count == 1, "\(writes)")
            #expect(writes.filter { $0 == "POST /api/agents/\(agentId)/tools" }.count == 12, "\(writes)")
            #expect(writes.filter { $0 == "PUT /api/agents/\(agentId)" }.count == 1, "\(writes)")
            #expect(double.agents.count == 1)
        }
        await drop()
    }
}
