import AlloRestoCore
import AlloRestoServer
import AlloRestoStore
import AlloRestoTestSupport
import FluentKit
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import SipAgentServerDouble
import Testing

/// The back office's APIs: admin only, validated with the field named, and every change visible in the next call's
/// `/api/ai` (the demo restaurant, Chez Luigi).
@Suite struct ManagementTests {
    static func admin(_ client: any TestClientProtocol, _ app: TestApp) async throws -> String {
        _ = try await AdminAccounts.createOrUpdate(email: "owner@chezluigi.test", password: "correct horse battery", cost: 4, on: app.database)
        let login = try await client.execute(
            uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
            body: ByteBuffer(string: "email=owner%40chezluigi.test&password=correct%20horse%20battery&next=%2Fadmin"))
        let set = try #require(login.headers[.setCookie])
        return String(set.split(separator: ";")[0])
    }

    static func send(_ client: any TestClientProtocol, _ app: TestApp, _ cookie: String?, _ method: HTTPRequest.Method, _ path: String, _ body: JSONValue = [:], token: String? = nil) async throws -> TestResponse {
        var fields = body.objectValue ?? [:]
        if fields["restaurantId"] == nil { fields["restaurantId"] = .string(app.id) }
        var headers: HTTPFields = [.contentType: "application/json"]
        if let cookie { headers[.cookie] = cookie; headers[.origin] = "http://localhost:3000" }
        if let token { headers[.authorization] = "Bearer \(token)" }
        let uri = method == .get ? path + (path.contains("?") ? "&" : "?") + "restaurantId=\(fields["restaurantId"]!.stringValue!)" : path
        return try await client.execute(uri: uri, method: method, headers: headers, body: method == .get ? nil : ByteBuffer(bytes: JSONWriter.encoded(JSONValue.object(fields))))
    }

    static func ai(_ client: any TestClientProtocol, _ app: TestApp, phone: String? = nil) async throws -> JSONValue {
        try await client.execute(uri: app.aiURI(phone: phone), method: .get, headers: app.bearer).json()
    }

