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

// Demo menu: #1 Bruschetta 6,50 · #3 Margherita 10,50 (Taille: Normale | Grande +3) · #8 Tiramisu 7,50
// #10 Coca-Cola 3 (Format: 33cl | 1,5L +2,50) · #12 Formule Midi 15,90 (Pizza #3/#4, Dessert #8/#9).
// Delivery: 4 km, minimum 15 €, fee 2,50 € free from 30 €. The demo already has order n°1.
@Suite struct OrderToolTests {
    static func post(_ client: any TestClientProtocol, _ app: TestApp, _ path: String, _ body: JSONValue, token: String? = nil) async throws -> TestResponse {
        var fields = body.objectValue ?? [:]
        if fields["restaurantId"] == nil { fields["restaurantId"] = .string(app.id) }
        let data = try JSONEncoder().encode(JSONValue.object(fields))
        return try await client.execute(
            uri: path, method: .post, headers: [.authorization: "Bearer \(token ?? app.token)", .contentType: "application/json"],
            body: ByteBuffer(bytes: data))
    }

    static let margheritaGrande: JSONValue = ["id": 3, "quantity": 2, "selected_options": [["name": "Taille", "choice": "Grande"]]]

    func orders(_ app: TestApp) async throws -> [Order] {
        try await Order.query(on: app.database.db).sort(\.$orderNumber).with(\.$items).all()
    }

    @Test(arguments: TestDatabases.kinds)
    func newCallerPickupIsPricedByTheServer(_ kind: String) async throws {
        try await TestApp.with(kind) { app, client throws in
            let r = try await Self.post(client, app, "/api/ai/tools/confirm-order", [
                "order_type": "pickup", "items": [Self.margheritaGrande, ["id": 8, "quantity": 1, "notes": "bien frais"]],
                "total": 20, "payment_method": "cash", "call_id": "call-1", "caller_phone": "07 11 22 33 44", "customer_name": "Lucie",
            ])
            #expect(r.status == .ok)
            let j = try r.json()
            #expect(j["success"] == true)
            #expect(j["order_number"] == 2)
            // (10,50 + 3) × 2 + 7,50 = 34,50 €, whatever the model said.
            #expect(j["total"] == .double(34.5))
            #expect(j["total_corrected"] == true)
            #expect(j["mode"] == "prete")
            // 12:05 UTC = 13:05 in Paris, + 25 min average preparation.
            #expect(j["heure_estimee"] == "13:30")
            #expect(j["message"]?.stringValue?.contains("34 euros 50") == true)
            let stored = try await orders(app).last!
            #expect(stored.orderNumber == 2)
            #expect(stored.total == 3450)
            #expect(stored.customerPhone == "+33711223344")
            #expect(stored.status == "confirmed")
            #expect(stored.orderSize == "M")
            #expect(stored.items.map(\.name).sorted() == ["Margherita", "Tiramisu della casa"])
            let found: Customer? = try await Customer.query(on: app.database.db).filter(\.$phone == "+33711223344").first()
            let customer = try #require(found)
            #expect(customer.firstName == "Lucie")
            #expect(customer.totalOrders == 1)
            #expect(customer.totalSpent == 3450)
        }
    }

    @Test func lenientOnWhatCostsNothing() async throws {
        try await TestApp.with { app, client throws in
            let r = try await Self.post(client, app, "/api/ai/tools/confirm-order", [
                "order_type": " PICKUP ", "items": [["id": "#1", "quantity": "2"], ["id": 10.0, "quantity": 1, "selected_options": [["name": "format", "choice": "1,5l"]]]],
                "total": "18,50", "caller_phone": "+33 6 12 34 56 78", "call_id": "c-lenient",
            ])
            let j = try r.json()
            #expect(j["success"] == true)
            #expect(j["total"] == .double(18.5))
            #expect(j["total_corrected"] == false)
        }
    }

