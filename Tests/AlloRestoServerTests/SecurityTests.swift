import AlloRestoCore
import AlloRestoServer
import AlloRestoStore
import AlloRestoTestSupport
import FluentKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOConcurrencyHelpers
import NIOCore
import Testing

/// What an attacker or a confused client sends (issue 13): numbers that used to trap the process, credentials used
/// where they do not belong, cross-site writes, login floods, unreadable form values, control characters.
@Suite struct SecurityTests {
    /// An injectable clock the test moves by hand.
    final class Clock: Sendable {
        let value = NIOLockedValueBox(TestApp.fixedNow)
        var now: Date { value.withLockedValue { $0 } }
        func advance(_ seconds: TimeInterval) { value.withLockedValue { $0 = $0.addingTimeInterval(seconds) } }
    }

    static func json(_ value: JSONValue) -> ByteBuffer { ByteBuffer(bytes: JSONWriter.encoded(value)) }

    static func send(_ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ path: String, _ headers: HTTPFields, _ body: JSONValue? = nil) async throws -> TestResponse {
        var h = headers
        if body != nil { h[.contentType] = "application/json" }
        return try await client.execute(uri: path, method: method, headers: h, body: body.map(json))
    }

    /// Logs in through the form and returns the cookie `name=value`.
    static func login(_ client: any TestClientProtocol, _ app: TestApp, email: String = "ops@alloresto.test", password: String = "correct horse battery") async throws -> TestResponse {
        try await client.execute(
            uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
            body: ByteBuffer(string: "email=\(email.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&password=\(password.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&next=%2Fadmin"))
    }

    static func adminCookie(_ client: any TestClientProtocol, _ app: TestApp) async throws -> HTTPFields {
        _ = try await AdminAccounts.createOrUpdate(email: "ops@alloresto.test", password: "correct horse battery", cost: 4, on: app.database)
        let r = try await login(client, app)
        let cookie = try #require(r.headers[.setCookie]?.split(separator: ";").first.map(String.init))
        return [.cookie: cookie, .origin: "http://localhost:3000"]
    }

    static func stillServing(_ client: any TestClientProtocol, _ app: TestApp) async throws {
        let ai = try await client.execute(uri: app.aiURI(), method: .get, headers: app.bearer)
        #expect(ai.status == .ok)
    }

    // MARK: the requests that used to kill the process

