import AlloRestoCore
import AlloRestoServer
import AlloRestoStore
import AlloRestoTestSupport
import AsyncHTTPClient
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import Testing

/// A real SMTP server for the tests: Python's `aiosmtpd` (PyPI) storing what it receives in a Maildir.
struct SMTPSink {
    let process: Process
    let port: Int
    let maildir: URL

    static var available: Bool {
        ProcessInfo.processInfo.environment["CI"] != nil
            || (try? Process.run(URL(fileURLWithPath: "/usr/bin/env"), arguments: ["python3", "-c", "import aiosmtpd"]).waitUntilExitReturning()) == 0
    }

    /// Starts one; with `cert`/`key`, it offers STARTTLS (and requires it).
    static func start(cert: String? = nil, key: String? = nil) async throws -> SMTPSink {
        let port = LocalServers.freePort()
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("maildir-\(UUID().uuidString)")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        var args = ["python3", "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:\(port)", "-c", "aiosmtpd.handlers.Mailbox"]
        if let cert, let key { args += ["--tlscert", cert, "--tlskey", key] }
        p.arguments = args + [dir.path]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        for _ in 0..<200 where !LocalServers.accepts(port: port) { try await Task.sleep(for: .milliseconds(50)) }
        return SMTPSink(process: p, port: port, maildir: dir)
    }

    func stop() {
        // aiosmtpd's CLI does not stop on SIGTERM.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: maildir)
    }

    /// The messages received so far, decoded (headers and the text body), oldest first.
    /// The order a message arrived in, from its Maildir name (`<seconds>.M<µs>P<pid>Q<counter>.<host>`, Python's):
    /// the microseconds are not zero-padded, so the names do not sort; the delivery counter does.
    static func arrival(_ name: String) -> (Int, Int) {
        let seconds = Int(name.prefix { $0.isNumber }) ?? 0
        let counter = name.range(of: "Q").map { Int(name[$0.upperBound...].prefix { $0.isNumber }) ?? 0 } ?? 0
        return (seconds, counter)
    }

    func messages() -> [(to: String, subject: String, text: String)] {
        let new = maildir.appendingPathComponent("new")
        let files = ((try? FileManager.default.contentsOfDirectory(at: new, includingPropertiesForKeys: [.creationDateKey])) ?? [])
            .sorted { Self.arrival($0.lastPathComponent) < Self.arrival($1.lastPathComponent) }
        return files.compactMap { file in
            guard let raw = try? String(contentsOf: file, encoding: .utf8) else { return nil }
            let parts = raw.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n\n")
            let head = parts.first ?? ""
            func header(_ name: String) -> String {
                head.split(separator: "\n").first { $0.lowercased().hasPrefix(name.lowercased() + ":") }.map { String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces) } ?? ""
            }
            var subject = header("Subject")
            if subject.hasPrefix("=?UTF-8?B?"), subject.hasSuffix("?="), let d = Data(base64Encoded: String(subject.dropFirst(10).dropLast(2))) {
                subject = String(decoding: d, as: UTF8.self)
            }
            let body = parts.dropFirst().joined(separator: "\n\n")
            let text = Data(base64Encoded: body.filter { !$0.isWhitespace }).map { String(decoding: $0, as: UTF8.self) } ?? body
            return (header("To"), subject, text)
        }
    }

    /// Waits for the `count`-th message (5 s at most).
    func awaitMessages(_ count: Int) async -> [(to: String, subject: String, text: String)] {
        for _ in 0..<100 {
            let m = messages()
            if m.count >= count { return m }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return messages()
    }
}

extension Process {
    func waitUntilExitReturning() -> Int32 {
        waitUntilExit()
        return terminationStatus
    }
}

/// Accounts by e-mail, through a real SMTP server: invitations, password reset, sessions, the audit log.
@Suite(.serialized) struct AccountTests {
    /// The path of the link in a mail (`…/invite/acl_…` or `…/password/reset/acl_…`).
    static func link(in text: String, _ marker: String) -> String? {
        guard let range = text.range(of: marker) else { return nil }
        let tail = text[range.lowerBound...]
        return String(tail.prefix { !$0.isWhitespace })
    }

