import AlloRestoServer
import AlloRestoStore
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite struct AdminAuthTests {
    static let password = "correct horse battery"

    func form(_ fields: [String: String]) -> ByteBuffer {
        ByteBuffer(string: fields.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0.value)" }.joined(separator: "&"))
    }

    func sessionCookie(_ r: TestResponse) -> String? {
        guard let set = r.headers[.setCookie], set.hasPrefix("\(AdminAccounts.cookieName)=") else { return nil }
        return String(set.split(separator: ";")[0])
    }

    @Test func loginSessionGuardAndLogout() async throws {
        try await TestApp.with { app, client in
            #expect(try await AdminAccounts.createOrUpdate(email: "Owner@Example.com", password: Self.password, cost: 4, on: app.database))

            // Pages redirect to login; APIs answer 401 JSON.
            let page = try await client.execute(uri: "/admin", method: .get)
            #expect(page.status == .seeOther)
            #expect(page.headers[.location] == "/login?next=/admin")
            let api = try await client.execute(uri: "/api/admin/me", method: .get)
            #expect(api.status == .unauthorized)
            #expect(try api.json()["code"] == "admin_login_required")

            let loginPage = try await client.execute(uri: "/login?next=/admin", method: .get)
            #expect(loginPage.status == .ok)
            let html = String(buffer: loginPage.body)
            #expect(html.contains("<label for=\"email\">"))
            #expect(html.contains("lang=\"fr\""))

            let headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            let wrong = try await client.execute(uri: "/login", method: .post, headers: headers, body: form(["email": "owner@example.com", "password": "nope", "next": "/admin"]))
            #expect(wrong.status == .unauthorized)
            #expect(String(buffer: wrong.body).contains("E-mail ou mot de passe incorrect."))
            #expect(sessionCookie(wrong) == nil)
            let unknown = try await client.execute(uri: "/login", method: .post, headers: headers, body: form(["email": "who@example.com", "password": Self.password]))
            #expect(unknown.status == .unauthorized)

            let ok = try await client.execute(uri: "/login", method: .post, headers: headers, body: form(["email": "owner@example.com", "password": Self.password, "next": "/admin"]))
            #expect(ok.status == .seeOther)
            #expect(ok.headers[.location] == "/admin")
            let cookie = try #require(sessionCookie(ok))
            #expect(ok.headers[.setCookie]?.contains("HttpOnly") == true)

            let me = try await client.execute(uri: "/api/admin/me", method: .get, headers: [.cookie: cookie])
            #expect(me.status == .ok)
            #expect(try me.json()["email"] == "owner@example.com")
            let home = try await client.execute(uri: "/admin", method: .get, headers: [.cookie: cookie])
            #expect(home.status == .ok)
            #expect(String(buffer: home.body).contains("Chez Luigi"))

            // A forged cookie is refused.
            #expect(try await client.execute(uri: "/api/admin/me", method: .get, headers: [.cookie: "\(AdminAccounts.cookieName)=ses_forged"]).status == .unauthorized)

            // The agent token is not an admin credential: refused by name (403).
            #expect(try await client.execute(uri: "/api/admin/me", method: .get, headers: app.bearer).status == .forbidden)

            // Logging out is a form: it needs the session's token and the server's own origin.
            let homePage = String(buffer: home.body)
            let marker = try #require(homePage.range(of: #"name="_csrf" value=""#))
            let csrf = String(homePage[marker.upperBound...].prefix(32))
            #expect(csrf.count == 32 && csrf.allSatisfy(\.isHexDigit))
            #expect(try await client.execute(uri: "/logout", method: .post, headers: [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: "_csrf=\(csrf)")).status == .forbidden)
            #expect(try await client.execute(uri: "/logout", method: .post, headers: [.cookie: cookie, .origin: "http://localhost:3000", .contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: "_csrf=wrong")).status == .forbidden)
            let out = try await client.execute(uri: "/logout", method: .post, headers: [.cookie: cookie, .origin: "http://localhost:3000", .contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: "_csrf=\(csrf)"))
            #expect(out.status == .seeOther)
            #expect(try await client.execute(uri: "/api/admin/me", method: .get, headers: [.cookie: cookie]).status == .unauthorized)
        }
    }

    /// A logged-in account changes its own password: the current one is asked (a wrong one refused and counted),
    /// the form token is checked, this session stays and every other one ends; the old password stops working.
    @Test func aSignedInAccountChangesItsPassword() async throws {
        try await TestApp.with { app, client in
            #expect(try await AdminAccounts.createOrUpdate(email: "owner@example.com", password: Self.password, cost: 4, on: app.database))
            func login(_ password: String) async throws -> String? {
                let r = try await client.execute(uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                                 body: ByteBuffer(string: "email=owner%40example.com&password=\(password.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&next=%2Fadmin"))
                return r.headers[.setCookie]?.split(separator: ";").first.map(String.init)
            }
            let here = try #require(try await login(Self.password)), elsewhere = try #require(try await login(Self.password))
            let page = try await client.execute(uri: "/admin/account", method: .get, headers: [.cookie: here])
            #expect(page.status == .ok && String(buffer: page.body).contains("owner@example.com"))
            let html = String(buffer: page.body)
            let marker = try #require(html.range(of: #"name="_csrf" value=""#))
            let csrf = String(html[marker.upperBound...].prefix(32))
            func change(_ fields: String, csrf token: String = csrf) async throws -> TestResponse {
                try await client.execute(uri: "/admin/account/password", method: .post,
                                         headers: [.cookie: here, .origin: "http://localhost:3000", .contentType: "application/x-www-form-urlencoded"],
                                         body: ByteBuffer(string: "_csrf=\(token)&" + fields))
            }
            let wrong = try await change("current=pas-le-bon&password=un-nouveau-secret&password2=un-nouveau-secret")
            #expect(wrong.status == .unprocessableContent && String(buffer: wrong.body).contains("Le mot de passe actuel n"))
            #expect(try await change("current=\(Self.password.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&password=court&password2=court").status == .unprocessableContent)
            #expect(try await change("current=x&password=un-nouveau-secret&password2=un-nouveau-secret", csrf: "forged").status == .forbidden)
            let done = try await change("current=\(Self.password.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&password=un-nouveau-secret&password2=un-nouveau-secret")
            #expect(done.status == .seeOther && done.headers[.location] == "/admin/account?changed=1")
            #expect(try await client.execute(uri: "/api/admin/me", method: .get, headers: [.cookie: here]).status == .ok, "this session stays")
            #expect(try await client.execute(uri: "/api/admin/me", method: .get, headers: [.cookie: elsewhere]).status == .unauthorized, "the other one ended")
            #expect(try await login(Self.password) == nil)
            #expect(try await login("un-nouveau-secret") != nil)
        }
    }

    @Test func sessionsExpire() async throws {
        let clock = MutableClock(TestApp.fixedNow)
        try await TestApp.with(now: { clock.now }) { app, client in
            _ = try await AdminAccounts.createOrUpdate(email: "a@b.fr", password: Self.password, cost: 4, on: app.database)
            let ok = try await client.execute(uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: form(["email": "a@b.fr", "password": Self.password]))
            let cookie = try #require(sessionCookie(ok))
            #expect(try await client.execute(uri: "/api/admin/me", method: .get, headers: [.cookie: cookie]).status == .ok)
            clock.advance(AdminAccounts.sessionLifetime + 1)
            #expect(try await client.execute(uri: "/api/admin/me", method: .get, headers: [.cookie: cookie]).status == .unauthorized)
        }
    }

    @Test func noOpenRedirectAfterLogin() async throws {
        try await TestApp.with { app, client in
            _ = try await AdminAccounts.createOrUpdate(email: "a@b.fr", password: Self.password, cost: 4, on: app.database)
            for evil in ["https://evil.example", "//evil.example", "/\\evil.example"] {
                let r = try await client.execute(uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: form(["email": "a@b.fr", "password": Self.password, "next": evil]))
                #expect(r.headers[.location] == "/admin")
            }
        }
    }

    @Test func accountValidation() async throws {
        try await TestApp.with { app, _ in
            await #expect(throws: StoreError.self) { try await AdminAccounts.createOrUpdate(email: "nope", password: Self.password, cost: 4, on: app.database) }
            await #expect(throws: StoreError.self) { try await AdminAccounts.createOrUpdate(email: "a@b.fr", password: "short", cost: 4, on: app.database) }
            #expect(try await AdminAccounts.createOrUpdate(email: "a@b.fr", password: Self.password, cost: 4, on: app.database))
            #expect(try await !AdminAccounts.createOrUpdate(email: "A@B.FR", password: Self.password + "2", cost: 4, on: app.database))
            let users: [AdminUser] = try await AdminUser.query(on: app.database.db).all()
            #expect(users.count == 1)
            #expect(users[0].passwordHash.hasPrefix("$2"))
            #expect(!users[0].passwordHash.contains(Self.password))
        }
    }
}

/// A clock tests move by hand.
final class MutableClock: Sendable {
    private let value: Mutex<Date>
    init(_ start: Date) { value = Mutex(start) }
    var now: Date { value.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { value.withLock { $0.addTimeInterval(seconds) } }
}

import Synchronization
