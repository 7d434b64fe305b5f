import AlloRestoCore
import AlloRestoServer
import AlloRestoStore
import AlloRestoTestSupport
import AsyncHTTPClient
import Foundation
import NIOCore
import Testing

/// Headless Chromium (Debian `chromium`) driven over the DevTools protocol by `Tests/Browser/cdp_pages.py`.
/// Screenshots are kept in `.build/test-artifacts/browser/`. Skipped outside CI when Chromium is not installed;
/// in CI (`CI` set) a missing browser is a failure.
enum Browser {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Browser/cdp_pages.py").path
    static let artifacts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(".build/test-artifacts/browser").path

    static var installed: Bool {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].contains { FileManager.default.isExecutableFile(atPath: $0) }
    }
    static var enabled: Bool { installed || ProcessInfo.processInfo.environment["CI"] != nil }

    /// Logs in through the real form and returns the session cookie `name=value`.
    static func login(base: String, email: String, password: String) async throws -> String {
        var request = HTTPClientRequest(url: base + "/login")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        let form = "email=\(email.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&password=\(password)&next=%2Fadmin"
        request.body = .bytes(ByteBuffer(string: form))
        let client = HTTPClient(configuration: .init(redirectConfiguration: .disallow))
        let answer = try? await client.execute(request, timeout: .seconds(10))
        try await client.shutdown()
        guard let response = answer else { throw CallEmulator.Failure(description: "login request failed") }
        guard let setCookie = response.headers["Set-Cookie"].first, let pair = setCookie.split(separator: ";").first else {
            throw CallEmulator.Failure(description: "login gave no cookie (HTTP \(response.status.code))")
        }
        return String(pair)
    }

    /// What a person sees on each page: `path → {text, title, url, labelsMissing}`.
    static func visit(base: String, cookie: String?, paths: [String], wait: Int = 2500, tag: String) async throws -> JSONValue {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        var args = ["python3", script, "--base", base, "--out", artifacts + "/" + tag, "--wait", String(wait)]
        if let cookie { args += ["--cookie", cookie] }
        process.arguments = args + paths
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = await Task.detached { out.fileHandleForReading.readDataToEndOfFile() }.value
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw CallEmulator.Failure(description: "browser failed (\(process.terminationStatus)): \(message.suffix(2000))")
        }
        return try JSONReader.parse(Array(data))
    }
}

@Suite(.serialized) struct BrowserTests {
    @Test(.enabled(if: Browser.enabled)) func adminServersPageWithTheVoiceServerUpAndDown() async throws {
        let double = SipAgentServerDouble(apiKey: "sas-key")
        double.state.withLock { $0.workers = [["id": "w-1", "name": "worker-paris-1", "state": "busy", "currentCall": "CA7781"], ["id": "w-2", "name": "worker-paris-2", "state": "idle"]] }
        try await double.run { sas in
            try await TestApp.live(configure: { $0.sipAgentServerURL = sas; $0.sipAgentServerAPIKey = "sas-key" }) { app, base in
                _ = await SipAgentIntegrationTests.provisioner(app, sipAgentServer: sas, publicURL: base).provision(app.restaurantId)
                _ = try await AdminAccounts.createOrUpdate(email: "ops@alloresto.test", password: "correct horse battery", cost: 4, on: app.database.db)
                let cookie = try await Browser.login(base: base, email: "ops@alloresto.test", password: "correct horse battery")

                let up = try await Browser.visit(base: base, cookie: cookie, paths: ["/admin/servers"], tag: "servers-up")
                let page = try #require(up["/admin/servers"])
                let text = try #require(page["text"]?.stringValue)
                #expect(page["title"] == "Serveurs vocaux — AlloResto")
                #expect(text.contains("worker-paris-1") && text.contains("busy") && text.contains("CA7781"))
                #expect(text.contains("worker-paris-2") && text.contains("idle"))
                #expect(text.contains("AlloResto — Chez Luigi") && text.contains("sip"))
                #expect(!text.contains("injoignable"))
                #expect(page["labelsMissing"] == 0)

                // The voice server fails: a banner, empty tables, and the page keeps working.
                double.set(.failing)
                let down = try await Browser.visit(base: base, cookie: cookie, paths: ["/admin/servers"], tag: "servers-down")
                let downText = try #require(down["/admin/servers"]?["text"]?.stringValue)
                #expect(downText.contains("Le serveur vocal (sip-agent-server) est injoignable"))
                #expect(!downText.contains("worker-paris-1"))
                double.set(.up)

                // Without a session: the login page, not the data.
                let anonymous = try await Browser.visit(base: base, cookie: nil, paths: ["/admin/servers"], wait: 1000, tag: "servers-anonymous")
                #expect(anonymous["/admin/servers"]?["url"] == "/login")
            }
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func adminServersAPIOnlineOfflineAndAdminOnly(_ kind: String) async throws {
        let double = SipAgentServerDouble()
        double.state.withLock { $0.workers = [["id": "w-1", "name": "worker-1", "state": "idle"]] }
        try await double.run { sas in
            try await TestApp.live(kind, configure: { $0.sipAgentServerURL = sas }) { app, base in
                _ = try await AdminAccounts.createOrUpdate(email: "ops@alloresto.test", password: "correct horse battery", cost: 4, on: app.database.db)
                let cookie = try await Browser.login(base: base, email: "ops@alloresto.test", password: "correct horse battery")
                let online = try await CallEmulator.http(.GET, base + "/api/admin/servers", headers: ["Cookie": cookie])
                #expect(online.0 == 200 && online.1["serverOnline"] == true)
                #expect(online.1["workers"]?.arrayValue?.first?["name"] == "worker-1")
                // The agent token is not an admin session.
                #expect(try await CallEmulator.http(.GET, base + "/api/admin/servers", headers: ["Authorization": "Bearer \(app.token)"]).0 == 401)
            }
            // sip-agent-server down: offline, empty lists, never an error.
            try await TestApp.live(kind, configure: { $0.sipAgentServerURL = "http://127.0.0.1:9" }) { app, base in
                _ = try await AdminAccounts.createOrUpdate(email: "ops@alloresto.test", password: "correct horse battery", cost: 4, on: app.database.db)
                let cookie = try await Browser.login(base: base, email: "ops@alloresto.test", password: "correct horse battery")
                let offline = try await CallEmulator.http(.GET, base + "/api/admin/servers", headers: ["Cookie": cookie])
                #expect(offline.0 == 200)
                #expect(offline.1["serverOnline"] == false && offline.1["workers"] == [] && offline.1["agents"] == [])
            }
        }
    }
}
