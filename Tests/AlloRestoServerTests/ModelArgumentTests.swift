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

/// Tool arguments as a language model really writes them: every argument is understood exactly or refused with a
/// sentence; nothing that changes money, time, address or whose order it is is guessed, dropped or defaulted.
// Demo menu: #1 Bruschetta 6,50 · #3 Margherita 10,50 (Taille requise : Normale | Grande +3 ; Suppléments :
// Mozzarella di bufala +2, Jambon de Parme +2,50, Roquette +1) · #5 Quattro Formaggi 13,50 · #8 Tiramisu 7,50 ·
// #9 Panna cotta 6,50 · #10 Coca-Cola 3 (Format requis : 33cl | 1,5L +2,50). Jean (0612345678) has a saved address.
@Suite struct ModelArgumentTests {
    static func order(_ client: any TestClientProtocol, _ app: TestApp, _ body: JSONValue) async throws -> (HTTPResponse.Status, JSONValue) {
        let r = try await OrderToolTests.post(client, app, "/api/ai/tools/confirm-order", body)
        return (r.status, try r.json())
    }

    static func margherita(_ picks: JSONValue) -> JSONValue { ["order_type": "pickup", "items": [["id": 3, "quantity": 1, "selected_options": picks]], "caller_phone": "0611000001"] }

    @Test func optionPicksInEveryFormAreUnderstoodOrRefusedNeverDropped() async throws {
        try await TestApp.with { app, client throws in
            // Grande (+3) and Roquette (+1): 14,50 € however the picks are written.
            let forms: [JSONValue] = [
                [["name": "Taille", "choice": "Grande"], ["name": "Suppléments", "choice": "Roquette"]],
                ["Grande", "Roquette"], ["Taille": "Grande", "Suppléments": "Roquette"], ["Taille": "grande", "Supplements": ["Roquette"]],
                [["Taille": "Grande"], ["Suppléments": "Roquette"]], [["name": "taille", "choice_id": 2], ["choice": "roquette"]],
                [["option": "Taille", "value": "Grand"], ["name": "Suppléments", "choice": "Roquette", "extra_price": 0]],
            ]
            for (i, picks) in forms.enumerated() {
                var body = Self.margherita(picks).objectValue!
                body["call_id"] = .string("form-\(i)")
                let (status, j) = try await Self.order(client, app, .object(body))
                #expect(status == .ok && j["success"] == true && j["total"] == 14.5, "\(picks) → \(j)")
            }
            // A required option chosen as a bare string is not "asked again".
            let grand = try await Self.order(client, app, Self.margherita(["Grand"]))
            #expect(grand.1["total"] == 13.5, "\(grand.1)")
            // Unknown choices, unknown choice ids, an unknown option, a pick that is no pick: a sentence with the choices.
            let refusals: [(JSONValue, String)] = [
                (["Ananas"], "choice_invalid"), ([["name": "Taille", "choice_id": 9]], "choice_invalid"), (["Taille": "Géante"], "choice_invalid"),
                ([["name": "Cuisson", "choice": "Saignante"]], "option_unknown"), ([["name": "Taille", "choice_id": "beaucoup"]], "invalid_field"),
                ([true], "invalid_field"),
            ]
            for (picks, code) in refusals {
                let (_, j) = try await Self.order(client, app, Self.margherita(picks))
                #expect(j["success"] == false && j["code"] == .string(code), "\(picks) → \(j)")
                #expect(j["error"]?.stringValue?.isEmpty == false)
            }
            let listed = try await Self.order(client, app, Self.margherita(["Ananas"])).1
            #expect(listed["error"]?.stringValue?.contains("Normale, Grande") == true && listed["error"]?.stringValue?.contains("Roquette") == true)
        }
    }