    @Test func theNumbersThatTrappedAreRefusedNamingTheField() async throws {
        try await TestApp.with { app, client throws in
            let admin = try await Self.adminCookie(client, app)
            let rid = JSONValue.string(app.id)
            var counts: (Int, Int, Int) = (try await Order.query(on: app.database.db).count(), try await Offer.query(on: app.database.db).count(), try await CallRecord.query(on: app.database.db).count())
            let order: [String: JSONValue] = ["restaurantId": rid, "order_type": "pickup", "items": [["id": 1, "quantity": 1]], "caller_phone": "0612345678"]
            var cases: [(String, HTTPRequest.Method, String, HTTPFields, JSONValue, String)] = []
            // The stated total is only compared with the server's price (issue 15: a field the server does not use
            // never refuses a call): extreme ones are ignored, the order is priced and the agent told the right total.
            for (i, total) in [JSONValue.double(1e300), .int(Int.max), .string("inf"), .double(-1e300)].enumerated() {
                var o = order
                o["total"] = total
                o["call_id"] = .string("t\(i)")
                let r = try await Self.send(client, .post, "/api/ai/tools/confirm-order", app.bearer, .object(o))
                let j = try r.json()
                #expect(r.status == .ok && j["success"] == true && j["total_corrected"] == false, "total \(total): \(String(buffer: r.body))")
            }
            counts.0 += 4
            var delivery = order
            delivery["order_type"] = "delivery"
            delivery["last_availability_check"] = ["deliveryDistanceKm": -1e300, "estimatedTimeISO": "2026-11-26T13:30:00+01:00"]
            cases.append(("distance", .post, "/api/ai/tools/confirm-order", app.bearer, .object(delivery), "deliveryDistanceKm"))
            for ms in [JSONValue.double(1e300), .string("nan"), .string("NaN"), .string("-Infinity")] {
                cases.append(("durationMs \(ms)", .post, "/api/calls", app.bearer, ["restaurantId": rid, "callId": .string("c-\(ms)"), "durationMs": ms], "durationMs"))
            }
            cases.append(("slotMin", .put, "/api/planning/config", app.manager, ["restaurantId": rid, "config": ["slotMin": 1e300]], "config.slotMin"))
            cases.append(("capacity inf", .put, "/api/planning/config", app.manager, ["restaurantId": rid, "config": ["capacity": ["cuisine": "inf"]]], "config.capacity.cuisine"))
            cases.append(("offer price", .post, "/api/offers", admin, ["restaurantId": rid, "name": "Menu", "price": 1e300], "price"))
            cases.append(("prepayment", .post, "/api/dining-services", admin,
                          ["restaurantId": rid, "name": "Soir", "startTime": "19:00", "endTime": "23:00", "maxCovers": 40, "prepaymentAmount": 1e300], "prepaymentAmount"))
            for (label, method, path, headers, body, field) in cases {
                let r = try await Self.send(client, method, path, headers, body)
                #expect((400..<500).contains(Int(r.status.code)), "\(label): \(r.status.code) \(String(buffer: r.body))")
                let j = try r.json()
                #expect(j["success"] == false, "\(label)")
                if !field.isEmpty { #expect(j["field"]?.stringValue == field, "\(label): \(String(buffer: r.body))") }
                try await Self.stillServing(client, app)
            }
            // Nothing was written by the refused requests.
            let after: (Int, Int, Int) = (try await Order.query(on: app.database.db).count(), try await Offer.query(on: app.database.db).count(), try await CallRecord.query(on: app.database.db).count())
            #expect(after == counts, "\(after) \(counts)")
        }
    }

    /// Every numeric field the OpenAPI document declares, on every route, with extreme values: never a 5xx.
    @Test func numericExtremesAtEveryNumericFieldOfEveryRoute() async throws {
        try await TestApp.with { app, client throws in
            let admin = try await Self.adminCookie(client, app)
            let doc = try await client.execute(uri: "/openapi.json", method: .get).json()
            // The issue's list: ±1e308, the int64 bounds, NaN/Infinity as strings, negative zero.
            let extremes: [JSONValue] = [.double(1e308), .double(-1e308), .int(Int.max), .int(Int.min), .string("NaN"), .string("Infinity"), .string("-Infinity"), .double(-0.0)]
            var tried = 0
            for (path, item) in doc["paths"]?.objectValue ?? [:] {
                for (method, op) in item.objectValue ?? [:] {
                    guard let props = op["requestBody"]?["content"]?["application/json"]?["schema"]?["properties"]?.objectValue else { continue }
                    let numeric = props.filter { ["integer", "number"].contains($0.value["type"]?.stringValue ?? "") }.map(\.key)
                    let security = op["security"]?.arrayValue?.compactMap { $0.objectValue?.keys.first } ?? []
                    let headers = security.contains("agentToken") ? app.bearer : admin
                    for field in numeric {
                        for value in extremes {
                            var body: [String: JSONValue] = ["restaurantId": .string(app.id), field: value]
                            if path.contains("confirm-order") { body["items"] = [["id": 1, "quantity": field == "quantity" ? value : 1]]; body["order_type"] = "pickup" }
                            if path == "/api/calls" { body["callId"] = .string("x-\(tried)") }
                            let r = try await Self.send(client, HTTPRequest.Method(rawValue: method.uppercased())!, path, headers, .object(body))
                            tried += 1
                            #expect(r.status.code < 500, "\(method) \(path) \(field)=\(value): \(r.status.code) \(String(buffer: r.body))")
                        }
                    }
                }
            }
            #expect(tried > 300)
            try await Self.stillServing(client, app)
        }
    }

    // MARK: least privilege

    /// Route × credential: the agent token reaches only what the voice agent uses; a management key its own
    /// restaurant's management; an admin session everything but the agent's tools; nothing without a credential.
    @Test(arguments: TestDatabases.kinds)
    func routeByCredentialMatrix(_ kind: String) async throws {
        try await TestApp.with(kind) { app, client throws in
            let admin = try await Self.adminCookie(client, app)
            var other = RestaurantProfile(id: UUID(), name: "Voisin")
            other.country = "FR"
            try await Restaurant(profile: other).create(on: app.database.db) as Void
            let otherKey = try await ManagementKeys.create(for: other.id, label: "voisin", createdBy: nil, on: app.database.db).key
            let q = "restaurantId=\(app.id)"
            // The voice agent's routes (ToolConfigs, /api/ai, the webhook, the blocked-number check).
            let agentRoutes: [(HTTPRequest.Method, String)] = [
                (.get, "/api/ai?\(q)"), (.post, "/api/ai/tools/confirm-order"), (.post, "/api/ai/tools/cancel-order"), (.get, "/api/orders/status?\(q)&phone=0612345678"),
                (.post, "/api/availability/check"), (.post, "/api/customers"), (.post, "/api/faq"), (.post, "/api/messages"), (.post, "/api/reservations"),
                (.get, "/api/reservations/lookup?\(q)&phone=0612345678"), (.patch, "/api/reservations"), (.post, "/api/calls"), (.get, "/api/blocked-phones/check?\(q)&phone=0612345678"),
            ]
            // What a person manages: never the agent token.
            let managerRoutes: [(HTTPRequest.Method, String)] = [
                (.get, "/api/planning/config?\(q)"), (.put, "/api/planning/config"), (.get, "/api/planning/external-loads?\(q)"), (.post, "/api/planning/external-loads"),
                (.get, "/api/planning/timeline?\(q)"), (.get, "/api/planning/available-slots?\(q)"), (.get, "/api/orders?\(q)"), (.patch, "/api/orders"),
                (.get, "/api/faq?\(q)"), (.patch, "/api/faq"), (.delete, "/api/faq?\(q)&id=\(UUID())"), (.get, "/api/customers?\(q)"), (.get, "/api/messages?\(q)"),
                (.patch, "/api/messages"), (.get, "/api/reservations?\(q)"), (.get, "/api/calls?\(q)"), (.get, "/api/menu?\(q)"), (.patch, "/api/menu"),
                (.get, "/api/restaurants?\(q)"), (.patch, "/api/restaurants"), (.get, "/api/phone-lines?\(q)"), (.put, "/api/phone-lines"),
                (.get, "/api/blocked-phones?\(q)"), (.post, "/api/blocked-phones"), (.get, "/api/stats?\(q)"), (.get, "/api/offers?\(q)"), (.post, "/api/offers"),
            ]
            // Admins only (a key cannot mint keys, create restaurants or see the platform).
            let adminRoutes: [(HTTPRequest.Method, String)] = [
                (.get, "/api/management-keys?\(q)"), (.post, "/api/management-keys"), (.post, "/api/restaurants"), (.get, "/api/admin/servers"), (.get, "/api/admin/me"),
            ]
            func status(_ m: HTTPRequest.Method, _ path: String, _ headers: HTTPFields) async throws -> Int {
                let body: JSONValue? = m == .get || m == .delete ? nil : ["restaurantId": .string(app.id)]
                return Int(try await Self.send(client, m, path, headers, body).status.code)
            }
            let denied: Set<Int> = [401, 403]
            for (m, p) in agentRoutes + managerRoutes + adminRoutes {
                #expect(denied.contains(try await status(m, p, [:])), "\(m) \(p) without a credential")
                #expect(denied.contains(try await status(m, p, [.authorization: "Bearer \(otherKey)"])) || p.hasPrefix("/api/ai"), "\(m) \(p) with another restaurant's key")
            }
            for (m, p) in agentRoutes {
                #expect(!denied.contains(try await status(m, p, app.bearer)), "agent token on \(m) \(p)")
            }
            for (m, p) in managerRoutes {
                let byAgent = try await status(m, p, app.bearer)
                #expect(byAgent == 403, "agent token on \(m) \(p): \(byAgent)")
                #expect(!denied.contains(try await status(m, p, app.manager)), "management key on \(m) \(p)")
                #expect(!denied.contains(try await status(m, p, admin)), "admin session on \(m) \(p)")
            }
            for (m, p) in adminRoutes {
                #expect(denied.contains(try await status(m, p, app.bearer)), "agent token on \(m) \(p)")
                #expect(denied.contains(try await status(m, p, app.manager)), "management key on \(m) \(p)")
                #expect(!denied.contains(try await status(m, p, admin)), "admin session on \(m) \(p)")
            }
            // The agent cancels a reservation, it does not seat one; and never from the URL on a tool route.
            let seat = try await Self.send(client, .patch, "/api/reservations", app.bearer, ["restaurantId": .string(app.id), "id": .string(UUID().uuidString), "status": "seated", "callerPhone": "0612345678"])
            #expect(seat.status == .forbidden)
            #expect(try await client.execute(uri: "/api/orders/status?\(q)&phone=0612345678&token=\(app.token)", method: .get).status == .unauthorized)
            #expect(try await client.execute(uri: "/api/ai?\(q)&token=\(app.token)", method: .get).status == .ok)
        }
    }

    @Test func managementKeysAreCreatedShownOnceAndRevoked() async throws {
        try await TestApp.with { app, client throws in
            let admin = try await Self.adminCookie(client, app)
            let created = try await Self.send(client, .post, "/api/management-keys", admin, ["restaurantId": .string(app.id), "label": "caisse"])
            #expect(created.status == .created)
            let key = try #require(try created.json()["key"]?.stringValue)
            #expect(key.hasPrefix("arm_"))
            let id = try #require(try created.json()["managementKey"]?["id"]?.stringValue)
            let listed = try await Self.send(client, .get, "/api/management-keys?restaurantId=\(app.id)", admin).json()
            #expect(!String(decoding: JSONWriter.encoded(listed), as: UTF8.self).contains(key), "the list never shows the secret")
            #expect(try await Self.send(client, .get, "/api/orders?restaurantId=\(app.id)", [.authorization: "Bearer \(key)"]).status == .ok)
            // A key cannot mint keys: refused by name (403), as the agent token is.
            #expect(try await Self.send(client, .post, "/api/management-keys", [.authorization: "Bearer \(key)"], ["restaurantId": .string(app.id), "label": "x"]).status == .forbidden)
            #expect(try await Self.send(client, .delete, "/api/management-keys", admin, ["restaurantId": .string(app.id), "id": .string(id)]).status == .ok)
            #expect(try await Self.send(client, .get, "/api/orders?restaurantId=\(app.id)", [.authorization: "Bearer \(key)"]).status == .unauthorized)
        }
    }

    // MARK: back office

    @Test func crossSiteWritesAreRefusedAndPagesCarryTheHeaders() async throws {
        try await TestApp.with { app, client throws in
            var admin = try await Self.adminCookie(client, app)
            let body: JSONValue = ["restaurantId": .string(app.id), "aiVoice": "coral"]
            admin[.origin] = nil
            let noOrigin = try await Self.send(client, .patch, "/api/restaurants", admin, body)
            #expect(noOrigin.status == .forbidden)
            #expect(try noOrigin.json()["code"] == "csrf_origin")
            admin[.origin] = "https://evil.example"
            #expect(try await Self.send(client, .patch, "/api/restaurants", admin, body).status == .forbidden)
            admin[.origin] = "null"
            #expect(try await Self.send(client, .patch, "/api/restaurants", admin, body).status == .forbidden)
            // A text/plain body (what a foreign form can send) is not JSON to this API.
            admin[.origin] = "http://localhost:3000"
            let plain = try await client.execute(uri: "/api/restaurants", method: .patch, headers: admin + [.contentType: "text/plain"], body: Self.json(body))
            #expect(plain.status == .unsupportedMediaType)
            // Nor is a body that does not say what it is.
            let untyped = try await client.execute(uri: "/api/restaurants", method: .patch, headers: admin + [.contentLength: "\(Self.json(body).readableBytes)"], body: Self.json(body))
            #expect(untyped.status == .unsupportedMediaType, "\(String(buffer: untyped.body))")
            // The forms that open a session without one refuse a foreign page too (login CSRF).
            for form in ["/login", "/invite", "/password/forgot", "/password/reset"] {
                let r = try await client.execute(uri: form, method: .post, headers: [.origin: "https://evil.example", .contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: "email=a%40b.c"))
                #expect(r.status == .forbidden, "\(form): \(r.status)")
            }
            // Bodies above their limit: 413, for JSON and for forms alike (64 KiB).
            let big = String(repeating: "a", count: 70 * 1024)
            let hugeJSON = try await client.execute(uri: "/api/faq", method: .post, headers: app.bearer + [.contentType: "application/json"], body: Self.json(["restaurantId": .string(app.id), "question": .string(big)]))
            #expect(hugeJSON.status == .contentTooLarge)
            let hugeForm = try await client.execute(uri: "/password/forgot", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: "email=" + big))
            #expect(hugeForm.status == .contentTooLarge, "\(hugeForm.status)")
            // Logout from a foreign page is refused; nothing changed so far.
            var foreign = admin
            foreign[.origin] = "https://evil.example"
            #expect(try await client.execute(uri: "/logout", method: .post, headers: foreign + [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: "")).status == .forbidden)
            let still: Restaurant? = try await Restaurant.find(app.restaurantId, on: app.database.db)
            #expect(still?.aiVoice == "sage")
            // The same request from the back office itself (Origin, or a Referer without it).
            #expect(try await Self.send(client, .patch, "/api/restaurants", admin, body).status == .ok)
            admin[.origin] = nil
            admin[.referer] = "http://localhost:3000/admin/r/\(app.id)/settings"
            #expect(try await Self.send(client, .patch, "/api/restaurants", admin, ["restaurantId": .string(app.id), "aiVoice": "sage"]).status == .ok)
            // Headers on pages and APIs; no inline script in any page.
            let page = try await client.execute(uri: "/admin/r/\(app.id)/orders", method: .get, headers: admin)
            #expect(page.status == .ok)
            for r in [page, try await client.execute(uri: "/login", method: .get), try await Self.send(client, .get, app.aiURI(), app.bearer)] {
                let csp = r.headers[.contentSecurityPolicy] ?? ""
                #expect(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self';"), "\(csp)")
                #expect(r.headers[HTTPField.Name("X-Frame-Options")!] == "DENY")
                #expect(r.headers[.xContentTypeOptions] == "nosniff")
                #expect(r.headers[HTTPField.Name("Referrer-Policy")!] == "same-origin")
            }
            let html = String(buffer: page.body)
            #expect(!html.contains("<script>") && html.contains(#"<script src="/assets/orders.js">"#))
            #expect(try await client.execute(uri: "/assets/orders.js", method: .get).status == .ok)
        }
    }