    static func form(_ method: HTTPMethod, _ url: String, _ fields: [String: String], cookie: String? = nil) async throws -> (Int, String?, String) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let cookie { request.headers.add(name: "Cookie", value: cookie) }
        if method == .POST, let u = URL(string: url), let scheme = u.scheme, let host = u.host {
            // What a browser sends with a form of the page's own origin.
            request.headers.add(name: "Origin", value: "\(scheme)://\(host)" + (u.port.map { ":\($0)" } ?? ""))
        }
        if method == .POST {
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            let body = fields.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let client = HTTPClient(configuration: .init(redirectConfiguration: .disallow))
        defer { _ = client.shutdown() }
        let response = try await client.execute(request, timeout: .seconds(20))
        let text = String(buffer: try await response.body.collect(upTo: 4 << 20))
        let cookie = response.headers["Set-Cookie"].first.flatMap { $0.split(separator: ";").first.map(String.init) }
        return (Int(response.status.code), cookie ?? response.headers["Location"].first, text)
    }

    /// A platform admin invites an owner (mailed), who sets a password from the link and lands on their
    /// restaurant only; the owner invites a staff member, who can move an order but not open the settings; the
    /// link works once; the staff member's password is reset by mail (every session ends, the old password stops
    /// working); an expired link is refused; the audit log has each change.
    @Test(.enabled(if: SMTPSink.available)) func invitationsAndResetsByMail() async throws {
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        let clock = NIOLockedValueBox(TestApp.fixedNow)
        try await TestApp.live(now: { clock.withLockedValue { $0 } }, configure: {
            $0.bcryptCost = 4
            $0.smtp = try? SMTPSettings.parse("smtp://127.0.0.1:\(sink.port)?tls=none&from=AlloResto%20%3Cno-reply@alloresto.test%3E")
        }) { app, base in
            _ = try await AdminAccounts.createOrUpdate(email: "ops@alloresto.test", password: "un mot de passe solide", cost: 4, on: app.database)
            let admin = try await Browser.login(base: base, email: "ops@alloresto.test", password: "un mot de passe solide")
            let invited = try await LiveHTTP.call(.POST, base + "/api/members", headers: ["Cookie": admin, "Origin": base],
                                                  body: ["restaurantId": .string(app.id), "email": "Patron@Luigi.test", "role": "owner"])
            #expect(invited.0 == 201 && invited.1["mailed"] == true && invited.1["link"] == nil, "\(invited)")
            let first = await sink.awaitMessages(1)
            #expect(first.first?.to.contains("patron@luigi.test") == true && first.first?.subject == "Invitation AlloResto")
            let invitePath = try #require(Self.link(in: first.first?.text ?? "", "/invite/"))
            let page = try await Self.form(.GET, base + invitePath, [:])
            #expect(page.0 == 200 && page.2.contains("Chez Luigi") && page.2.contains("propriétaire"))
            let weak = try await Self.form(.POST, base + "/invite", ["token": String(invitePath.dropFirst(8)), "password": "court", "password2": "court"])
            #expect(weak.0 == 422 && weak.2.contains("10 caractères"))
            let accepted = try await Self.form(.POST, base + "/invite", ["token": String(invitePath.dropFirst(8)), "password": "le mot de passe du patron", "password2": "le mot de passe du patron"])
            #expect(accepted.0 == 303)
            let owner = try #require(accepted.1)
            let again = try await Self.form(.POST, base + "/invite", ["token": String(invitePath.dropFirst(8)), "password": "un autre mot de passe", "password2": "un autre mot de passe"])
            #expect(again.0 == 404 && again.2.contains("déjà servi"), "single use")
            let home = try await Self.form(.GET, base + "/admin", [:], cookie: owner)
            #expect(home.0 == 303 && home.1 == "/admin/r/\(app.id)")

            // The owner invites staff.
            #expect(try await LiveHTTP.call(.POST, base + "/api/members", headers: ["Cookie": owner, "Origin": base],
                                            body: ["restaurantId": .string(app.id), "email": "chef@luigi.test", "role": "owner"]).0 == 403, "owners invite staff only")
            let staffInvite = try await LiveHTTP.call(.POST, base + "/api/members", headers: ["Cookie": owner, "Origin": base],
                                                      body: ["restaurantId": .string(app.id), "email": "serveur@luigi.test", "role": "staff"])
            #expect(staffInvite.0 == 201)
            let second = await sink.awaitMessages(2)
            let staffPath = try #require(Self.link(in: second.last?.text ?? "", "/invite/"))
            let joined = try await Self.form(.POST, base + "/invite", ["token": String(staffPath.dropFirst(8)), "password": "le mot de passe du serveur", "password2": "le mot de passe du serveur"])
            let staff = try #require(joined.1)
            #expect(try await Self.form(.GET, base + "/admin/r/\(app.id)/settings", [:], cookie: staff).0 == 403)
            #expect(try await Self.form(.GET, base + "/admin/r/\(app.id)/orders", [:], cookie: staff).0 == 200)
            let members = try await LiveHTTP.call(.GET, base + "/api/members?restaurantId=\(app.id)", headers: ["Cookie": owner])
            #expect(members.1["members"]?.arrayValue?.compactMap { $0["email"]?.stringValue } == ["patron@luigi.test", "serveur@luigi.test"])