    @Test func deliveryNeedsAnAddressAndANewOneIsNeverMeasuredAtTheSavedCoordinates() async throws {
        try await TestApp.with { app, client throws in
            // A new caller, no address, no check: a question, not a made-up 20-minute trip.
            let nowhere = try await Self.order(client, app, ["order_type": "delivery", "items": [["id": 5, "quantity": 2]], "caller_phone": "0699000001"]).1
            #expect(nowhere["success"] == false && nowhere["code"] == "address_missing", "\(nowhere)")
            // Jean, known, no check: his saved address and its coordinates.
            let jean = try await Self.order(client, app, ["order_type": "delivery", "items": [["id": 5, "quantity": 2]], "caller_phone": "0612345678", "call_id": "jean-1"]).1
            #expect(jean["success"] == true, "\(jean)")
            let storedRow: Order? = try await Order.query(on: app.database.db).filter(\.$callId == "jean-1").first()
            let savedRow: Customer? = try await Customer.query(on: app.database.db).filter(\.$phone == "+33612345678").first()
            let stored = try #require(storedRow), saved = try #require(savedRow)
            #expect(stored.deliveryLat == saved.deliveryLat && stored.deliveryAddress?.contains(saved.deliveryAddress ?? "?") == true)
            // Jean gives a new address while the context still carries his saved coordinates: without a geocoder,
            // a question for the postal code and city — never a distance measured at the old place.
            let moved = try await AvailabilityTests.check(client, app, [
                "mode": "delivery", "customerAddress": "8 avenue Foch", "customerLat": .double(saved.deliveryLat!), "customerLng": .double(saved.deliveryLng!),
                "customerPhone": "0612345678",
            ])
            #expect(moved["available"] == false && moved["reason"] == "address_not_found", "\(moved)")
            #expect(moved["message"]?.stringValue?.contains("code postal") == true)
            // The same in save_customer_info: the new address is kept, the old coordinates are not given to it.
            let info = try await OrderToolTests.post(client, app, "/api/customers", [
                "phone": "0612345678", "deliveryAddress": "8 avenue Foch", "deliveryLat": .double(saved.deliveryLat!), "deliveryLng": .double(saved.deliveryLng!),
            ]).json()
            #expect(info["success"] == true)
            let afterRow: Customer? = try await Customer.query(on: app.database.db).filter(\.$phone == "+33612345678").first()
            let after = try #require(afterRow)
            #expect(after.deliveryAddress == "8 avenue Foch" && after.deliveryLat == nil && after.deliveryLng == nil)
            // A first name alone does not move coordinates.
            _ = try await OrderToolTests.post(client, app, "/api/customers", ["phone": "0612345678", "firstName": "Jean", "deliveryLat": 48.9, "deliveryLng": 2.4]).json()
            #expect(try await Customer.query(on: app.database.db).filter(\.$phone == "+33612345678").first()?.deliveryLat == nil)
        }
    }

    @Test func theSameOrderReworded_IsOneOrder_AndAnonymousCallersNeverShareOne() async throws {
        try await TestApp.with { app, client throws in
            let first = try await Self.order(client, app, [
                "order_type": "pickup", "items": [["id": 3, "quantity": 2, "selected_options": [["name": "Taille", "choice": "Grande"]]], ["id": 8, "quantity": 1]],
                "call_id": "reworded", "caller_phone": "0611000002", "total": 34.5,
            ]).1
            #expect(first["success"] == true)
            let rewordings: [JSONValue] = [
                ["order_type": "à emporter", "items": [["id": "#8", "quantity": "1"], ["id": "3", "quantity": "2", "selected_options": ["Taille": "grande"]]], "total": "34,50 €"],
                ["order_type": "Pickup", "items": [["id": 3, "quantity": 1, "selected_options": ["Grande"]], ["id": 3.0, "quantity": 1, "selected_options": ["Grande"]], ["id": 8, "quantity": 1.0]], "notes": "merci"],
            ]
            for var body in rewordings.compactMap(\.objectValue) {
                body["call_id"] = "reworded"
                body["caller_phone"] = "0611000002"
                #expect(try await Self.order(client, app, .object(body)).1 == first)
            }
            #expect(try await Order.query(on: app.database.db).filter(\.$callId == "reworded").count() == 1)
            // Two anonymous callers (no number, no call id) ordering the same thing within a minute: two orders.
            let anonymous: JSONValue = ["order_type": "pickup", "items": [["id": 1, "quantity": 1]]]
            let a = try await Self.order(client, app, anonymous).1, b = try await Self.order(client, app, anonymous).1
            #expect(a["success"] == true && b["success"] == true && a["order_number"] != b["order_number"])
        }
    }