    @Test func refusalsAreSentencesWithCodes() async throws {
        try await TestApp.with { app, client throws in
            func refusal(_ body: JSONValue) async throws -> (String?, String?) {
                let r = try await Self.post(client, app, "/api/ai/tools/confirm-order", body)
                #expect(r.status == .ok)
                let j = try r.json()
                #expect(j["success"] == false)
                return (j["code"]?.stringValue, j["error"]?.stringValue)
            }
            #expect(try await refusal(["order_type": "pickup", "items": []]).0 == "empty_order")
            #expect(try await refusal(["order_type": "pickup", "items": [["id": 99, "quantity": 1]]]).0 == "item_unknown")
            #expect(try await refusal(["order_type": "pickup", "items": [["id": 3, "quantity": 1]]]) == ("option_required", "Pour « Margherita », il faut choisir : taille (Normale, Grande)."))
            #expect(try await refusal(["order_type": "delivery", "items": [["id": 1, "quantity": 1]]]).0 == "below_minimum")
            #expect(try await refusal(["order_type": "delivery", "items": [["id": 6, "quantity": 2]], "last_availability_check": ["deliveryDistanceKm": 9.5]]).0 == "out_of_range")
            #expect(try await refusal(["order_type": "pickup", "items": [["id": 12, "quantity": 1, "selected_options": [["name": "Pizza", "choice_id": 5], ["name": "Dessert", "choice_id": 8]]]]]).0 == "choice_invalid")
            #expect(try await orders(app).count == 1)
        }
    }