            // A reset by mail: the staff member's sessions end, the new password works, the old one does not.
            let forgot = try await Self.form(.POST, base + "/password/forgot", ["email": "serveur@luigi.test"])
            #expect(forgot.0 == 200 && forgot.2.contains("Si un compte existe"))
            let unknown = try await Self.form(.POST, base + "/password/forgot", ["email": "personne@luigi.test"])
            #expect(unknown.2 == forgot.2, "the same answer whether the account exists or not")
            let third = await sink.awaitMessages(3)
            #expect(third.count == 3, "no mail for an unknown address")
            let resetPath = try #require(Self.link(in: third.last?.text ?? "", "/password/reset/"))
            let done = try await Self.form(.POST, base + "/password/reset", ["token": String(resetPath.dropFirst(16)), "password": "un nouveau mot de passe", "password2": "un nouveau mot de passe"])
            #expect(done.0 == 303 && done.1 == "/login?reset=1")
            #expect(try await Self.form(.GET, base + "/admin/r/\(app.id)/orders", [:], cookie: staff).0 == 303, "the old session ended")
            await #expect(throws: (any Error).self) { _ = try await Browser.login(base: base, email: "serveur@luigi.test", password: "le mot de passe du serveur") }
            _ = try await Browser.login(base: base, email: "serveur@luigi.test", password: "un nouveau mot de passe")

            // A reset link older than an hour is refused.
            _ = try await Self.form(.POST, base + "/password/forgot", ["email": "patron@luigi.test"])
            let fourth = await sink.awaitMessages(4)
            let late = try #require(Self.link(in: fourth.last?.text ?? "", "/password/reset/"))
            clock.withLockedValue { $0 += 3601 }
            let expired = try await Self.form(.POST, base + "/password/reset", ["token": String(late.dropFirst(16)), "password": "trop tard pour ça", "password2": "trop tard pour ça"])
            #expect(expired.0 == 404 && expired.2.contains("expiré"))