    @Test func aBiggerBasketThanTheCheckSaysSoInsteadOfSlotTaken() async throws {
        try await TestApp.with { app, client throws in
            let check = try await AvailabilityTests.check(client, app, ["mode": "pickup", "itemCount": 2])
            #expect(check["available"] == true && check["orderSize"] == "S" && check["itemCount"] == 2)
            let big = try await Self.order(client, app, [
                "order_type": "pickup", "items": [["id": 5, "quantity": 8]], "call_id": "loop", "caller_phone": "0611000003", "last_availability_check": check,
            ]).1
            #expect(big["success"] == false && big["code"] == "slot_too_small", "\(big)")
            #expect(big["error"]?.stringValue?.contains("Pour 8 articles") == true && big["error"]?.stringValue?.contains("premier horaire possible") == true)
            #expect(!(big["error"]?.stringValue?.contains("vient d'être pris") ?? true))
            // Asked again for that basket, the check gives a time the confirmation keeps.
            let again = try await AvailabilityTests.check(client, app, ["mode": "pickup", "itemCount": 8])
            let placed = try await Self.order(client, app, [
                "order_type": "pickup", "items": [["id": 5, "quantity": 8]], "call_id": "loop-2", "caller_phone": "0611000003", "last_availability_check": again,
            ]).1
            #expect(placed["success"] == true && placed["heure_estimee"] == again["estimatedTime"], "\(placed)")
        }
    }

    @Test func timesInTheFormsCallersUse() async throws {
        try await TestApp.with { app, client throws in
            // 13:05 on Thursday in Paris; the demo is open 11:30–14:30 and 18:30–22:30.
            let forms: [(String, String?, String)] = [
                ("7:30 PM", nil, "19:30"), ("19 h 30", nil, "19:30"), ("19:30:00", nil, "19:30"), ("2026-11-27T20:00", nil, "20:00"),
                ("7:30", nil, "19:30"), ("20h", "demain", "20:00"),
            ]
            for (time, date, expected) in forms {
                var body: [String: JSONValue] = ["mode": "reservation", "requested_time": .string(time), "party_size": 2]
                if let date { body["requested_date"] = .string(date) }
                let r = try await AvailabilityTests.check(client, app, .object(body))
                #expect(r["estimatedTime"] == .string(expected), "\(time) → \(r)")
            }
            let soon = try await AvailabilityTests.check(client, app, ["mode": "pickup", "requested_time": "dans une demi-heure", "itemCount": 1])
            #expect(soon["estimatedTime"] == "13:35", "\(soon)")
            // Midday tomorrow ("midi" is past today).
            let noon = try await AvailabilityTests.check(client, app, ["mode": "reservation", "requested_time": "midi", "party_size": 2])
            #expect(noon["estimatedDate"] == "2026-11-27" && noon["estimatedTime"] == "12:00", "\(noon)")
            // Not understood, or past: a sentence naming it.
            for (time, code) in [("vers 8", "time_not_understood"), ("2026-11-26T09:00", "time_past")] {
                let r = try await AvailabilityTests.send(client, app, .post, "/api/availability/check", ["mode": "reservation", "requested_time": .string(time), "party_size": 2])
                let j = try r.json()
                #expect(r.status == .unprocessableContent && j["code"] == .string(code) && j["field"] == "requestedTime", "\(time) → \(j)")
            }
        }
    }

