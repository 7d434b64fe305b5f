import AlloRestoCore
import AlloRestoServer
import AlloRestoStore
import AlloRestoTestSupport
import FluentKit
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@Suite struct RestaurantSideTests {
    typealias T = OrderToolTests

    static func send(_ client: any TestClientProtocol, _ app: TestApp, _ method: HTTPRequest.Method, _ path: String, _ body: JSONValue, headers: HTTPFields? = nil) async throws -> TestResponse {
        var fields = body.objectValue ?? [:]
        if fields["restaurantId"] == nil { fields["restaurantId"] = .string(app.id) }
        return try await client.execute(uri: path, method: method, headers: headers ?? app.manager, body: ByteBuffer(bytes: try JSONEncoder().encode(JSONValue.object(fields))))
    }

    @Test(arguments: TestDatabases.kinds)
    func saveCustomerUpsertsByNormalizedPhone(_ kind: String) async throws {
        try await TestApp.with(kind) { app, client throws in
            let first = try await T.post(client, app, "/api/customers", ["phone": "07 88 77 66 55", "firstName": " Amélie ", "deliveryAddress": "3 rue des Lilas", "deliveryCity": "Paris", "deliveryPostalCode": "75011", "deliveryLat": "48.86", "deliveryLng": 2.38]).json()
            #expect(first["success"] == true)
            #expect(first["firstName"] == "Amélie")
            let id = try #require(first["id"]?.stringValue)
            #expect(first["customer"]?["phone"] == "+33788776655")
            // Same person, another form of the number, only a note: same id, address kept.
            let second = try await T.post(client, app, "/api/customers", ["phone": "+33788776655", "deliveryNotes": "interphone 12"]).json()
            #expect(second["id"] == .string(id))
            #expect(second["customer"]?["deliveryAddress"] == "3 rue des Lilas")
            #expect(second["customer"]?["deliveryNotes"] == "interphone 12")
            #expect(try await Customer.query(on: app.database.db).filter(\.$phone == "+33788776655").count() == 1)
            // The next call recognizes her.
            let ai = try await client.execute(uri: app.aiURI(phone: "0788776655"), method: .get, headers: app.bearer).json()
            #expect(ai["initialContext"]?["customer_name"] == "Amélie")
            #expect(ai["initialContext"]?["customer_delivery_lat"] == .double(48.86))

            #expect(try await T.post(client, app, "/api/customers", ["firstName": "X"]).status == .unprocessableContent)
            #expect(try await T.post(client, app, "/api/customers", ["phone": "abc"]).json()["code"] == "phone_invalid")
            #expect(try await T.post(client, app, "/api/customers", ["phone": "0788776655", "deliveryLat": 123, "deliveryLng": 2]).status == .unprocessableContent)

            let list = try await client.execute(uri: "/api/customers?restaurantId=\(app.id)", method: .get, headers: app.manager).json()
            #expect(list["customers"]?.arrayValue?.count == 2)  // Jean (demo) and Amélie
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func faqDedupAnswerAndPrompt(_ kind: String) async throws {
        try await TestApp.with(kind) { app, client throws in
            let a = try await T.post(client, app, "/api/faq", ["question": "Est-ce que vous livrez à Montreuil ?", "category": "livraison", "callerPhone": "0611111111", "callId": "c1"]).json()
            #expect(a["success"] == true)
            #expect(a["askCount"] == 1)
            // Same question again in the same call: not counted twice.
            #expect(try await T.post(client, app, "/api/faq", ["question": "Est-ce que vous livrez à Montreuil ?", "callId": "c1"]).json()["askCount"] == 1)
            // Same meaning, other words order/case/accents, another call: one entry, count 2.
            let b = try await T.post(client, app, "/api/faq", ["question": "vous livrez a MONTREUIL", "callId": "c2"]).json()
            #expect(b["askCount"] == 2)
            let pending = try await client.execute(uri: "/api/faq?restaurantId=\(app.id)&status=pending", method: .get, headers: app.manager).json()
            let entries = try #require(pending["faqs"]?.arrayValue)
            #expect(entries.count == 1)
            let id = try #require(entries.first?["id"])

            // The restaurant answers; the next call's prompt has it.
            let answered = try await Self.send(client, app, .patch, "/api/faq", ["id": id, "answer": "Oui, Montreuil est dans notre zone, livraison 2,50 €."])
            #expect(answered.status == .ok)
            #expect(try answered.json()["faq"]?["status"] == "answered")
            let prompt = try await client.execute(uri: app.aiURI(), method: .get, headers: app.bearer).json()["systemPrompt"]?.stringValue
            #expect(prompt?.contains("R : Oui, Montreuil est dans notre zone") == true)
            // Asked again, the agent gets the answer directly.
            #expect(try await T.post(client, app, "/api/faq", ["question": "Vous livrez à Montreuil ?", "callId": "c3"]).json()["answer"]?.stringValue?.hasPrefix("Oui, Montreuil") == true)

            #expect(try await Self.send(client, app, .patch, "/api/faq", ["id": id, "status": "bogus"]).status == .unprocessableContent)
            #expect(try await Self.send(client, app, .patch, "/api/faq", ["id": .string(UUID().uuidString)]).status == .notFound)
            #expect(try await Self.send(client, app, .delete, "/api/faq", ["id": id]).status == .ok)
            let after = try await client.execute(uri: app.aiURI(), method: .get, headers: app.bearer).json()["systemPrompt"]?.stringValue
            #expect(after?.contains("Montreuil") == false)
            #expect(try await T.post(client, app, "/api/faq", [:]).status == .unprocessableContent)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func messagesInboxUnreadFirst(_ kind: String) async throws {
        try await TestApp.with(kind) { app, client throws in
            let left = try await T.post(client, app, "/api/messages", ["callId": "m1", "callerPhone": "0612345678", "callerName": "Jean", "content": "Merci de me rappeler pour un anniversaire.", "category": "reservation", "isUrgent": "false"]).json()
            #expect(left["success"] == true)
            // The same message re-sent in the same call is one message.
            #expect(try await T.post(client, app, "/api/messages", ["callId": "m1", "content": "Merci de me rappeler pour un anniversaire."]).json() == left)
            _ = try await T.post(client, app, "/api/messages", ["callId": "m2", "content": "Livreur introuvable !", "isUrgent": true])
            let inbox = try await client.execute(uri: "/api/messages?restaurantId=\(app.id)&unread=true", method: .get, headers: app.manager).json()
            #expect(inbox["unread"] == 2)
            let messages = try #require(inbox["messages"]?.arrayValue)
            #expect(messages.first?["isUrgent"] == true)
            #expect(messages.last?["callerPhone"] == "+33612345678")
            let id = try #require(messages.last?["id"])
            #expect(try await Self.send(client, app, .patch, "/api/messages", ["id": id, "isRead": true]).json()["message"]?["isRead"] == true)
            #expect(try await client.execute(uri: "/api/messages?restaurantId=\(app.id)&unread=1", method: .get, headers: app.manager).json()["unread"] == 1)
            #expect(try await Self.send(client, app, .delete, "/api/messages", ["id": id]).status == .ok)
            #expect(try await T.post(client, app, "/api/messages", ["content": ""]).status == .unprocessableContent)
        }
    }

    @Test func ordersBoardFiltersAndTransitions() async throws {
        try await TestApp.with { app, client throws in
            let placed = try await T.post(client, app, "/api/ai/tools/confirm-order", ["order_type": "delivery", "items": [["id": 6, "quantity": 2]], "call_id": "b1", "caller_phone": "0612345678"]).json()
            let number = try #require(placed["order_number"])
            let today = try await client.execute(uri: "/api/orders?restaurantId=\(app.id)&date=2026-11-26", method: .get, headers: app.manager).json()
            #expect(today["orders"]?.arrayValue?.count == 1)
            #expect(today["orders"]?.arrayValue?.first?["items"]?.arrayValue?.first?["name"] == "Spaghetti carbonara")
            #expect(try await client.execute(uri: "/api/orders?restaurantId=\(app.id)&status=completed", method: .get, headers: app.manager).json()["orders"]?.arrayValue?.count == 1)
            #expect(try await client.execute(uri: "/api/orders?restaurantId=\(app.id)&status=nonsense", method: .get, headers: app.manager).status == .unprocessableContent)

            for step in ["preparing", "ready", "delivering", "completed"] {
                let r = try await Self.send(client, app, .patch, "/api/orders", ["orderNumber": number, "status": .string(step)])
                #expect(r.status == .ok, "to \(step)")
            }
            // No way back from an end state.
            let back = try await Self.send(client, app, .patch, "/api/orders", ["orderNumber": number, "status": "cancelled"])
            #expect(back.status == .conflict)
            #expect(try back.json()["code"] == "transition_refused")
            #expect(try await Self.send(client, app, .patch, "/api/orders", ["orderNumber": 999, "status": "ready"]).status == .notFound)

            // A pickup order cannot go out for delivery; cancelling gives the customer's totals back.
            let pickup = try await T.post(client, app, "/api/ai/tools/confirm-order", ["order_type": "pickup", "items": [["id": 1, "quantity": 1]], "call_id": "b2", "caller_phone": "0612345678"]).json()
            #expect(try await Self.send(client, app, .patch, "/api/orders", ["orderNumber": pickup["order_number"]!, "status": "delivering"]).status == .conflict)
            let jean: Customer? = try await Customer.query(on: app.database.db).filter(\.$phone == "+33612345678").first()
            let before = try #require(jean).totalOrders
            #expect(try await Self.send(client, app, .patch, "/api/orders", ["orderNumber": pickup["order_number"]!, "status": "cancelled"]).status == .ok)
            let after: Customer? = try await Customer.query(on: app.database.db).filter(\.$phone == "+33612345678").first()
            #expect(try #require(after).totalOrders == before - 1)
        }
    }

    @Test func restaurantSideNeedsAdminOrOwnManagementKey() async throws {
        try await TestApp.with { app, client throws in
            _ = try await AdminAccounts.createOrUpdate(email: "ops@example.fr", password: "mot de passe long", cost: 4, on: app.database)
            let login = try await client.execute(uri: "/login", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: "email=ops%40example.fr&password=mot+de+passe+long"))
            let cookie = try #require(login.headers[.setCookie]?.split(separator: ";").first.map(String.init))
            #expect(try await client.execute(uri: "/api/messages?restaurantId=\(app.id)", method: .get, headers: [.cookie: cookie]).status == .ok)
            #expect(try await client.execute(uri: "/api/messages?restaurantId=\(app.id)", method: .get).status == .unauthorized)
            // The agent's own token does not open the restaurant side.
            let byAgent = try await client.execute(uri: "/api/messages?restaurantId=\(app.id)", method: .get, headers: app.bearer)
            #expect(byAgent.status == .forbidden)
            #expect(try byAgent.json()["code"] == "agent_token_not_allowed")
            var other = RestaurantProfile(id: UUID(), name: "Voisin")
            other.country = "FR"
            try await Restaurant(profile: other).create(on: app.database.db) as Void
            let otherKey = try await ManagementKeys.create(for: other.id, label: "voisin", createdBy: nil, on: app.database.db).key
            #expect(try await client.execute(uri: "/api/orders?restaurantId=\(app.id)", method: .get, headers: [.authorization: "Bearer \(otherKey)"]).status == .forbidden)
            // Its own list has none of Chez Luigi's orders.
            let own = try await client.execute(uri: "/api/orders?restaurantId=\(other.id.uuidString)", method: .get, headers: [.authorization: "Bearer \(otherKey)"]).json()
            #expect(own["orders"]?.arrayValue?.isEmpty == true)
            // Rows of another restaurant cannot be reached by id either.
            let msg = try await T.post(client, app, "/api/messages", ["content": "Bonjour"]).json()
            let patch = try await client.execute(uri: "/api/messages", method: .patch, headers: [.authorization: "Bearer \(otherKey)"],
                                                 body: ByteBuffer(string: #"{"restaurantId":"\#(other.id.uuidString)","id":\#(String(decoding: try JSONEncoder().encode(msg["id"]!), as: UTF8.self)),"isRead":true}"#))
            #expect(patch.status == .notFound)
        }
    }

    /// A whole call as the voice server plays it: save the customer, order, ask where it is, cancel it.
    @Test(arguments: TestDatabases.kinds)
    func wholeCallScenario(_ kind: String) async throws {
        try await TestApp.with(kind) { app, client throws in
            let phone = "+33 7 55 44 33 22"
            let ctx = try await client.execute(uri: app.aiURI(phone: phone), method: .get, headers: app.bearer).json()["initialContext"]
            #expect(ctx?["customer_id"] == .null)
            let saved = try await T.post(client, app, "/api/customers", ["phone": .string(phone), "firstName": "Paul"]).json()
            #expect(saved["firstName"] == "Paul")
            let order = try await T.post(client, app, "/api/ai/tools/confirm-order", [
                "order_type": "pickup", "items": [["id": 12, "quantity": 1, "selected_options": [["name": "Pizza", "choice_id": 4], ["name": "Dessert", "choice_id": 9]]]],
                "total": 15.9, "call_id": "scenario", "caller_phone": .string(phone), "customer_id": saved["id"]!, "customer_name": "Paul",
                "item_map": ctx!["item_map"]!,
            ]).json()
            #expect(order["success"] == true)
            #expect(order["total"] == .double(15.9))
            #expect(order["total_corrected"] == false)
            let status = try await client.execute(uri: "/api/orders/status?restaurantId=\(app.id)&phone=0755443322", method: .get, headers: app.bearer).json()
            #expect(status["orders"]?.arrayValue?.first?["itemsSummary"] == "1× Formule Midi")
            let cancelled = try await T.post(client, app, "/api/ai/tools/cancel-order", ["order_number": order["order_number"]!, "caller_phone": .string(phone)]).json()
            #expect(cancelled["success"] == true)
            let after = try await client.execute(uri: "/api/orders/status?restaurantId=\(app.id)&phone=0755443322", method: .get, headers: app.bearer).json()
            #expect(after["orders"]?.arrayValue?.first?["status"] == "cancelled")
            let paul: Customer? = try await Customer.query(on: app.database.db).filter(\.$phone == "+33755443322").first()
            #expect(paul?.firstName == "Paul")
            #expect(paul?.totalOrders == 0)
        }
    }
}