    /// "Plus de commandes ce soir" and exceptional closures: set from the back office (the pause by staff too),
    /// said by the agent in the next call, and kept by availability (it is Thursday 26 November, 13:05 in Paris).
    @Test func orderPauseAndExceptionalClosures() async throws {
        try await TestApp.with { app, client throws in
            let cookie = try await Self.admin(client, app)
            func check(_ extra: [String: JSONValue] = [:]) async throws -> JSONValue {
                let body = JSONValue.object(["restaurantId": .string(app.id), "mode": "pickup", "itemCount": 2].merging(extra) { $1 })
                return try await client.execute(uri: "/api/availability/check", method: .post, headers: app.bearer + [.contentType: "application/json"],
                                                body: ByteBuffer(bytes: JSONWriter.encoded(body))).json()
            }
            #expect(try await check()["available"] == true)
            // Staff running the service switch it alone (and nothing else).
            try await RoleMatrixTests.account("serveur@luigi.test", role: .staff, of: app.restaurantId, on: app.database)
            let login = try await client.execute(uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                                 body: ByteBuffer(string: "email=serveur%40luigi.test&password=un%20mot%20de%20passe%20solide&next=%2Fadmin"))
            let staff = String(try #require(login.headers[.setCookie]).split(separator: ";")[0])
            #expect(try await Self.send(client, app, staff, .patch, "/api/restaurants", ["ordersPaused": true, "aiVoice": "coral"]).status == .forbidden)
            let paused = try await Self.send(client, app, staff, .patch, "/api/restaurants", ["ordersPaused": true])
            #expect(paused.status == .ok)
            // Thursday closes at 23:00: orders stop until midnight.
            #expect(try paused.json()["restaurant"]?["ordersPausedUntil"] == "2026-11-26T23:00:00Z")
            let refused = try await check()
            #expect(refused["available"] == false && refused["reason"] == "orders_paused")
            #expect(refused["message"] == "Le restaurant ne prend plus de commandes pour aujourd'hui. Les commandes reprennent demain à 11h30.")
            let prompt = try await Self.ai(client, app)["systemPrompt"]?.stringValue ?? ""
            #expect(prompt.contains("Le restaurant ne prend plus de commandes pour aujourd'hui"))
            // An order for tomorrow is still taken.
            #expect(try await check(["requestedDate": "2026-11-27", "requestedTime": "12:30"])["available"] == true)
            #expect(try await Self.send(client, app, staff, .patch, "/api/restaurants", ["ordersPaused": false]).status == .ok)
            #expect(try await check()["available"] == true)

            // Closed Friday and Saturday for works: the agent says so, and Friday lunch is refused with the next opening.
            let bad = try await Self.send(client, app, cookie, .patch, "/api/restaurants", ["closures": [["from": "2026-13-01"]]])
            #expect(try bad.status == .unprocessableContent && bad.json()["field"] == "closures[0].from")
            let backwards = try await Self.send(client, app, cookie, .patch, "/api/restaurants", ["closures": [["from": "2026-11-28", "to": "2026-11-27"]]])
            #expect(try backwards.json()["field"] == "closures[0].to")
            #expect(try await Self.send(client, app, staff, .patch, "/api/restaurants", ["closures": [["from": "2026-11-27"]]]).status == .forbidden)
            let closed = try await Self.send(client, app, cookie, .patch, "/api/restaurants", [
                "closures": [["from": "2026-11-27", "to": "2026-11-28", "reason": "travaux"], ["from": "2026-01-01", "reason": "passée"]],
            ])
            #expect(closed.status == .ok)
            #expect(try closed.json()["restaurant"]?["closures"] == [["from": "2026-11-27", "to": "2026-11-28", "reason": "travaux"]])
            let withClosure = try await Self.ai(client, app)["systemPrompt"]?.stringValue ?? ""
            #expect(withClosure.contains("Fermeture(s) exceptionnelle(s) à venir : du vendredi 27 novembre au samedi 28 novembre (travaux)."))
            let friday = try await check(["requestedDate": "2026-11-27", "requestedTime": "12:30"])
            #expect(friday["available"] == false && friday["reason"] == "closed", "\(friday)")
            #expect(friday["nextAvailableTimeISO"]?.stringValue?.hasPrefix("2026-11-2") == true)
            #expect(try await Self.send(client, app, cookie, .patch, "/api/restaurants", ["closures": .null]).status == .ok)
            #expect(try await check(["requestedDate": "2026-11-27", "requestedTime": "12:30"])["available"] == true)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func settingsAreValidatedAndReachTheNextCall(_ kind: String) async throws {
        try await TestApp.with(kind) { app, client throws in
            let cookie = try await Self.admin(client, app)
            // The agent token is not enough to change a restaurant.
            let byAgent = try await Self.send(client, app, nil, .patch, "/api/restaurants", ["aiVoice": "coral"], token: app.token)
            #expect(byAgent.status == .forbidden)
            #expect(try byAgent.json()["code"] == "agent_token_not_allowed")
            #expect(try await Self.send(client, app, nil, .get, "/api/restaurants").status == .unauthorized)

            let before = try await Self.ai(client, app)
            #expect(before["voice"] == "sage")
            let patch = try await Self.send(client, app, cookie, .patch, "/api/restaurants", [
                "aiVoice": "Coral", "welcomeMessage": "Bienvenue chez Luigi, la meilleure pizza du quartier !", "avgPrepTimeMin": "25",
                "deliveryFee": "3,50", "transferEnabled": true, "transferPhoneNumber": "01 42 00 00 00", "aiInstructions": "Proposez toujours le tiramisu.",
                "openingHours": ["monday": ["open": "11:00", "close": "15:00"], "tuesday": .null, "wednesday": ["open": "18:00", "close": "01:00"]],
            ])
            #expect(patch.status == .ok)
            let saved = try patch.json()
            #expect(saved["restaurant"]?["aiVoice"] == "coral" && saved["restaurant"]?["deliveryFee"] == 3.5)
            #expect(saved["restaurant"]?["transferPhoneNumber"] == "+33142000000")
            #expect(saved["changed"]?.arrayValue?.contains("aiVoice") == true)

            let after = try await Self.ai(client, app)
            #expect(after["voice"] == "coral")
            #expect(after["greeting"]?.stringValue?.contains("la meilleure pizza du quartier") == true)
            #expect(after["initialContext"]?["avg_prep_time_min"] == 25)
            #expect(after["initialContext"]?["transfer_phone"] == "+33142000000")
            let prompt = try #require(after["systemPrompt"]?.stringValue)
            #expect(prompt.contains("Proposez toujours le tiramisu."))
            #expect(prompt.contains("3,50"))
            #expect(after["tools"]?.arrayValue?.contains { $0["name"] == "transfer_call" } == true)

            // Refusals name the field; nothing is saved.
            for (body, needle): (JSONValue, String) in [
                (["aiVoice": "robot"], "aiVoice"), (["timezone": "Mars/Olympus"], "timezone"), (["colour": "red"], "colour"),
                (["deliveryFee": -2], "deliveryFee"), (["openingHours": ["monday": ["open": "25:00", "close": "14:00"]]], "openingHours.monday.open"),
                (["planningConfig": ["slotMin": 7]], "planningConfig.slotMin"), (["name": ""], "name"),
            ] {
                let r = try await Self.send(client, app, cookie, .patch, "/api/restaurants", body)
                #expect(r.status == .unprocessableContent, "\(body)")
                #expect(try r.json()["error"]?.stringValue?.contains(needle) == true, "\(body) → \(String(buffer: r.body))")
            }
            #expect(try await Self.ai(client, app)["voice"] == "coral")
            // Turning the transfer on without a number is refused.
            let noNumber = try await Self.send(client, app, cookie, .patch, "/api/restaurants", ["transferPhoneNumber": .null])
            #expect(try noNumber.json()["code"] == "transfer_phone_required")
        }
    }

    /// The names of the items the next call can order (`itemMap`, the menu section of the prompt).
    static func orderable(_ client: any TestClientProtocol, _ app: TestApp) async throws -> Set<String> {
        Set(try await ai(client, app)["itemMap"]?.objectValue?.values.compactMap { $0["name"]?.stringValue } ?? [])
    }

    @Test(arguments: TestDatabases.kinds)
    func menuChangesReachTheNextPrompt(_ kind: String) async throws {
        try await TestApp.with(kind) { app, client throws in
            let cookie = try await Self.admin(client, app)
            let menu = try await Self.send(client, app, cookie, .get, "/api/menu").json()
            let items = try #require(menu["items"]?.arrayValue)
            let tiramisu = try #require(items.first { $0["name"] == "Tiramisu della casa" })
            let pizzas = try #require(menu["categories"]?.arrayValue?.first { $0["name"] == "Pizzas" })
            #expect(try await Self.orderable(client, app).contains("Tiramisu della casa"))

            // Unavailable tonight: gone from the next prompt; a new price shows.
            let off = try await Self.send(client, app, cookie, .patch, "/api/menu", ["id": tiramisu["id"]!, "isAvailable": false])
            #expect(off.status == .ok)
            #expect(try off.json()["item"]?["isAvailable"] == false)
            #expect(try await !Self.orderable(client, app).contains("Tiramisu della casa"))
            let added = try await Self.send(client, app, cookie, .post, "/api/menu", [
                "type": "item", "name": "Pizza Burrata", "price": "16.90", "categoryId": pizzas["id"]!,
                "options": [["name": "Taille", "required": true, "type": "single_choice", "choices": [["label": "Normale"], ["label": "Grande", "price_modifier": 3]]]],
            ])
            #expect(added.status == .created)
            let burrata = try added.json()["item"]
            #expect(burrata?["price"] == 16.9)
            #expect(burrata?["options"]?.arrayValue?.first?["choices"]?.arrayValue?.last?["price_modifier"] == 3)
            let prompt = try #require(try await Self.ai(client, app)["systemPrompt"]?.stringValue)
            #expect(prompt.contains("Pizza Burrata") && prompt.contains("16,90"))

            // Bad options name their field; a category id of another restaurant is refused.
            let bad = try await Self.send(client, app, cookie, .post, "/api/menu", [
                "type": "item", "name": "Menu midi", "price": 12, "categoryId": .null,
                "options": [["name": "Plat", "source": "category", "category_ref": .string(UUID().uuidString)]],
            ])
            #expect(bad.status == .unprocessableContent)
            #expect(try bad.json()["error"]?.stringValue?.contains("options[0].category_ref") == true)
            let foreign = try await Self.send(client, app, cookie, .patch, "/api/menu", ["id": tiramisu["id"]!, "categoryId": .string(UUID().uuidString)])
            #expect(foreign.status == .unprocessableContent)

            // A deleted item leaves past orders intact.
            let placed = try await OrderToolTests.post(client, app, "/api/ai/tools/confirm-order", ["order_type": "pickup", "items": [["id": 1, "quantity": 1]], "call_id": "before-delete"]).json()
            #expect(placed["success"] == true)
            let ordered: Order? = try await Order.query(on: app.database.db).filter(\.$callId == "before-delete").with(\.$items).first()
            let orderedId = try #require(ordered?.items.first?.menuItemId?.uuidString.lowercased())
            let first = try #require(items.first { $0["id"] == .string(orderedId) })
            #expect(try await Self.send(client, app, cookie, .delete, "/api/menu", ["id": first["id"]!]).status == .ok)
            let kept: Order? = try await Order.query(on: app.database.db).filter(\.$callId == "before-delete").with(\.$items).first()
            #expect(kept?.items.first?.name == first["name"]?.stringValue)
            #expect(try await !Self.orderable(client, app).contains(first["name"]!.stringValue!))
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func thePhoneLinePasswordIsEncryptedAndOnlyGivenToTheCall(_ kind: String) async throws {
        try await TestApp.with(kind) { app, client throws in
            let cookie = try await Self.admin(client, app)
            let put = try await Self.send(client, app, cookie, .put, "/api/phone-lines", ["sipDomain": "sip.ovh.fr", "sipUsername": "0033972101010", "sipPassword": "s3cret-OVH-pass"])
            #expect(put.status == .ok)
            #expect(!String(buffer: put.body).contains("s3cret-OVH-pass"))
            let got = try await Self.send(client, app, cookie, .get, "/api/phone-lines")
            #expect(!String(buffer: got.body).contains("s3cret"))
            #expect(try got.json()["phoneLine"] == ["id": (try got.json())["phoneLine"]!["id"]!, "sipDomain": "sip.ovh.fr", "sipUsername": "0033972101010", "hasPassword": true, "isActive": true])
            let stored: PhoneLine? = try await PhoneLine.query(on: app.database.db).filter(\.$restaurant.$id == app.restaurantId).first()
            let row = try #require(stored)
            #expect(row.sipPassword != "s3cret-OVH-pass" && LineSecretCipher.looksEncrypted(row.sipPassword))
            // The call gets it, decrypted.
            let session = try await Self.ai(client, app)
            #expect(session["sipCredentials"] == ["domain": "sip.ovh.fr", "username": "0033972101010", "password": "s3cret-OVH-pass", "source": "client"])
            // Omitting the password keeps it.
            _ = try await Self.send(client, app, cookie, .put, "/api/phone-lines", ["sipUsername": "0033972101011"])
            #expect(try await Self.ai(client, app)["sipCredentials"]?["password"] == "s3cret-OVH-pass")
            let badDomain = try await Self.send(client, app, cookie, .put, "/api/phone-lines", ["sipDomain": "sip ovh fr"])
            #expect(badDomain.status == .unprocessableContent)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func blockedPhonesAndTheCheckInAnyNumberForm(_ kind: String) async throws {
        try await TestApp.with(kind) { app, client throws in
            let cookie = try await Self.admin(client, app)
            let blocked = try await Self.send(client, app, cookie, .post, "/api/blocked-phones", ["phone": "06 11 22 33 44", "reason": "canulars"])
            #expect(blocked.status == .created)
            let id = try #require(try blocked.json()["blockedPhone"]?["id"])
            // The voice server checks with the agent token, in whatever form the trunk gives the number.
            for form in ["+33611223344", "0033611223344", "0611223344"] {
                let check = try await client.execute(uri: "/api/blocked-phones/check?restaurantId=\(app.id)&phone=\(form)", method: .get, headers: app.bearer).json()
                #expect(check["blocked"] == true && check["reason"] == "canulars")
            }
            let other = try await client.execute(uri: "/api/blocked-phones/check?restaurantId=\(app.id)&phone=0699999999", method: .get, headers: app.bearer).json()
            #expect(other["blocked"] == false)
            #expect(try await Self.send(client, app, cookie, .delete, "/api/blocked-phones", ["id": id]).status == .ok)
            let after = try await client.execute(uri: "/api/blocked-phones/check?restaurantId=\(app.id)&phone=0611223344", method: .get, headers: app.bearer).json()
            #expect(after["blocked"] == false)
            #expect(try await Self.send(client, app, cookie, .post, "/api/blocked-phones", ["phone": "pas un numéro"]).status == .unprocessableContent)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func servicesOffersRoomsAndTables(_ kind: String) async throws {
        try await TestApp.with(kind) { app, client throws in
            let cookie = try await Self.admin(client, app)
            let service = try await Self.send(client, app, cookie, .post, "/api/dining-services", [
                "name": "Brunch", "daysOfWeek": [7], "startTime": "11:00", "endTime": "15:00", "maxCovers": 30,
            ])
            #expect(service.status == .created)
            let sid = try #require(try service.json()["diningService"]?["id"])
            #expect(try await Self.send(client, app, cookie, .patch, "/api/dining-services", ["id": sid, "maxCovers": 40]).json()["diningService"]?["maxCovers"] == 40)
            #expect(try await Self.send(client, app, cookie, .post, "/api/dining-services", ["name": "X", "startTime": "25:00", "endTime": "15:00", "maxCovers": 3]).status == .unprocessableContent)
            let services = try await Self.send(client, app, cookie, .get, "/api/dining-services").json()
            #expect(services["diningServices"]?.arrayValue?.contains { $0["name"] == "Brunch" && $0["daysOfWeek"] == [7] } == true)

            let offer = try await Self.send(client, app, cookie, .post, "/api/offers", ["name": "Menu groupe", "kind": "menu", "price": 29, "minPartySize": 8])
            #expect(offer.status == .created)
            // Services and offers are what the agent proposes when booking: the next call has them.
            let prompt = try #require(try await Self.ai(client, app)["systemPrompt"]?.stringValue)
            #expect(prompt.contains("Brunch") && prompt.contains("Menu groupe"))
            let oid = try #require(try offer.json()["offer"]?["id"])
            #expect(try await Self.send(client, app, cookie, .patch, "/api/offers", ["id": oid, "isActive": false]).status == .ok)
            #expect(try await Self.ai(client, app)["systemPrompt"]?.stringValue?.contains("Menu groupe") == false)
            #expect(try await Self.send(client, app, cookie, .post, "/api/offers", ["name": "X", "minPartySize": 8, "maxPartySize": 2]).status == .unprocessableContent)

            let room = try await Self.send(client, app, cookie, .post, "/api/rooms", ["name": "Terrasse"]).json()
            let rid = try #require(room["room"]?["id"])
            let table = try await Self.send(client, app, cookie, .post, "/api/tables", ["label": "T1", "seats": 4, "roomId": rid]).json()
            #expect(table["table"]?["roomId"] == rid)
            #expect(try await Self.send(client, app, cookie, .post, "/api/tables", ["label": "T2", "seats": 4, "roomId": .string(UUID().uuidString)]).status == .unprocessableContent)
            #expect(try await Self.send(client, app, cookie, .delete, "/api/rooms", ["id": rid]).status == .ok)
            let tables = try await Self.send(client, app, cookie, .get, "/api/tables").json()
            #expect(tables["tables"]?.arrayValue?.first { $0["label"] == "T1" }?["roomId"] == .null)
            #expect(try await Self.send(client, app, cookie, .delete, "/api/tables", ["id": .string(UUID().uuidString)]).status == .notFound)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func theDaysFigures(_ kind: String) async throws {
        try await TestApp.with(kind) { app, client throws in
            let cookie = try await Self.admin(client, app)
            let empty = try await Self.send(client, app, cookie, .get, "/api/stats").json()
            #expect(empty["date"] == "2026-11-26" && empty["orders"] == 0)
            let a = try await OrderToolTests.post(client, app, "/api/ai/tools/confirm-order", ["order_type": "pickup", "items": [["id": 1, "quantity": 2]], "call_id": "s1", "caller_phone": "0611110001"]).json()
            let b = try await OrderToolTests.post(client, app, "/api/ai/tools/confirm-order", ["order_type": "pickup", "items": [["id": 1, "quantity": 1]], "call_id": "s2", "caller_phone": "0611110002"]).json()
            _ = try await OrderToolTests.post(client, app, "/api/ai/tools/cancel-order", ["order_number": b["order_number"]!, "caller_phone": "0611110002"])
            let stats = try await Self.send(client, app, cookie, .get, "/api/stats").json()
            #expect(stats["orders"] == 1 && stats["cancelledOrders"] == 1)
            #expect(stats["revenue"] == a["total"])
            // Orders are placed at the fixed test clock, 13:05 Paris.
            #expect(stats["hourly"]?.arrayValue?.first { $0["hour"] == 13 }?["orders"] == 1)
            #expect(try await Self.send(client, app, cookie, .get, "/api/stats?date=2026-13-01").status == .unprocessableContent)
        }
    }

    @Test func aVoiceChangeReprovisionsTheAgent() async throws {
        let double = SipAgentServer()
        try await double.run { sas in
            try await TestApp.live(configure: { $0.sipAgentServerURL = sas; $0.sipAgentServerConfigured = true }) { app, base in
                _ = await SipAgentIntegrationTests.provisioner(app, sipAgentServer: sas, publicURL: base).provision(app.restaurantId)
                #expect(double.agents.first?["aiVoice"] == "sage")
                _ = try await AdminAccounts.createOrUpdate(email: "ops@alloresto.test", password: "correct horse battery", cost: 4, on: app.database)
                let cookie = try await Browser.login(base: base, email: "ops@alloresto.test", password: "correct horse battery")
                let r = try await LiveHTTP.call(.PATCH, base + "/api/restaurants", headers: ["Cookie": cookie, "Content-Type": "application/json", "Origin": base],
                                                   body: ["restaurantId": .string(app.id), "aiVoice": "verse"])
                #expect(r.0 == 200)
                // Provisioning runs in the background; the write did not wait for it.
                let deadline = ContinuousClock.now + .seconds(20)
                while double.agents.first?["aiVoice"] != "verse", ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
                #expect(double.agents.first?["aiVoice"] == "verse")
                // A change the agent does not hold (a price threshold) sends nothing (once the run above is over).
                var count = double.requests.count
                while true {
                    try await Task.sleep(for: .milliseconds(500))
                    if double.requests.count == count { break }
                    count = double.requests.count
                }
                _ = try await LiveHTTP.call(.PATCH, base + "/api/restaurants", headers: ["Cookie": cookie, "Content-Type": "application/json"],
                                               body: ["restaurantId": .string(app.id), "minOrderAmount": 20])
                try await Task.sleep(for: .milliseconds(300))
                #expect(double.requests.count == count)
            }
        }
    }
}