    @Test func noSilentDefaultsAndIgnoredFieldsNeverRefuse() async throws {
        try await TestApp.with { app, client throws in
            // No order type: asked, not "pickup"; "à emporter" understood.
            let untyped = try await Self.order(client, app, ["items": [["id": 1, "quantity": 1]], "caller_phone": "0611000004"])
            #expect(untyped.0 == .unprocessableContent && untyped.1["code"] == "missing_order_type")
            #expect(try await Self.order(client, app, ["order_type": "À emporter", "items": [["id": 1, "quantity": 1]], "caller_phone": "0611000004"]).1["success"] == true)
            // A reservation check without a party size: asked, not 2.
            let party = try await AvailabilityTests.send(client, app, .post, "/api/availability/check", ["mode": "reservation", "requested_time": "20:00"])
            #expect(try party.json()["code"] == "missing_party_size")
            let mode = try await AvailabilityTests.send(client, app, .post, "/api/availability/check", ["requested_time": "20:00"])
            #expect(try mode.json()["code"] == "missing_mode")
            // Fields the server does not use never lose the call.
            #expect(try await Self.order(client, app, ["order_type": "pickup", "items": [["id": 1, "quantity": 1]], "total": "19 EUR", "caller_phone": "0611000005"]).1["success"] == true)
            #expect(try await Self.order(client, app, ["order_type": "pickup", "items": [["id": 1, "quantity": 1]], "total": "beaucoup", "caller_phone": "0611000006"]).1["success"] == true)
            let message = try await OrderToolTests.post(client, app, "/api/messages", ["content": "Rappelez-moi", "isUrgent": "très", "callerPhone": "0611000007"]).json()
            #expect(message["success"] == true)
            let table = try await OrderToolTests.post(client, app, "/api/reservations", [
                "customerName": "Zoé", "customerPhone": "0611000008", "partySize": 2, "reservationTime": "20:00", "serviceId": "le-soir", "offerId": "menu", "customerId": "42",
            ]).json()
            #expect(table["success"] == true, "\(table)")
        }
    }

    @Test func ownershipNeedsTheCallersNumber() async throws {
        try await TestApp.with { app, client throws in
            let booked = try await OrderToolTests.post(client, app, "/api/reservations", ["customerName": "Ana", "customerPhone": "0611000009", "partySize": 2, "reservationTime": "20:00"]).json()
            let id = try #require(booked["id"])
            for phone: JSONValue in [.null, "inconnu", "0611999999"] {
                var body: [String: JSONValue] = ["id": id, "status": "cancelled"]
                if phone != .null { body["callerPhone"] = phone }
                let r = try await client.execute(uri: "/api/reservations", method: .patch, headers: [.authorization: "Bearer \(app.token)", .contentType: "application/json"],
                                                 body: ByteBuffer(bytes: JSONWriter.encoded(JSONValue.object(body.merging(["restaurantId": .string(app.id)]) { $1 }))))
                let j = try r.json()
                #expect(j["success"] == false && j["error"]?.stringValue?.isEmpty == false, "\(phone) → \(j)")
            }
            let status = try await client.execute(uri: "/api/orders/status?restaurantId=\(app.id)", method: .get, headers: app.bearer).json()
            #expect(status["success"] == false && status["code"] == "caller_unknown")
            let lookup = try await client.execute(uri: "/api/reservations/lookup?restaurantId=\(app.id)", method: .get, headers: app.bearer).json()
            #expect(lookup["found"] == false)
        }
    }
}

/// ≥ 5,000 model-style variants of valid and invalid tool calls on the demo restaurant (types as strings, nulls,
/// extra fields, synonyms, reordered lines, picks in every form, repeated in parallel): no 5xx, every answer a
/// success or a refusal sentence, every total the server's pricing, one order per logical order.
@Suite struct ModelArgumentGeneratorTests {
    struct Logical {
        let lines: [(id: Int, qty: Int, picks: [(String, String)])]
        /// nil: the order must be refused, with this code.
        let total: Double?
        let refusal: String?
    }

    static let logical: [Logical] = [
        Logical(lines: [(1, 2, [])], total: 13, refusal: nil),
        Logical(lines: [(3, 1, [("Taille", "Grande"), ("Suppléments", "Roquette")])], total: 14.5, refusal: nil),
        Logical(lines: [(8, 1, []), (10, 2, [("Format", "1,5L")])], total: 18.5, refusal: nil),
        Logical(lines: [(5, 3, [])], total: 40.5, refusal: nil),
        Logical(lines: [(3, 2, [("Taille", "Normale")]), (9, 1, [])], total: 27.5, refusal: nil),
        Logical(lines: [(3, 1, [])], total: nil, refusal: "option_required"),
        Logical(lines: [(99, 1, [])], total: nil, refusal: "item_unknown"),
        Logical(lines: [(3, 1, [("Taille", "Géante")])], total: nil, refusal: "choice_invalid"),
        Logical(lines: [(1, 0, [])], total: nil, refusal: "quantity_invalid"),
        Logical(lines: [], total: nil, refusal: "empty_order"),
    ]