    @Test func loginIsThrottledPerAccountAndTheSessionRotates() async throws {
        let clock = Clock()
        try await TestApp.with(now: { clock.now }) { app, client throws in
            _ = try await AdminAccounts.createOrUpdate(email: "ops@alloresto.test", password: "correct horse battery", cost: 4, on: app.database)
            var statuses: [Int] = []
            var retryAfter: [String] = []
            for _ in 0..<20 {
                let r = try await Self.login(client, app, password: "wrong password!")
                statuses.append(Int(r.status.code))
                if let ra = r.headers[.retryAfter] { retryAfter.append(ra) }
            }
            #expect(Array(statuses.prefix(4)) == [401, 401, 401, 401])
            #expect(statuses.dropFirst(4).allSatisfy { $0 == 429 }, "\(statuses)")
            #expect(retryAfter.first == "1")
            // The right password right after is still refused while the lock lasts…
            let locked = try await Self.login(client, app)
            #expect(locked.status == .tooManyRequests)
            #expect(locked.headers[.setCookie] == nil)
            // …and the lock grows with each failure once it has passed.
            clock.advance(1.5)
            #expect(try await Self.login(client, app, password: "still wrong!!").status == .unauthorized)
            let second = try await Self.login(client, app)
            #expect(second.status == .tooManyRequests && second.headers[.retryAfter] == "2")
            clock.advance(2.5)
            let ok = try await Self.login(client, app)
            #expect(ok.status == .seeOther)
            let cookie = try #require(ok.headers[.setCookie]?.split(separator: ";").first.map(String.init))
            // Another account is not locked by this one's failures.
            _ = try await AdminAccounts.createOrUpdate(email: "owner@alloresto.test", password: "another long one", cost: 4, on: app.database)
            #expect(try await Self.login(client, app, email: "owner@alloresto.test", password: "another long one").status == .seeOther)
            // Logging in again from that browser replaces its session: the old id no longer works.
            let again = try await client.execute(
                uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded", .cookie: cookie],
                body: ByteBuffer(string: "email=ops%40alloresto.test&password=correct%20horse%20battery"))
            #expect(again.status == .seeOther)
            let fresh = try #require(again.headers[.setCookie]?.split(separator: ";").first.map(String.init))
            #expect(fresh != cookie)
            #expect(try await client.execute(uri: "/api/admin/me", method: .get, headers: [.cookie: cookie]).status == .unauthorized)
            #expect(try await client.execute(uri: "/api/admin/me", method: .get, headers: [.cookie: fresh]).status == .ok)
        }
    }