            // An invitation sent to an existing account (the platform admin's, by an owner) does not open it: the
            // link asks for that account's own password, and a link alone gives no session.
            #expect(try await LiveHTTP.call(.POST, base + "/api/members", headers: ["Cookie": owner, "Origin": base],
                                            body: ["restaurantId": .string(app.id), "email": "serveur@luigi.test", "role": "staff"]).0 == 409, "already a member")
            let trap = try await LiveHTTP.call(.POST, base + "/api/members", headers: ["Cookie": owner, "Origin": base],
                                               body: ["restaurantId": .string(app.id), "email": "ops@alloresto.test", "role": "staff"])
            #expect(trap.0 == 201)
            let trapMail = await sink.awaitMessages(5)
            let trapPath = try #require(Self.link(in: trapMail.last?.text ?? "", "/invite/"))
            let noPassword = try await Self.form(.POST, base + "/invite", ["token": String(trapPath.dropFirst(8)), "password": "pris par le patron", "password2": "pris par le patron"])
            #expect(noPassword.0 == 422 && noPassword.1 == nil, "no session without the account's password")
            let wrong = try await Self.form(.POST, base + "/invite", ["token": String(trapPath.dropFirst(8)), "current": "pas le bon"])
            #expect(wrong.0 == 401 && wrong.1 == nil)
            _ = try await Browser.login(base: base, email: "ops@alloresto.test", password: "un mot de passe solide")

            let audit = try await LiveHTTP.call(.GET, base + "/api/audit?restaurantId=\(app.id)", headers: ["Cookie": owner])
            let actions = audit.1["entries"]?.arrayValue?.compactMap { $0["action"]?.stringValue } ?? []
            #expect(actions.filter { $0 == "member.invite" }.count == 3 && actions.filter { $0 == "member.join" }.count == 2, "\(actions)")
        }
    }

    /// STARTTLS (RFC 3207) with the server's certificate checked against a private CA file (`?ca=`): the mail
    /// arrives; the same server without the CA is refused (no mail, the invitation answers 502, nothing half-done).
    /// An account made by the command line (unverified) proves its address from "Mon compte": a mailed link,
    /// single use; the form needs the session's token.
    @Test(.enabled(if: SMTPSink.available)) func anAccountVerifiesItsAddressByMail() async throws {
        let sink = try await SMTPSink.start()
        defer { sink.stop() }
        try await TestApp.live(configure: {
            $0.bcryptCost = 4
            $0.smtp = try? SMTPSettings.parse("smtp://127.0.0.1:\(sink.port)?tls=none&from=no-reply@alloresto.test")
        }) { app, base in
            _ = try await AdminAccounts.createOrUpdate(email: "chef@luigi.test", password: "un mot de passe solide", cost: 4, on: app.database)
            #expect(try await Accounts.account(email: "chef@luigi.test", on: app.database.db)?.emailVerifiedAt == nil)
            let cookie = try await Browser.login(base: base, email: "chef@luigi.test", password: "un mot de passe solide")
            let page = try await Self.form(.GET, base + "/admin/account", [:], cookie: cookie)
            #expect(page.0 == 200 && page.2.contains("Adresse non vérifiée"))
            let marker = try #require(page.2.range(of: #"name="_csrf" value=""#))
            let csrf = String(page.2[marker.upperBound...].prefix(32))
            #expect(try await Self.form(.POST, base + "/admin/account/verify", ["_csrf": "forged"], cookie: cookie).0 == 403)
            let sent = try await Self.form(.POST, base + "/admin/account/verify", ["_csrf": csrf], cookie: cookie)
            #expect(sent.0 == 303 && sent.1 == "/admin/account?sent=1")
            let mail = try #require(await sink.awaitMessages(1).last)
            #expect(mail.to.contains("chef@luigi.test") && mail.subject == "Vérifiez votre adresse AlloResto")
            let path = try #require(Self.link(in: mail.text, "/verify/"))
            let done = try await Self.form(.GET, base + path, [:])
            #expect(done.0 == 200 && done.2.contains("est vérifiée"))
            #expect(try await Accounts.account(email: "chef@luigi.test", on: app.database.db)?.emailVerifiedAt != nil)
            #expect(try await Self.form(.GET, base + path, [:]).0 == 404, "single use")
            #expect(try await Self.form(.GET, base + "/admin/account", [:], cookie: cookie).2.contains("(adresse vérifiée)"))
        }
    }

    @Test(.enabled(if: SMTPSink.available)) func mailGoesOverSTARTTLSWithTheCertificateChecked() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("smtp-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let cert = dir.appendingPathComponent("cert.pem").path, key = dir.appendingPathComponent("key.pem").path
        let made = try await ChildProcess.run("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
        ])
        #expect(made.status == 0)
        let sink = try await SMTPSink.start(cert: cert, key: key)
        defer { sink.stop() }
        let trusted = SMTPMailer(settings: try SMTPSettings.parse("smtp+starttls://localhost:\(sink.port)?ca=\(cert)"))
        try await trusted.send(MailMessage(to: "patron@luigi.test", subject: "Essai chiffré", text: "Bonjour, ça passe en TLS."))
        let got = await sink.awaitMessages(1)
        #expect(got.first?.subject == "Essai chiffré" && got.first?.text.contains("ça passe en TLS") == true)
        let untrusted = SMTPMailer(settings: try SMTPSettings.parse("smtp+starttls://localhost:\(sink.port)"))
        await #expect(throws: (any Error).self) { try await untrusted.send(MailMessage(to: "x@luigi.test", subject: "non", text: "non")) }
        #expect(sink.messages().count == 1)
    }

    /// `SMTP_URL` is read strictly: schemes, default ports, the sender; anything else is refused with a reason.
    @Test func smtpSettingsAreParsed() throws {
        let plain = try SMTPSettings.parse("smtp://mail.example.com")
        #expect(plain.port == 25 && plain.security == .starttls && plain.from == "AlloResto <no-reply@mail.example.com>", "TLS unless told otherwise")
        #expect(try SMTPSettings.parse("smtp://127.0.0.1:2525?tls=none").security == .plaintext)
        #expect(throws: MailError.self) { try SMTPSettings.parse("smtps://mail.example.com?tls=none") }
        let submission = try SMTPSettings.parse("smtp+starttls://user%40x:p%40ss@mail.example.com?from=Chez%20Luigi%20%3Cresa@luigi.fr%3E")
        #expect(submission.port == 587 && submission.username == "user@x" && submission.password == "p@ss" && submission.from == "Chez Luigi <resa@luigi.fr>")
        #expect(try SMTPSettings.parse("smtps://u:50%25off@mail.example.com").password == "50%off", "decoded once")
        #expect(try SMTPSettings.parse("smtps://mail.example.com").port == 465)
        #expect(throws: MailError.self) { try SMTPSettings.parse("http://mail.example.com") }
        #expect(throws: MailError.self) { try SMTPSettings.parse("smtp://") }
    }
}