    /// One wording of a logical order.
    static func variant(_ l: Logical, _ g: inout SeededGenerator) -> JSONValue {
        func pick<T>(_ xs: [T]) -> T { xs[Int(g.next() % UInt64(xs.count))] }
        var items: [JSONValue] = l.lines.map { line in
            var o: [String: JSONValue] = [
                "id": pick([.int(line.id), .string(String(line.id)), .string("#\(line.id)"), .double(Double(line.id))]),
                "quantity": pick([.int(line.qty), .string(String(line.qty)), .double(Double(line.qty))]),
            ]
            if !line.picks.isEmpty {
                o["selected_options"] = pick([
                    .array(line.picks.map { ["name": .string($0.0), "choice": .string($0.1)] }),
                    .object(Dictionary(uniqueKeysWithValues: line.picks.map { ($0.0, JSONValue.string($0.1)) })),
                    .array(line.picks.map { .string($0.1) }),
                    .array(line.picks.map { .object([$0.0.lowercased(): .string($0.1.uppercased())]) }),
                ])
            } else if g.next() % 3 == 0 {
                o["selected_options"] = pick([.null, .array([])])
            }
            if g.next() % 4 == 0 { o["unit_price"] = pick([99, "9,50 €", .null]) }
            if g.next() % 5 == 0 { o["notes"] = pick(["sans oignons", .null, ""]) }
            return .object(o)
        }
        items.shuffle(using: &g)
        var body: [String: JSONValue] = ["order_type": pick(["pickup", "à emporter", "Emporter", "takeaway", "PICKUP"]), "items": .array(items)]
        if g.next() % 2 == 0 { body["total"] = pick([.double(l.total ?? 12), "19 EUR", .null, "beaucoup", 1e300]) }
        if g.next() % 3 == 0 { body["payment_method"] = pick(["cash", "Espèces", .null, "card"]) }
        if g.next() % 4 == 0 { body["extra_field"] = pick(["x", .null, ["nested": true]]) }
        if g.next() % 5 == 0 { body["delivery_fee"] = pick([0, "0", .null]) }
        return .object(body)
    }

    @Test func fiveThousandModelStyleCallsKeepTheRules() async throws {
        try await TestApp.with { app, client throws in
            // A kitchen that never fills: this test is about arguments, not capacity.
            let big = try await AvailabilityTests.send(client, app, .put, "/api/planning/config", ["config": ["capacity": ["cuisine": 100_000, "preparation": 100_000, "comptoir": 100_000, "livraison": 100_000]]])
            #expect(big.status == .ok)
            var g = SeededGenerator(seed: 15)
            var sent = 0, fiveHundreds = 0
            var problems: [String] = []
            for group in 0..<520 {
                let l = Self.logical[group % Self.logical.count]
                let call = "gen-\(group)", phone = String(format: "06%08d", group)
                // Ten wordings of the same order in one call, sent at once (a barge-in, a retry, a parallel call).
                let bodies = (0..<10).map { _ -> JSONValue in
                    var b = Self.variant(l, &g).objectValue!
                    b["call_id"] = .string(call)
                    b["caller_phone"] = .string(phone)
                    return .object(b)
                }
                let answers = try await withThrowingTaskGroup(of: (HTTPResponse.Status, JSONValue).self) { tasks in
                    for b in bodies { tasks.addTask { try await ModelArgumentTests.order(client, app, b) } }
                    return try await tasks.reduce(into: []) { $0.append($1) }
                }
                sent += answers.count
                for (status, j) in answers {
                    if status.code >= 500 { fiveHundreds += 1 }
                    if let total = l.total {
                        if j["success"] != true || j["total"]?.doubleValue != total { problems.append("\(call): \(j)") }
                    } else if j["success"] != false || j["code"] != .string(l.refusal!) || (j["error"]?.stringValue ?? "").isEmpty {
                        problems.append("\(call) expected \(l.refusal!): \(j)")
                    }
                }
                let orders: Int = try await Order.query(on: app.database.db).filter(\.$callId == call).count()
                if orders != (l.total == nil ? 0 : 1) { problems.append("\(call): \(orders) orders") }
                if l.total != nil, Set(answers.map { $0.1["order_number"] }).count != 1 { problems.append("\(call): different answers") }
            }
            #expect(sent >= 5000)
            #expect(fiveHundreds == 0)
            #expect(problems.isEmpty, "\(problems.count) problems, first: \(problems.prefix(5))")
        }
    }
}