    @Test func unreadableFormValuesAreRefusedAndNothingIsSaved() async throws {
        try await TestApp.with { app, client throws in
            let admin = try await Self.adminCookie(client, app)
            let rid = JSONValue.string(app.id)
            let found: Restaurant? = try await Restaurant.find(app.restaurantId, on: app.database.db)
            let before = try #require(found)
            for typed in [JSONValue.string("quatre"), .string(""), .string("  "), .string("4 km de rayon")] {
                let r = try await Self.send(client, .patch, "/api/restaurants", admin, ["restaurantId": rid, "deliveryRadiusKm": typed])
                #expect(r.status == .unprocessableContent, "\(typed)")
                #expect(try r.json()["field"] == "deliveryRadiusKm")
            }
            let unchanged: Restaurant? = try await Restaurant.find(app.restaurantId, on: app.database.db)
            #expect(unchanged?.deliveryRadiusKm == before.deliveryRadiusKm)
            // A French decimal is read; an explicit null is the chosen "no limit".
            #expect(try await Self.send(client, .patch, "/api/restaurants", admin, ["restaurantId": rid, "deliveryRadiusKm": "4,5"]).status == .ok)
            let changed: Restaurant? = try await Restaurant.find(app.restaurantId, on: app.database.db)
            #expect(changed?.deliveryRadiusKm == 4.5)
            #expect(try await Self.send(client, .patch, "/api/restaurants", admin, ["restaurantId": rid, "avgPrepTimeMin": .null]).status == .unprocessableContent)
            // The same rule on every management write, not only the settings: a blank party-size limit or price is
            // refused, an explicit null is "none"; and a query number that cannot be read is refused too.
            for field in ["minPartySize", "price"] {
                var body: [String: JSONValue] = ["restaurantId": rid, "name": "Menu"]
                body[field] = ""
                let blank = try await Self.send(client, .post, "/api/offers", admin, .object(body))
                #expect(blank.status == .unprocessableContent, "\(field)")
                #expect(try blank.json()["field"]?.stringValue == field)
            }
            #expect(try await Self.send(client, .post, "/api/offers", admin, ["restaurantId": rid, "name": "Menu", "minPartySize": .null]).status == .created)
            // A list is refused whole when one of its numbers cannot be read (not saved without it).
            let days = try await Self.send(client, .post, "/api/dining-services", admin, [
                "restaurantId": rid, "name": "Soir", "startTime": "19:00", "endTime": "23:00", "maxCovers": 40, "daysOfWeek": [1, 8]])
            #expect(days.status == .unprocessableContent)
            #expect(try days.json()["field"] == "daysOfWeek")
            #expect(try await Self.send(client, .get, "/api/orders?restaurantId=\(app.id)&limit=abc", app.manager).status == .unprocessableContent)
            #expect(try await Self.send(client, .get, "/api/orders?restaurantId=\(app.id)&limit=1e300", app.manager).status == .unprocessableContent)
            // A menu price in words is refused, the price kept.
            let dish: MenuItem = try #require(try await MenuItem.query(on: app.database.db).filter(\.$name == "Bruschetta").first())
            let price = dish.price
            let r = try await Self.send(client, .patch, "/api/menu", admin, ["restaurantId": rid, "id": .string(dish.id!.uuidString), "type": "item", "price": "neuf euros"])
            #expect(r.status == .unprocessableContent)
            #expect(try r.json()["field"] == "price")
            let kept: MenuItem? = try await MenuItem.find(dish.id, on: app.database.db)
            #expect(kept?.price == price)
            #expect(try await Self.send(client, .patch, "/api/menu", admin, ["restaurantId": rid, "id": .string(dish.id!.uuidString), "type": "item", "price": "9,50 €"]).status == .ok)
            let repriced: MenuItem? = try await MenuItem.find(dish.id, on: app.database.db)
            #expect(repriced?.price == 950)
        }
    }