    @Test func malformedRequestsAre4xxWithTheSameShape() async throws {
        try await TestApp.with { app, client throws in
            let notJSON = try await client.execute(uri: "/api/ai/tools/confirm-order", method: .post, headers: app.bearer, body: ByteBuffer(string: "{items: nope"))
            #expect(notJSON.status == .badRequest)
            #expect(try notJSON.json()["code"] == "invalid_json")
            let badQty = try await Self.post(client, app, "/api/ai/tools/confirm-order", ["order_type": "pickup", "items": [["id": 1, "quantity": "deux"]]])
            #expect(badQty.status == .unprocessableContent)
            #expect(try badQty.json()["success"] == false)
            #expect(try badQty.json()["error"]?.stringValue?.contains("quantity") == true)
            let badType = try await Self.post(client, app, "/api/ai/tools/confirm-order", ["order_type": "teleport", "items": [["id": 1, "quantity": 1]]])
            #expect(badType.status == .unprocessableContent)
            let noItemId = try await Self.post(client, app, "/api/ai/tools/confirm-order", ["order_type": "pickup", "items": [["quantity": 1]]])
            #expect(noItemId.status == .unprocessableContent)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func theSameCallTwentyTimesConcurrentlyCreatesOneOrder(_ kind: String) async throws {
        try await TestApp.with(kind) { app, client throws in
            let body: JSONValue = ["order_type": "pickup", "items": [Self.margheritaGrande], "total": 27, "call_id": "call-retry", "caller_phone": "0611111111"]
            let answers = try await withThrowingTaskGroup(of: JSONValue.self) { group in
                for _ in 0..<20 { group.addTask { try await Self.post(client, app, "/api/ai/tools/confirm-order", body).json() } }
                return try await group.reduce(into: [JSONValue]()) { $0.append($1) }
            }
            #expect(answers.count == 20)
            #expect(Set(answers).count == 1, "every retry gets the first result")
            #expect(answers[0]["success"] == true)
            let all = try await orders(app)
            #expect(all.count == 2)  // the demo's order and this one
            let found: Customer? = try await Customer.query(on: app.database.db).filter(\.$phone == "+33611111111").first()
            let customer = try #require(found)
            #expect(customer.totalOrders == 1)
            // A sequential retry after the fact too.
            #expect(try await Self.post(client, app, "/api/ai/tools/confirm-order", body).json() == answers[0])
            // Without a call id, the same order from the same phone within the window is one order as well.
            let noCall: JSONValue = ["order_type": "pickup", "items": [["id": 1, "quantity": 1]], "caller_phone": "0622222222"]
            let a = try await Self.post(client, app, "/api/ai/tools/confirm-order", noCall).json()
            let b = try await Self.post(client, app, "/api/ai/tools/confirm-order", noCall).json()
            #expect(a == b)
            #expect(try await orders(app).count == 3)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func concurrentDistinctOrdersGetGapFreeUniqueNumbers(_ kind: String) async throws {
        try await TestApp.with(kind) { app, client throws in
            // A kitchen big enough for 200 orders at once: this test is about numbering, not capacity.
            let big = try await client.execute(
                uri: "/api/planning/config", method: .put, headers: app.manager,
                body: ByteBuffer(string: #"{"restaurantId": "\#(app.id)", "config": {"capacity": {"cuisine": 1000, "preparation": 1000, "comptoir": 1000}}}"#))
            #expect(big.status == .ok)
            let numbers = try await withThrowingTaskGroup(of: (Int?, String?).self) { group in
                for i in 0..<200 {
                    group.addTask {
                        let r = try await Self.post(client, app, "/api/ai/tools/confirm-order", [
                            "order_type": "pickup", "items": [["id": 1, "quantity": 1]], "call_id": .string("call-\(i)"), "caller_phone": .string("0600000\(String(format: "%03d", i))"),
                        ])
                        guard case .int(let n)? = try? r.json()["order_number"] else { return (nil, "HTTP \(r.status.code) \(String(buffer: r.body))") }
                        return (n, nil)
                    }
                }
                return try await group.reduce(into: [(Int?, String?)]()) { $0.append($1) }
            }
            #expect(numbers.compactMap(\.0).sorted() == Array(2...201), "\(numbers.compactMap(\.1))")
            #expect(try await orders(app).map(\.orderNumber) == Array(1...201))
        }
    }

    @Test func aRetryAfterTheMenuChangedStillGetsTheFirstAnswer() async throws {
        try await TestApp.with { app, client throws in
            // The call's item_map, as sip-agent-server keeps it from /api/ai for the whole call.
            let map = try await client.execute(uri: app.aiURI(), method: .get, headers: app.bearer).json()["itemMap"]!
            let body: JSONValue = ["order_type": "pickup", "items": [["id": 1, "quantity": 1]], "call_id": "menu-change", "caller_phone": "0633333333", "item_map": map]
            let first = try await Self.post(client, app, "/api/ai/tools/confirm-order", body).json()
            #expect(first["success"] == true)
            let bruschetta: MenuItem? = try await MenuItem.query(on: app.database.db).filter(\.$name == "Bruschetta").first()
            let item = try #require(bruschetta)
            item.isAvailable = false
            try await item.save(on: app.database.db)
            try await RestaurantVersion.bump(app.restaurantId, on: app.database.db)
            #expect(try await Self.post(client, app, "/api/ai/tools/confirm-order", body).json() == first)
            // Another order in the same call for that item is refused by name.
            var other = body.objectValue!
            other["call_id"] = "menu-change-2"
            #expect(try await Self.post(client, app, "/api/ai/tools/confirm-order", .object(other)).json()["code"] == "item_unavailable")
        }
    }

    @Test func authMatrixForTools() async throws {
        try await TestApp.with { app, client throws in
            let body: JSONValue = ["order_type": "pickup", "items": [["id": 1, "quantity": 1]]]
            let none = try await client.execute(uri: "/api/ai/tools/confirm-order", method: .post, body: ByteBuffer(string: #"{"restaurantId":"\#(app.id)"}"#))
            #expect(none.status == .unauthorized)
            #expect(try await Self.post(client, app, "/api/ai/tools/confirm-order", body, token: "art_wrong").status == .unauthorized)
            var other = RestaurantProfile(id: UUID(), name: "Voisin")
            other.country = "FR"
            try await Restaurant(profile: other).create(on: app.database.db) as Void
            let otherToken = try await AgentTokens.issue(for: other.id, on: app.database.db)
            #expect(try await Self.post(client, app, "/api/ai/tools/confirm-order", body, token: otherToken).status == .forbidden)
            #expect(try await Self.post(client, app, "/api/ai/tools/cancel-order", ["order_number": 1, "caller_phone": "0612345678"], token: otherToken).status == .forbidden)
            #expect(try await client.execute(uri: "/api/orders/status?restaurantId=\(app.id)&phone=0612345678", method: .get, headers: [.authorization: "Bearer \(otherToken)"]).status == .forbidden)
            #expect(try await orders(app).count == 1)
            // The same call id and body at another restaurant is another call: its answer is never replayed there.
            let mine = try await Self.post(client, app, "/api/ai/tools/confirm-order", ["order_type": "pickup", "items": [["id": 1, "quantity": 1]], "call_id": "shared"]).json()
            #expect(mine["success"] == true)
            let theirs = try await Self.post(client, app, "/api/ai/tools/confirm-order", [
                "restaurantId": .string(other.id.uuidString), "order_type": "pickup", "items": [["id": 1, "quantity": 1]], "call_id": "shared",
            ], token: otherToken).json()
            #expect(theirs["success"] == false && theirs["order_number"] == nil)
            #expect(try await orders(app).count == 2)
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func statusThenCancellationRules(_ kind: String) async throws {
        try await TestApp.with(kind) { app, client throws in
            let placed = try await Self.post(client, app, "/api/ai/tools/confirm-order", [
                "order_type": "pickup", "items": [["id": 1, "quantity": 2]], "call_id": "c-status", "caller_phone": "0612345678",
            ]).json()
            let number = try #require(placed["order_number"])
            let status = try await client.execute(uri: "/api/orders/status?restaurantId=\(app.id)&phone=%2B33612345678", method: .get, headers: app.bearer).json()
            #expect(status["found"] == true)
            // Only the last 24 h: the demo's week-old order is not listed.
            #expect(status["orders"]?.arrayValue?.count == 1)
            #expect(status["orders"]?.arrayValue?.first?["orderNumber"] == number)
            #expect(status["orders"]?.arrayValue?.first?["status"] == "confirmed")
            // Two items = size S: 5 min preparation + 15 min cooking from 13:05 → 13:25 (planned by the kitchen).
            #expect(status["orders"]?.arrayValue?.first?["estimatedReadyTime"] == "13:25")
            #expect(status["orders"]?.arrayValue?.first?["itemsSummary"] == "2× Bruschetta")

            // Someone else cannot cancel it.
            let stranger = try await Self.post(client, app, "/api/ai/tools/cancel-order", ["order_number": number, "caller_phone": "0699999999"]).json()
            #expect(stranger["code"] == "order_not_found")
            let ok = try await Self.post(client, app, "/api/ai/tools/cancel-order", ["order_number": number, "caller_phone": "06 12 34 56 78"]).json()
            #expect(ok["success"] == true)
            let again = try await Self.post(client, app, "/api/ai/tools/cancel-order", ["order_number": number, "caller_phone": "0612345678"]).json()
            #expect(again["code"] == "already_cancelled")
            // An order in preparation cannot be cancelled by phone.
            let second = try await Self.post(client, app, "/api/ai/tools/confirm-order", ["order_type": "pickup", "items": [["id": 8, "quantity": 1]], "call_id": "c-2", "caller_phone": "0612345678"]).json()
            let secondOrder: Order? = try await Order.query(on: app.database.db).filter(\.$orderNumber == second["order_number"].flatMap(ToolInt.value)!).first()
            let o = try #require(secondOrder)
            o.status = "preparing"
            try await o.save(on: app.database.db)
            let late = try await Self.post(client, app, "/api/ai/tools/cancel-order", ["order_number": second["order_number"]!, "caller_phone": "0612345678"]).json()
            #expect(late["code"] == "order_in_progress")
            #expect(late["success"] == false)
        }
    }
}

enum ToolInt {
    static func value(_ v: JSONValue) -> Int? { if case .int(let i) = v { i } else { nil } }
}
