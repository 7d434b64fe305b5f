import AlloRestoCore
import AlloRestoServer
import AlloRestoStore
import AlloRestoTestSupport
import FluentKit
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOConcurrencyHelpers
import NIOCore
import SipAgentServerDouble
import Testing

/// Provisioning against the independent sip-agent-server double (written from the original AlloResto's public
/// sources), and whole calls played by the independent emulator through the provisioned ToolConfigs against a live
/// AlloResto (real HTTP), on SQLite and PostgreSQL.
@Suite struct SipAgentIntegrationTests {
    static func provisioner(_ app: TestApp, sipAgentServer: String, publicURL: String, timeout: TimeAmount = .seconds(10)) -> Provisioner {
        Provisioner(database: app.database, cipher: app.services.cipher, publicURL: publicURL,
                    api: SipAgentServerClient(baseURL: sipAgentServer, apiKey: "sas-key", timeout: timeout), logger: Logger(label: "test"))
    }

    static func isCreated(_ o: Provisioner.Outcome) -> Bool { if case .created(_, 12) = o { true } else { false } }

    @Test(arguments: TestDatabases.kinds)
    func provisioningFollowsTheOriginalSequenceThenOnlyReads(_ kind: String) async throws {
        let double = SipAgentServer(apiKey: "sas-key")
        try await double.run { sas in
            try await TestApp.live(kind) { app, base in
                // A second restaurant created while sip-agent-server is down.
                let imported = try await RestaurantImporter.write(try RestaurantImport.parse(Data(DemoRestaurant.importDocument.replacingOccurrences(of: "Chez Luigi", with: "Chez Mario").replacingOccurrences(of: "+33142601234", with: "+33142601299").utf8)), on: app.database.db)
                let down = Self.provisioner(app, sipAgentServer: "http://127.0.0.1:9", publicURL: base, timeout: .seconds(1))
                let failed = try await down.provisionAll { _, _ in }
                #expect(failed.count == 2 && failed.allSatisfy(\.failed))
                #expect(try await Restaurant.find(imported.restaurantId, on: app.database.db)?.agentId == nil)

                // The operator made the account and its plans in sip-agent-server: an option, an inactive base plan, the base plan.
                let p = Self.provisioner(app, sipAgentServer: sas, publicURL: base)
                let accountId = try await p.ensureAccount()
                double.addPlan(accountId: accountId, name: "Option SMS", isOption: true, sortOrder: 0)
                double.addPlan(accountId: accountId, name: "Ancien", isActive: false, sortOrder: 1)
                let basePlan = double.addPlan(accountId: accountId, name: "Starter", sortOrder: 2)
                double.clearRequests()

                // First run: per restaurant a final customer (subscribed), an agent, its phone line and 12 tools.
                let first = try await p.provisionAll { _, _ in }
                #expect(first.count == 2 && first.allSatisfy(Self.isCreated), "\(first)")
                let state = double.snapshot
                #expect(state.accounts.count == 1)
                #expect(state.finalCustomers.count == 2 && state.subscriptions.count == 2)
                #expect(state.subscriptions.allSatisfy { $0["planId"]?.string == basePlan })
                let luigi = try #require(double.agents.first { $0["config"]?["restaurantId"]?.string == app.id })
                let agentId = try #require(luigi["id"]?.string)
                let luigiCalls = double.requests.map(\.description).filter { !$0.contains("agent_") || $0.contains(agentId) }
                #expect(luigiCalls.filter { $0.hasPrefix("POST") }.prefix(4) == ["POST /api/final-customers", "POST /api/final-customers/\(state.finalCustomers[0]["id"]!.string!)/subscriptions", "POST /api/agents", "POST /api/agents/\(agentId)/phone-lines"])
                #expect(luigi["aiVoice"] == "sage" && luigi["timezone"] == "Europe/Paris" && luigi["transportType"] == "sip_bridge")
                #expect(luigi["name"] == "Chez Luigi" && luigi["apiBaseUrl"] == .string(base) && luigi["basePrompt"] == "={{data.systemPrompt}}")
                #expect(luigi["aiModel"] == "gpt-realtime" && luigi["maxCallDurationSec"] == 600 && luigi["vadSilenceMs"] == 500)
                #expect(luigi["finalCustomerId"] == state.finalCustomers.first { $0["name"] == "Chez Luigi" }?["id"])
                #expect(luigi["config"] == ["restaurantId": .string(app.id), "deliveryEnabled": true, "reservationEnabled": true, "orderStatusEnabled": true, "transferEnabled": true])
                let session = try #require(luigi["externalSessionUrl"]?.string)
                #expect(session.hasPrefix("=\(base)/api/ai?restaurantId={{config.restaurantId}}&callerPhone={{callerPhone}}&token=art_"))
                #expect(luigi["onCallEndWebhook"]?.string?.hasPrefix("={{BASE_URL}}/api/calls") == true)
                let line = try #require(double.phoneLines(of: agentId).first)
                #expect(line["phoneNumber"] == "+33142601234" && line["provider"] == "sip" && line["sipDomain"] == "sip.chezluigi.example")
                #expect(double.linePassword(line["id"]!.string!) == .some(DemoRestaurant.linePassword))
                let tools = double.tools(of: agentId)
                #expect(tools.map { $0["name"]?.string ?? "" } == ToolName.allCases.map(\.rawValue))
                let status = try #require(tools.first { $0["name"] == "check_order_status" })
                #expect(status["http"]?["url"] == "={{BASE_URL}}/api/orders/status?restaurantId={{config.restaurantId}}&phone={{ctx.caller_phone}}")
                #expect(status["http"]?["headers"]?["Authorization"]?.string?.hasPrefix("Bearer art_") == true)
                // What was created is kept: ids, and the agent's own tokens sealed (never in clear).
                #expect(try await Restaurant.find(app.restaurantId, on: app.database.db)?.agentId == agentId)
                let link = try await SipAgentLink.of(app.restaurantId, on: app.database.db)
                #expect(link.agentId == agentId && link.finalCustomerId == luigi["finalCustomerId"]?.string && link.phoneLineId == line["id"]?.string)
                let apiToken = try #require(luigi["apiToken"]?.string)
                #expect(link.agentApiToken?.contains(apiToken) == false)
                #expect(try await p.agentAPIToken(for: app.restaurantId) == apiToken)
                #expect(try await Restaurant.find(imported.restaurantId, on: app.database.db)?.agentId != nil)

                // Second run: only reads.
                double.clearRequests()
                let second = try await p.provisionAll { _, _ in }
                #expect(second.allSatisfy { if case .unchanged = $0 { true } else { false } }, "\(second)")
                #expect(double.writes.isEmpty, "\(double.writes)")
                // In the background (after a write that changed nothing it holds): not even a read.
                double.clearRequests()
                #expect(await p.provision(app.restaurantId, verify: false) == .unchanged(agentId: agentId))
                #expect(double.requests.isEmpty, "\(double.requests)")

                // A voice change is one PUT /api/agents/:id with that field only.
                let r = try #require(try await Restaurant.find(app.restaurantId, on: app.database.db))
                r.aiVoice = "coral"
                try await r.save(on: app.database.db)
                double.clearRequests()
                #expect(await p.provision(app.restaurantId, verify: false) == .updated(agentId: agentId, changed: ["agent: aiVoice"]))
                #expect(double.writes.map(\.description) == ["PUT /api/agents/\(agentId)"])
                #expect(double.writes.first?.body == ["aiVoice": "coral"])
                #expect(double.agents.count == 2 && double.tools(of: agentId).count == 12)

                // A new SIP password: the line is updated in place (matched by its number), nothing else.
                let sip = try #require(try await PhoneLine.query(on: app.database.db).filter(\.$restaurant.$id == app.restaurantId).first())
                sip.sipPassword = try app.services.cipher.encrypt("n0uveau-secret", lineId: sip.id!.uuidString.lowercased())
                try await sip.save(on: app.database.db)
                double.clearRequests()
                #expect(await p.provision(app.restaurantId) == .updated(agentId: agentId, changed: ["phone line"]))
                #expect(double.writes.map(\.description) == ["PUT /api/agents/\(agentId)/phone-lines/\(line["id"]!.string!)"])
                #expect(double.linePassword(line["id"]!.string!) == "n0uveau-secret" && double.phoneLines(of: agentId).count == 1)

                // --push-brain: one PUT /api/agents/:id/brain per agent, the tools replaced, never duplicated.
                double.clearRequests()
                let pushed = try await p.provisionAll(pushBrain: true) { _, _ in }
                #expect(pushed.allSatisfy { if case .updated(_, ["brain"]) = $0 { true } else { false } }, "\(pushed)")
                #expect(double.writes.map(\.method) == ["PUT", "PUT"] && double.writes.allSatisfy { $0.path.hasSuffix("/brain") })
                #expect(double.tools(of: agentId).count == 12)
                #expect(double.agent(agentId)?["brainVersion"] == .string(AgentToolConfigs.brainVersion))

                // sip-agent-server failing or slow: a sentence in the outcome, the restaurant untouched.
                double.set(.failing)
                if case .failed(let why) = await p.provision(app.restaurantId) { #expect(why.contains("HTTP 500")) } else { Issue.record("expected a failure") }
                double.set(.slow(.seconds(3)))
                let slow = Self.provisioner(app, sipAgentServer: sas, publicURL: base, timeout: .seconds(1))
                if case .failed(let why) = await slow.provision(app.restaurantId) { #expect(why.contains("too slow")) } else { Issue.record("expected a timeout") }
                double.set(.up)
                #expect(try await Restaurant.find(app.restaurantId, on: app.database.db)?.agentId == agentId)

                // Dry run: what would be sent, nothing sent, no secret shown.
                double.clearRequests()
                let dry = try await p.provisionAll(only: app.restaurantId, dryRun: true) { _, _ in }
                if case .planned(let agent, let brain)? = dry.first {
                    #expect(agent["externalSessionUrl"]?.stringValue == session.components(separatedBy: "&token=")[0] + "&token=<secret>")
                    #expect(!String(decoding: JSONWriter.encoded(brain), as: UTF8.self).contains("art_"))
                    #expect(brain["tools"]?.arrayValue?.count == 12)
                } else { Issue.record("expected a plan") }
                #expect(double.requests.isEmpty)
            }
        }
    }

    /// A lost agent id (a database restore) finds the agent again by its restaurant; a lost link keeps the final customer.
    @Test func aLostAgentIdIsFoundByItsRestaurantNotDuplicated() async throws {
        let double = SipAgentServer()
        try await double.run { sas in
            try await TestApp.live { app, base in
                let p = Self.provisioner(app, sipAgentServer: sas, publicURL: base)
                #expect(Self.isCreated(await p.provision(app.restaurantId)))
                try await SipAgentLink.query(on: app.database.db).delete()
                try await Restaurant.query(on: app.database.db).set(\.$agentId, to: nil).update()
                double.clearRequests()
                let again = await p.provision(app.restaurantId)
                // Without the digests it cannot know the line and the tools are right: each is sent once, in place.
                guard case .updated(let id, let changed) = again else { Issue.record("\(again)"); return }
                #expect(changed == ["phone line", "brain"])
                #expect(double.writes.map(\.method) == ["PUT", "PUT"])
                #expect(double.agents.count == 1 && double.snapshot.finalCustomers.count == 1 && double.tools(of: id).count == 12)
                let link = try await SipAgentLink.of(app.restaurantId, on: app.database.db)
                #expect(link.agentId == id && link.finalCustomerId == double.agents[0]["finalCustomerId"]?.string)
                #expect(try await Restaurant.find(app.restaurantId, on: app.database.db)?.agentId == id)
                double.clearRequests()
                #expect(await p.provision(app.restaurantId) == .unchanged(agentId: id))
            }
        }
    }

    /// Provisions Chez Luigi in the double and returns an emulator bound to its agent.
    static func emulator(_ app: TestApp, _ double: SipAgentServer, sas: String, base: String) async throws -> CallEmulator {
        let outcome = await provisioner(app, sipAgentServer: sas, publicURL: base).provision(app.restaurantId)
        guard case .created(let agentId, _) = outcome else { throw LiveHTTP.Failure(description: "provisioning: \(outcome)") }
        return try CallEmulator(server: double, agentId: agentId)
    }

    @Test(arguments: TestDatabases.kinds)
    func wholeCallsThroughTheContract(_ kind: String) async throws {
        let double = SipAgentServer(apiKey: "sas-key")
        try await double.run { sas in
            try await TestApp.live(kind) { app, base in
                let template = try await Self.emulator(app, double, sas: sas, base: base)

                // 1. A new caller orders a pickup: check, save the name, confirm; the time announced is the time kept.
                var call = template
                try await call.start(callerPhone: "+33745454545", callId: "call-new")
                #expect(call.prompt.contains("Chez Luigi"))
                #expect(call.ctx["customer_id"] == .null)
                // The tools offered are the ones the session configuration announces.
                let announced = Set(call.session["tools"]?.array?.compactMap { $0["name"]?.string } ?? [])
                #expect(announced == Set(template.tools.keys.filter(call.offers)))
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
                // The end of the call reaches the call log through onCallEndWebhook.
                let ended = try await call.end(callId: "call-new", durationMs: 95_400)
                #expect(ended.0 == 201 && ended.1["ok"] == true)
                #expect(try await CallRecord.query(on: app.database.db).filter(\.$callId == "call-new").first()?.durationSec == 95)

                // 4. Later, the caller asks where the order is, then cancels it (the caller's number in the URL, + kept).
                var status = template
                try await status.start(callerPhone: "+33745454545", callId: "call-status")
                let found = try await status.call("check_order_status")
                #expect(found["found"] == true, "\(found)")
                #expect(status.log.last?.url.contains("restaurantId=\(app.id)&phone=+33745454545") == true)
                let number = try #require(found["orders"]?.array?.first?["orderNumber"])
                let cancelled = try await status.call("cancel_order", ["order_number": number])
                #expect(cancelled["success"] == true)

                // 2. The known caller (Jean) has delivery to his saved address: no address asked, coordinates from the context.
                var jean = template
                try await jean.start(callerPhone: "0612345678", callId: "call-jean")
                #expect(jean.ctx["customer_name"] == "Jean")
                #expect(jean.session["greeting"]?.string?.contains("Jean") == true)
                let delivery = try await jean.call("check_availability", ["mode": "delivery", "order_item_count": 3])
                #expect(delivery["available"] == true)
                #expect(delivery["deliveryDistanceKm"] != nil && delivery["deliveryDistanceKm"] != .null)
                let delivered = try await jean.call("confirm_order", ["order_type": "delivery", "items": [["id": 5, "quantity": 3]], "payment_method": "card"])
                #expect(delivered["success"] == true && delivered["mode"] == "livree", "\(delivered)")
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
                let rid = try #require(lookup["reservations"]?.array?.first?["id"])
                let gone = try await table.call("cancel_reservation", ["reservation_id": rid])
                #expect(gone["success"] == true)
                #expect(try await table.call("lookup_reservation")["found"] == false)

                // 5. A question the agent cannot answer is logged; the restaurant answers; the next call knows it.
                var curious = template
                try await curious.start(callerPhone: "0611223344", callId: "call-faq")
                let asked = try await curious.call("log_new_faq", ["question": "Avez-vous une chaise haute pour bébé ?", "category": "acces"])
                #expect(asked["success"] == true)
                let pending = try await LiveHTTP.call(.GET, "\(base)/api/faq?restaurantId=\(app.id)&status=pending", headers: ["Authorization": "Bearer \(app.managementKey)"]).1
                let faq = try #require(pending["faqs"]?.arrayValue?.first { $0["question"]?.stringValue?.contains("chaise haute") == true })
                let answered = try await LiveHTTP.call(.PATCH, "\(base)/api/faq", headers: ["Authorization": "Bearer \(app.managementKey)", "Content-Type": "application/json"],
                                                       body: ["restaurantId": .string(app.id), "id": faq["id"]!, "answer": "Oui, deux chaises hautes sont disponibles."])
                #expect(answered.0 == 200)
                var next = template
                try await next.start(callerPhone: "0611223344", callId: "call-faq-2")
                #expect(next.prompt.contains("Oui, deux chaises hautes sont disponibles."))

                // Built-ins have no HTTP part: they act in the voice server. A leave_message goes through.
                #expect(try await next.call("leave_message", ["content": "Merci pour l'info", "caller_name": "Zoé", "category": "other"])["success"] == true)
                #expect(try await next.call("end_call") == ["success": true] && next.hungUp)
            }
        }
    }

    /// The double refuses what the real API has no place for, and the emulator what its grammar does not say:
    /// the mistakes this contract once had fail here.
    @Test func theDoubleAndTheEmulatorRefuseWhatTheContractLacks() async throws {
        let double = SipAgentServer()
        try await double.run { sas in
            let account = try await LiveHTTP.call(.POST, sas + "/api/accounts", body: ["name": "AlloResto", "email": "a@b.c", "isActive": true])
            #expect(account.0 == 201)
            let accountId = try #require(account.1["id"])
            // The agent fields of our old contract do not exist there.
            let old = try await LiveHTTP.call(.POST, sas + "/api/agents", body: ["accountId": accountId, "name": "x", "voice": "sage", "webhookUrl": "http://x"])
            #expect(old.0 == 400 && old.1["error"]?.stringValue?.contains("voice") == true)
            let agent = try await LiveHTTP.call(.POST, sas + "/api/agents", body: ["accountId": accountId, "name": "x", "aiVoice": "sage", "transportType": "sip_bridge"])
            #expect(agent.0 == 201)
            let id = try #require(agent.1["id"]?.stringValue)
            // No PUT on the tools; a ToolConfig with a queryTemplate is not a ToolConfig.
            #expect(try await LiveHTTP.call(.PUT, sas + "/api/agents/\(id)/tools", body: []).0 == 405)
            let tool: JSONValue = ["name": "check_order_status", "parameters": ["type": "object"], "http": ["method": "GET", "url": "={{BASE_URL}}/api/orders/status", "queryTemplate": ["phone": "={{ctx.caller_phone}}"]]]
            #expect(try await LiveHTTP.call(.POST, sas + "/api/agents/\(id)/tools", body: tool).0 == 400)
            #expect(try await LiveHTTP.call(.GET, sas + "/api/nothing-here").0 == 404)
            // A URL that is not an = expression is a literal: "{{BASE_URL}}" is sent as written, not an http URL.
            let literal: JSONValue = ["name": "t", "parameters": ["type": "object"], "http": ["method": "GET", "url": "{{BASE_URL}}/api/faq"]]
            #expect(try await LiveHTTP.call(.POST, sas + "/api/agents/\(id)/tools", body: literal).0 == 201)
            var call = try CallEmulator(server: double, agentId: id)
            await #expect(throws: CallEmulator.Failure.self) { try await call.call("t") }
            // A placeholder with a root the grammar has not is a mistake, not an empty string.
            let ai = Template(["$ai": .some(.object(["n": 4]))])
            #expect(throws: Template.Mistake.self) { try ai.evaluate("={{restaurantId}}") }
            #expect(try ai.evaluate("={{$ai.n}}") == 4)
            #expect(try ai.evaluate("=Table pour {{$ai.n}}") == "Table pour 4")
            #expect(try ai.evaluate("={{$ai.missing}}") == nil)
            #expect(try Template([:]).evaluate("{{BASE_URL}}") == "{{BASE_URL}}")
        }
    }

    /// The double and the emulator are written from the contract: no module of the product is imported there.
    @Test func theDoubleImportsNoProductionModule() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("SipAgentServerDouble")
        let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil).filter { $0.pathExtension == "swift" }
        #expect(files.count >= 4)
        let product = ["WireFormats", "AlloRestoCore", "AlloRestoStore", "AlloRestoServer", "AlloRestoTestSupport", "SIPCore", "SIPBridge", "RedisClient", "alloresto"]
        for file in files {
            let imports = try String(contentsOf: file, encoding: .utf8).split(separator: "\n").filter { $0.hasPrefix("import ") || $0.hasPrefix("@testable import ") }
            for line in imports { #expect(!product.contains { line.hasSuffix(" " + $0) }, "\(file.lastPathComponent): \(line)") }
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
            let first = try await LiveHTTP.call(.POST, "\(base)/api/calls", headers: auth, body: record)
            #expect(first.0 == 201 && first.1["duplicate"] == false && first.1["ok"] == true)
            let again = try await LiveHTTP.call(.POST, "\(base)/api/calls", headers: auth, body: record)
            #expect(again.0 == 200 && again.1["duplicate"] == true && again.1["id"] == first.1["id"])
            #expect(try await LiveHTTP.call(.POST, "\(base)/api/calls", body: record).0 == 401)
            // The original's body: restaurantId at the top, the token in the webhook URL, a bare fetch's text/plain, no callId.
            let bare = try await LiveHTTP.call(.POST, "\(base)/api/calls?token=\(app.token)", headers: ["Content-Type": "text/plain;charset=UTF-8"],
                                               body: ["restaurantId": .string(app.id), "durationMs": 1000])
            #expect(bare.0 == 201, "\(bare)")
            let bareAgain = try await LiveHTTP.call(.POST, "\(base)/api/calls?token=\(app.token)", body: ["restaurantId": .string(app.id), "durationMs": 1000])
            #expect(bareAgain.1["duplicate"] == true)
            // Neither restaurantId nor finalContext.restaurant_id: 400, as the original.
            let none = try await LiveHTTP.call(.POST, "\(base)/api/calls", headers: auth, body: ["callId": "x", "durationMs": 1000])
            #expect(none.0 == 400 && none.1["code"] == "missing_restaurant_id")
            let list = try await LiveHTTP.call(.GET, "\(base)/api/calls?restaurantId=\(app.id)", headers: ["Authorization": "Bearer \(app.managementKey)"]).1
            #expect(list["calls"]?.arrayValue?.count == 2)
            let call = try #require(list["calls"]?.arrayValue?.first { $0["callId"] == "sas-call-1" })
            #expect(call["durationSec"] == 95 && call["callerPhone"] == "+33612345678" && call["outputTokens"] == 800 && call["costUsd"] == 0.42)
            #expect(call["transcriptSummary"] == "Commande d'une margherita.")

            // The SIP bridge's lines: service token only, decrypted credentials of active restaurants.
            let bridge = try await LiveHTTP.call(.GET, "\(base)/api/sip/agents", headers: ["Authorization": "Bearer bridge-token-0123456789abcdef"])
            #expect(bridge.0 == 200)
            let line = try #require(bridge.1["agents"]?.arrayValue?.first)
            #expect(line["restaurantId"]?.stringValue == app.id)
            #expect(line["sip"]?["password"]?.stringValue == DemoRestaurant.linePassword)
            #expect(try await LiveHTTP.call(.GET, "\(base)/api/sip/agents", headers: auth).0 == 401)
            #expect(try await LiveHTTP.call(.GET, "\(base)/api/sip/agents").0 == 401)
        }
    }

    /// The bridge's incoming-call hook answered by AlloResto (`POST /api/sip/incoming`, service token as `?token=` —
    /// the original bridge sends no header — or Bearer): the dialed number routes to its restaurant in whatever form
    /// the trunk writes it (national, E.164 in a SIP URI with `user=phone`, the line's username), a caller blocked
    /// by one restaurant is refused there with 603 and still reaches the other, a switched-off restaurant is 480,
    /// an unknown number is accepted without override; no token, a wrong one or an agent token is 401.
    @Test(arguments: TestDatabases.kinds)
    func theIncomingCallHookRoutesByDialedNumberAndRefusesBlockedCallers(_ kind: String) async throws {
        let clock = NIOLockedValueBox(TestApp.fixedNow)
        try await TestApp.live(kind, now: { clock.withLockedValue { $0 } }, configure: { $0.serviceToken = "bridge-token-0123456789abcdef" }) { app, base in
            let mario = try await RestaurantImporter.write(try RestaurantImport.parse(Data(DemoRestaurant.importDocument.replacingOccurrences(of: "Chez Luigi", with: "Chez Mario").replacingOccurrences(of: "+33142601234", with: "+33142601299").utf8)), on: app.database.db).restaurantId
            let marioId = mario.uuidString.lowercased()
            let hook = "\(base)/api/sip/incoming?token=bridge-token-0123456789abcdef"
            func ask(_ from: String, _ to: String) async throws -> JSONValue {
                let (code, answer) = try await LiveHTTP.call(.POST, hook, body: ["from": .string(from), "to": .string(to), "timestamp": "2026-12-01T12:00:00Z"])
                #expect(code == 200, "\(answer)")
                return answer
            }
            #expect(try await LiveHTTP.call(.POST, "\(base)/api/sip/incoming", body: ["from": "0612345678", "to": "0142601234"]).0 == 401)
            #expect(try await LiveHTTP.call(.POST, "\(base)/api/sip/incoming?token=wrong-token-0123456789abcdef", body: ["to": "0142601234"]).0 == 401)
            #expect(try await LiveHTTP.call(.POST, "\(base)/api/sip/incoming", headers: ["Authorization": "Bearer \(app.token)"], body: ["to": "0142601234"]).0 == 401)
            #expect(try await LiveHTTP.call(.POST, hook, body: ["from": "0612345678"]).0 == 422)

            let luigi = try await ask("0612345678", "0142601234")
            #expect(luigi["action"] == "accept" && luigi["customParams"]?["restaurantId"]?.stringValue == app.id && luigi["customParams"]?["restaurantName"] == "Chez Luigi")
            let toMario = try await ask("0612345678", "sip:+33142601299@trunk.example;user=phone")
            #expect(toMario["action"] == "accept" && toMario["customParams"]?["restaurantId"]?.stringValue == marioId)
            #expect(try await ask("0612345678", "chezluigi")["customParams"]?["restaurantId"]?.stringValue == app.id, "the line's username")
            let byHeader = try await LiveHTTP.call(.POST, "\(base)/api/sip/incoming", headers: ["Authorization": "Bearer bridge-token-0123456789abcdef"],
                                                   body: ["from": "0612345678", "to": "+33 1 42 60 12 99"])
            #expect(byHeader.1["customParams"]?["restaurantId"]?.stringValue == marioId)
            let byKey = try await LiveHTTP.call(.POST, "\(base)/api/sip/incoming", headers: ["X-API-Key": "bridge-token-0123456789abcdef"],
                                                body: ["from": "0612345678", "to": "0142601234"])
            #expect(byKey.1["customParams"]?["restaurantId"]?.stringValue == app.id)

            let blocked = try await LiveHTTP.call(.POST, "\(base)/api/blocked-phones", headers: ["Authorization": "Bearer \(app.managementKey)"],
                                                  body: ["restaurantId": .string(app.id), "phone": "06 12 34 56 78", "reason": "canulars"])
            #expect(blocked.0 == 201)
            let refused = try await ask("+33612345678", "0142601234")
            #expect(refused["action"] == "reject" && refused["statusCode"] == 603)
            #expect(try await ask("+33612345678", "0142601299")["action"] == "accept", "blocked at Luigi's only")
            #expect(try await ask("anonymous", "0142601234")["action"] == "accept", "a hidden number is not a blocked one")

            let unknown = try await ask("0612345678", "0999999999")
            #expect(unknown["action"] == "accept" && unknown["customParams"] == nil)
            let off = try #require(try await Restaurant.find(mario, on: app.database.db))
            off.isActive = false
            try await off.save(on: app.database.db)
            // The numbers are read at most every 30 s: the change is seen after that.
            #expect(try await ask("0611111111", "0142601299")["action"] == "accept")
            clock.withLockedValue { $0 += 31 }
            let closed = try await ask("0611111111", "0142601299")
            #expect(closed["action"] == "reject" && closed["statusCode"] == 480)
        }
    }

    /// `POST /api/admin/push-brain`, the original's admin route: admins only, `{success, failed}`.
    @Test func pushBrainFromTheAdminRoute() async throws {
        let double = SipAgentServer()
        try await double.run { sas in
            try await TestApp.live(configure: { $0.sipAgentServerURL = sas }) { app, base in
                let agentId: String
                if case .created(let id, _) = await app.services.provisioner.provision(app.restaurantId) { agentId = id } else { Issue.record("not created"); return }
                _ = try await AdminAccounts.createOrUpdate(email: "ops@alloresto.test", password: "correct horse battery", cost: 4, on: app.database)
                let cookie = try await Browser.login(base: base, email: "ops@alloresto.test", password: "correct horse battery")
                double.clearRequests()
                #expect(try await LiveHTTP.call(.POST, base + "/api/admin/push-brain", headers: ["Authorization": "Bearer \(app.managementKey)"]).0 == 403)
                #expect(double.writes.isEmpty)
                let pushed = try await LiveHTTP.call(.POST, base + "/api/admin/push-brain", headers: ["Cookie": cookie, "Origin": base])
                #expect(pushed.0 == 200 && pushed.1["success"] == 1 && pushed.1["failed"] == 0, "\(pushed)")
                #expect(double.writes.map(\.description) == ["PUT /api/agents/\(agentId)/brain"])
            }
        }
    }
}