    @Test func controlCharactersAreStrippedAtTheEdge() async throws {
        try await TestApp.with { app, client throws in
            let r = try await OrderToolTests.post(client, app, "/api/faq", ["question": "Avez-vous\u{0} du\u{7} gluten\u{1B}[31m ?\nMerci"])
            #expect(r.status == .ok)
            let faq: Faq = try #require(try await Faq.query(on: app.database.db).all().first { $0.question.contains("Merci") })
            #expect(faq.question == "Avez-vous du gluten[31m ?\nMerci")
            #expect(!faq.question.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
            // At any depth of any body, on every route: a list of payment methods from the back office.
            let admin = try await Self.adminCookie(client, app)
            let patch = try await Self.send(client, .patch, "/api/restaurants", admin, ["restaurantId": .string(app.id), "paymentMethods": ["cash\u{0}", "ca\u{1B}rd"]])
            #expect(patch.status == .ok)
            #expect(try patch.json()["restaurant"]?["paymentMethods"] == ["cash", "card"])
        }
    }

    /// A client that sends its request head a byte at a time is cut off after the header timeout; the server
    /// keeps answering others.
    @Test func aSlowHeaderIsCutOff() async throws {
        try await TestApp.live(configure: { $0.edge.headerTimeoutSeconds = 1 }) { app, base in
            let port = try #require(URL(string: base)?.port)
            let closed = try await SlowClient.trickle(port: port, bytes: Array("GET /health HTTP/1.1\r\nHost: x\r\n".utf8), every: 0.3, giveUpAfter: 15)
            #expect(closed, "the server kept a connection whose head never ended")
            #expect(try await LiveHTTP.call(.GET, base + "/health").0 == 200)
        }
    }
}