/// Enum values and availability checks as models write them (table-driven), and a sweep of check_availability
/// variants: each answer is a success or a sentence, never a 5xx.
@Suite struct ModelArgumentFormsTests {
    static let orderTypes: [(String, String?)] = [
        ("pickup", "prete"), ("PICKUP", "prete"), ("À emporter", "prete"), ("a emporter", "prete"), ("emporter", "prete"), ("takeaway", "prete"),
        ("take-away", "prete"), ("Retrait", "prete"), ("click and collect", "prete"), ("dine_in", "prete"), ("Sur place", "prete"),
        ("à livrer", nil), ("n'importe", nil), ("", nil),
    ]

    @Test func orderTypeForms() async throws {
        try await TestApp.with { app, client throws in
            _ = try await AvailabilityTests.send(client, app, .put, "/api/planning/config", ["config": ["capacity": ["cuisine": 1000, "preparation": 1000, "comptoir": 1000, "livraison": 1000]]])
            for (i, (said, mode)) in Self.orderTypes.enumerated() {
                let (status, j) = try await ModelArgumentTests.order(client, app, [
                    "order_type": .string(said), "items": [["id": 1, "quantity": 3]], "caller_phone": .string(String(format: "07%08d", i)),
                ])
                if let mode {
                    #expect(j["success"] == true && j["mode"] == .string(mode), "\(said) → \(j)")
                } else if said == "à livrer" {
                    // Understood as a delivery: without an address, the question.
                    #expect(j["code"] == "address_missing", "\(said) → \(j)")
                } else {
                    #expect(status == .unprocessableContent && j["error"]?.stringValue?.isEmpty == false, "\(said) → \(j)")
                    #expect(j["code"] == (said.isEmpty ? "missing_order_type" : "invalid_choice"), "\(said) → \(j)")
                }
            }
        }
    }

    @Test func sixHundredAvailabilityChecksAnswerOrAskNeverFail() async throws {
        try await TestApp.with { app, client throws in
            var g = SeededGenerator(seed: 16)
            func pick<T>(_ xs: [T]) -> T { xs[Int(g.next() % UInt64(xs.count))] }
            let times: [JSONValue] = ["19:30", "7:30 PM", "19 h 30", "midi", "minuit", "dans 20 minutes", "2026-11-27T20:00", "vers 8", "", .null, 19, "25:00", "maintenant"]
            var fiveHundreds = 0, unreadable: [String] = []
            for _ in 0..<600 {
                var body: [String: JSONValue] = ["mode": pick(["pickup", "delivery", "reservation", "Réservation", "livraison", "à emporter", .null])]
                body["requested_time"] = pick(times)
                if g.next() % 2 == 0 { body["party_size"] = pick([2, "4", .null, "deux", 0]) }
                if g.next() % 3 == 0 { body["requested_date"] = pick(["demain", "samedi", "5/12", "hier", .null]) }
                if g.next() % 3 == 0 { body["itemCount"] = pick([1, "3", 8, .null]) }
                if g.next() % 4 == 0 { body["customerPhone"] = "0612345678" }
                let r = try await AvailabilityTests.send(client, app, .post, "/api/availability/check", .object(body))
                if r.status.code >= 500 { fiveHundreds += 1 }
                let j = try r.json()
                let said = j["message"]?.stringValue ?? j["error"]?.stringValue ?? ""
                if said.isEmpty || (j["success"] == true && j["available"] == nil) { unreadable.append("\(body) → \(j)") }
            }
            #expect(fiveHundreds == 0)
            #expect(unreadable.isEmpty, "\(unreadable.prefix(3))")
        }
    }
}
