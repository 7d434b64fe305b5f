import AlloRestoCore
import AlloRestoServer
import AlloRestoStore
import AlloRestoTestSupport
import FluentKit
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Testing

/// Provisioning against the sip-agent-server double, and whole calls played through the provisioned ToolConfigs
/// against a live AlloResto (real HTTP), on SQLite and PostgreSQL.
@Suite struct SipAgentIntegrationTests {
    static func provisioner(_ app: TestApp, sipAgentServer: String, publicURL: String, timeout: TimeAmount = .seconds(10)) -> Provisioner {
        Provisioner(database: app.database, cipher: app.services.cipher, publicURL: publicURL,
                    api: SipAgentServerClient(baseURL: sipAgentServer, apiKey: "sas-key", timeout: timeout), logger: Logger(label: "test"))
    }

    @Test(arguments: TestDatabases.kinds)
    func provisioningCreatesThenChangesNothingAndCatchesUp(_ kind: String) async throws {
        let double = SipAgentServerDouble(apiKey: "sas-key")
        try await double.run { sas in
            try await TestApp.live(kind) { app, base in
                // A second restaurant created while sip-agent-server is down.
                let imported = try await RestaurantImporter.write(try RestaurantImport.parse(Data(DemoRestaurant.importDocument.replacingOccurrences(of: "Chez Luigi", with: "Chez Mario").replacingOccurrences(of: "+33142601234", with: "+33142601299").utf8)), on: app.database.db)
                let down = Self.provisioner(app, sipAgentServer: "http://127.0.0.1:9", publicURL: base, timeout: .seconds(1))
                let failed = try await down.provisionAll { _, _ in }
                #expect(failed.count == 2 && failed.allSatisfy { if case .failed = $0 { true } else { false } })
                let mario: Restaurant? = try await Restaurant.find(imported.restaurantId, on: app.database.db)
                #expect(mario?.agentId == nil)

                // First run: the account, one agent per restaurant, 12 tools each.
                let p = Self.provisioner(app, sipAgentServer: sas, publicURL: base)
                let first = try await p.provisionAll { _, _ in }
                #expect(first.count == 2)
                #expect(first.allSatisfy { if case .created(_, 12) = $0 { true } else { false } })
                #expect(double.requests.filter { $0.method == "POST" && $0.path == "/api/accounts" }.count == 1)
                let agents = double.agents
                #expect(agents.count == 2)
                let luigi = try #require(agents.first { $0["config"]?["restaurantId"]?.stringValue == app.id })
                let url = try #require(luigi["externalSessionUrl"]?.stringValue)
                #expect(url.hasPrefix("\(base)/api/ai?restaurantId=\(app.id)&callerPhone={{callerPhone}}&token=art_"))
                #expect(luigi["config"]?["reservationEnabled"] == true && luigi["voice"] == "sage" && luigi["timezone"] == "Europe/Paris")
                let tools = double.tools(of: luigi["id"]!.stringValue!)
                #expect(tools.map { $0["name"]?.stringValue ?? "" } == ToolName.allCases.map(\.rawValue))
                let check = try #require(tools.first { $0["name"] == "check_availability" })
                #expect(check["http"]?["url"] == "{{BASE_URL}}/api/availability/check")
                #expect(check["http"]?["bodyTemplate"]?["restaurantId"] == "={{config.restaurantId}}")
                #expect(check["http"]?["headers"]?["Authorization"]?.stringValue?.hasPrefix("Bearer art_") == true)
                let stored: Restaurant? = try await Restaurant.find(app.restaurantId, on: app.database.db)
                #expect(stored?.agentId == luigi["id"]?.stringValue)
                // The token in the agent works for /api/ai, and only for its restaurant.
                let (status, _) = try await CallEmulator.http(.GET, url.replacingOccurrences(of: "{{callerPhone}}", with: "0612345678"))
                #expect(status == 200)

                // Second run: nothing created, nothing replaced.
                double.clearRequests()
                let second = try await p.provisionAll { _, _ in }
                #expect(second.allSatisfy { if case .unchanged = $0 { true } else { false } })
                #expect(double.requests.allSatisfy { $0.method == "GET" }, "\(double.requests.map { "\($0.method) \($0.path)" })")

                // A voice setting changes: the agent is updated in place, the tools are left alone.
                let sql = app.database.db
                let r = try #require(try await Restaurant.find(app.restaurantId, on: sql))
                r.aiVoice = "coral"
                try await r.save(on: sql)
                double.clearRequests()
                let third = await p.provision(app.restaurantId)
                #expect(third == .updated(agentId: luigi["id"]!.stringValue!, agentChanged: true, toolsChanged: false))
                #expect(double.requests.filter { $0.method != "GET" }.map(\.path) == ["/api/agents/\(luigi["id"]!.stringValue!)"])
                #expect(double.agents.count == 2)
                #expect(double.tools(of: luigi["id"]!.stringValue!).count == 12)

                // sip-agent-server failing or slow: a sentence in the outcome, the restaurant untouched.
                double.set(.failing)
                if case .failed(let why) = await p.provision(app.restaurantId) { #expect(why.contains("HTTP 500")) } else { Issue.record("expected a failure") }
                double.set(.slow(.seconds(3)))
                let slow = Self.provisioner(app, sipAgentServer: sas, publicURL: base, timeout: .seconds(1))
                if case .failed(let why) = await slow.provision(app.restaurantId) { #expect(why.contains("too slow")) } else { Issue.record("expected a timeout") }
                double.set(.up)
                let after: Restaurant? = try await Restaurant.find(app.restaurantId, on: app.database.db)
                #expect(after?.agentId == luigi["id"]?.stringValue)

                // Dry run: what would be sent, nothing sent.
                double.clearRequests()
                let dry = try await p.provisionAll(only: app.restaurantId, dryRun: true) { _, _ in }
                if case .planned(let agent, let t)? = dry.first {
                    // The token is masked in what a dry run prints.
                    #expect(agent["externalSessionUrl"]?.stringValue == url.components(separatedBy: "&token=")[0] + "&token=<agent token>")
                    #expect(!String(decoding: JSONWriter.encoded(t), as: UTF8.self).contains("art_"))
                    #expect(t.arrayValue?.count == 12)
                } else { Issue.record("expected a plan") }
                #expect(double.requests.isEmpty)
            }
        }
    }

    /// Provisions Chez Luigi in the double and returns an emulator bound to its agent.
    static func emulator(_ app: TestApp, _ double: SipAgentServerDouble, sas: String, base: String) async throws -> CallEmulator {
        let outcome = await provisioner(app, sipAgentServer: sas, publicURL: base).provision(app.restaurantId)
        guard case .created(let agentId, _) = outcome else { throw CallEmulator.Failure(description: "provisioning: \(outcome)") }
        let agent = try #require(double.agents.first { $0["id"]?.stringValue == agentId })
        return CallEmulator(agent: agent, tools: double.tools(of: agentId), baseURL: base)
    }

    @Test(arguments: TestDatabases.kinds)
    func wholeCallsThroughTheContract(_ kind: String) async throws {
        let double = SipAgentServerDouble(apiKey: "sas-key")
        try await double.run { sas in
            try await TestApp.live(kind) { app, base in
                let template = try await Self.emulator(app, double, sas: sas, base: base)

                // 1. A new caller orders a pickup: check, save the name, confirm; the time announced is the time kept.
                var call = template
                try await call.start(callerPhone: "0745454545", callId: "call-new")
                #expect(call.ctx["customer_id"] == .null)
                let check = try await call.call("check_availability", ["mode": "pickup", "order_item_count": 2])
                #expect(check["available"] == true)
                #expect(call.ctx["last_availability_check"] == check)
                let saved = try await call.call("save_customer_info", ["first_name": "Léa"])
                #expect(call.ctx["customer_name"] == "Léa" && call.ctx["customer_id"] == saved["id"])
                let order = try await call.call("confirm_order", ["order_type": "pickup", "items": [["id": 1, "quantity": 1], ["id": 8, "quantity": 1]], "total": 14])
                #expect(order["success"] == true)
                #expect(order["heure_estimee"] == check["estimatedTime"])
                let row: Order? = try await Order.query(on: app.database.db).filter(\.$callId == "call-new").first()
                #expect(row?.customerPhone == "+33745454545" && row?.customerName == "Léa")

                // 6. The same confirm_order re-issued after a barge-in: the first answer, one order.
                let again = try await call.call("confirm_order", ["order_type": "pickup", "items": [["id": 1, "quantity": 1], ["id": 8, "quantity": 1]], "total": 14])
                #expect(again == order)
                #expect(try await Order.query(on: app.database.db).filter(\.$callId == "call-new").count() == 1)

                // 4. Later, the caller asks where the order is, then cancels it.
                var status = template
                try await status.start(callerPhone: "+33 7 45 45 45 45", callId: "call-status")
                let found = try await status.call("check_order_status")
                #expect(found["found"] == true)
                let number = try #require(found["orders"]?.arrayValue?.first?["orderNumber"])
                let cancelled = try await status.call("cancel_order", ["order_number": number])
                #expect(cancelled["success"] == true)

                // 2. The known caller (Jean) has delivery to his saved address: no address asked, coordinates from the context.
                var jean = template
                try await jean.start(callerPhone: "0612345678", callId: "call-jean")
                #expect(jean.ctx["customer_name"] == "Jean")
                #expect(jean.session["greeting"]?.stringValue?.contains("Jean") == true)
                let delivery = try await jean.call("check_availability", ["mode": "delivery", "order_item_count": 3])
                #expect(delivery["available"] == true)
                #expect(delivery["deliveryDistanceKm"] != nil && delivery["deliveryDistanceKm"] != .null)
                let delivered = try await jean.call("confirm_order", ["order_type": "delivery", "items": [["id": 5, "quantity": 3]], "payment_method": "card"])
                #expect(delivered["success"] == true && delivered["mode"] == "livree")
                #expect(delivered["heure_estimee"] == delivery["estimatedTime"])

                // 3. A reservation, looked up, then cancelled.
                var table = template
                try await table.start(callerPhone: "0699887766", callId: "call-table")
                let seats = try await table.call("check_availability", ["mode": "reservation", "requested_time": "20:00", "party_size": 4])
                #expect(seats["available"] == true)
                let booked = try await table.call("confirm_reservation", [
                    "customer_name": "Marc", "party_size": 4, "reservation_time": seats["estimatedTimeISO"]!, "seating_preference": "terrasse",
                ])
                #expect(booked["success"] == true)
                let lookup = try await table.call("lookup_reservation")
                #expect(lookup["found"] == true)
                let rid = try #require(lookup["reservations"]?.arrayValue?.first?["id"])
                let gone = try await table.call("cancel_reservation", ["reservation_id": rid])
                #expect(gone["success"] == true)
                #expect(try await table.call("lookup_reservation")["found"] == false)

                // 5. A question the agent cannot answer is logged; the restaurant answers; the next call knows it.
                var curious = template
                try await curious.start(callerPhone: "0611223344", callId: "call-faq")
                let asked = try await curious.call("log_new_faq", ["question": "Avez-vous une chaise haute pour bébé ?", "category": "acces"])
                #expect(asked["success"] == true)
                let pending = try await CallEmulator.http(.GET, "\(base)/api/faq?restaurantId=\(app.id)&status=pending", headers: ["Authorization": "Bearer \(app.managementKey)"]).1
                let faq = try #require(pending["faqs"]?.arrayValue?.first { $0["question"]?.stringValue?.contains("chaise haute") == true })
                let answered = try await CallEmulator.http(.PATCH, "\(base)/api/faq", headers: ["Authorization": "Bearer \(app.managementKey)"],
                                                          body: ["restaurantId": .string(app.id), "id": faq["id"]!, "answer": "Oui, deux chaises hautes sont disponibles."])
                #expect(answered.0 == 200)
                var next = template
                try await next.start(callerPhone: "0611223344", callId: "call-faq-2")
                #expect(next.session["systemPrompt"]?.stringValue?.contains("Oui, deux chaises hautes sont disponibles.") == true)

                // Built-ins have no HTTP part; a leave_message goes through.
                #expect(try await next.call("end_call", ["reason": "termine"]) == ["success": true])
                #expect(try await next.call("leave_message", ["content": "Merci pour l'info", "caller_name": "Zoé"])["success"] == true)
            }
        }
    }

    @Test(arguments: TestDatabases.kinds)
    func endOfCallWebhookAndTheBridgeLines(_ kind: String) async throws {
        try await TestApp.live(kind, configure: { $0.serviceToken = "bridge-token-0123456789abcdef" }) { app, base in
            let record: JSONValue = [
                "callId": "sas-call-1", "finalContext": ["restaurant_id": .string(app.id), "caller_phone": "0612345678"],
                "durationMs": 95_400, "outcome": "completed", "tokens": ["input": 1200, "output": 800], "costs": ["usd": 0.42, "local": 0.39],
                "transcriptSummary": "Commande d'une margherita.",
            ]
            let auth = ["Authorization": "Bearer \(app.token)"]
            let first = try await CallEmulator.http(.POST, "\(base)/api/calls", headers: auth, body: record)
            #expect(first.0 == 201 && first.1["duplicate"] == false)
            let again = try await CallEmulator.http(.POST, "\(base)/api/calls", headers: auth, body: record)
            #expect(again.0 == 200 && again.1["duplicate"] == true && again.1["id"] == first.1["id"])
            let noAuth = try await CallEmulator.http(.POST, "\(base)/api/calls", body: record)
            #expect(noAuth.0 == 401)
            let list = try await CallEmulator.http(.GET, "\(base)/api/calls?restaurantId=\(app.id)", headers: ["Authorization": "Bearer \(app.managementKey)"]).1
            let call = try #require(list["calls"]?.arrayValue?.first)
            #expect(list["calls"]?.arrayValue?.count == 1)
            #expect(call["durationSec"] == 95 && call["callerPhone"] == "+33612345678" && call["outputTokens"] == 800 && call["costUsd"] == 0.42)
            #expect(call["transcriptSummary"] == "Commande d'une margherita.")

            // The SIP bridge's lines: service token only, decrypted credentials of active restaurants.
            let bridge = try await CallEmulator.http(.GET, "\(base)/api/sip/agents", headers: ["Authorization": "Bearer bridge-token-0123456789abcdef"])
            #expect(bridge.0 == 200)
            let line = try #require(bridge.1["agents"]?.arrayValue?.first)
            #expect(line["restaurantId"]?.stringValue == app.id)
            #expect(line["sip"]?["password"]?.stringValue == DemoRestaurant.linePassword)
            #expect(try await CallEmulator.http(.GET, "\(base)/api/sip/agents", headers: auth).0 == 401)
            #expect(try await CallEmulator.http(.GET, "\(base)/api/sip/agents").0 == 401)
        }
    }
}