/// A raw TCP client that writes a request slowly and reports whether the server closed the connection first.
enum SlowClient {
    static func trickle(port: Int, bytes: [UInt8], every interval: TimeInterval, giveUpAfter limit: TimeInterval) async throws -> Bool {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                guard let fd = LocalServers.connect(port: port) else { continuation.resume(throwing: POSIXError(.ECONNREFUSED)); return }
                defer { close(fd) }
                signal(SIGPIPE, SIG_IGN)
                let start = Date()
                var i = 0
                while Date().timeIntervalSince(start) < limit {
                    if i < bytes.count {
                        var b = bytes[i]
                        if send(fd, &b, 1, Int32(MSG_NOSIGNAL)) < 0 { continuation.resume(returning: true); return }
                        i += 1
                    }
                    // Wait for the next byte's turn, or for the server to close (poll: readable with 0 bytes).
                    var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                    if poll(&p, 1, Int32(interval * 1000)) > 0 {
                        var buf = [UInt8](repeating: 0, count: 512)
                        if recv(fd, &buf, buf.count, 0) <= 0 { continuation.resume(returning: true); return }
                    }
                }
                continuation.resume(returning: false)
            }
        }
    }
}

extension HTTPFields {
    static func + (lhs: HTTPFields, rhs: HTTPFields) -> HTTPFields {
        var out = lhs
        for f in rhs { out[f.name] = f.value }
        return out
    }
}

/// A database with every connection busy is an overload, not a fault: the request is refused with 503 `busy` and
/// `Retry-After`, nothing is half-written, and the same request succeeds once a connection is free.
@Suite struct OverloadTests {
    @Test func aPoolTimeoutIs503WithRetryAfterAndLosesNothing() async throws {
        let database = try await AlloRestoDatabase.open(.sqliteMemory, poolWaitLimit: .milliseconds(200))
        let services = try AppServices(configuration: TestApp.configuration(), database: database, now: { TestApp.fixedNow })
        let demo = try await DemoRestaurant.load(on: database.db, cipher: services.cipher, now: TestApp.fixedNow)
        let token = try #require(demo.agentToken)
        let application = try await buildApplication(services: services)
        let message: JSONValue = ["restaurantId": .string(demo.restaurantId.uuidString.lowercased()), "content": "Rappeler pour le gâteau", "callerPhone": "0611223344"]
        try await application.test(.router) { client in
            // The single SQLite connection held by a transaction until `release`.
            let (release, released) = AsyncStream.makeStream(of: Void.self)
            let (held, holding) = AsyncStream.makeStream(of: Void.self)
            let holder = Task {
                try await database.db.transaction { _ in
                    holding.yield()
                    for await _ in release { break }
                }
            }
            for await _ in held { break }
            let refused = try await client.execute(uri: "/api/messages", method: .post, headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
                                                   body: ByteBuffer(bytes: JSONWriter.encoded(message)))
            #expect(refused.status == .serviceUnavailable && refused.headers[.retryAfter] == "2")
            #expect(try refused.json()["code"] == "busy" && refused.json()["success"] == false)
            released.yield()
            released.finish()
            try await holder.value
            let saved = try await client.execute(uri: "/api/messages", method: .post, headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
                                                 body: ByteBuffer(bytes: JSONWriter.encoded(message)))
            #expect(saved.status == .created || saved.status == .ok, "\(String(buffer: saved.body))")
            let count = try await Message.query(on: database.db).count()
            #expect(count == 1, "the refused one left nothing behind")
        }
        await database.close()
    }
}
