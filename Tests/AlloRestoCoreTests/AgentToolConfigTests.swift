import AlloRestoCore
import Foundation
import Testing

@Suite struct AgentToolConfigTests {
    @Test func twelveToolsWithTheCatalogSchemasAndTheToken() {
        let defs = AgentToolConfigs.definitions(token: "art_secret")
        #expect(defs.map(\.name) == ToolName.allCases.map(\.rawValue))
        let catalog = Dictionary(uniqueKeysWithValues: ToolCatalog.tools(for: .all).map { ($0.name, $0.parameters) })
        for d in defs {
            #expect(d.parameters == catalog[d.name], "\(d.name) schema differs from /api/ai's")
            if d.type == "http_api" {
                #expect(d.http?.headers["Authorization"] == "Bearer art_secret")
                #expect(d.http?.url.hasPrefix("{{BASE_URL}}/api/") == true)
            } else {
                #expect(d.http == nil)
            }
        }
        #expect(defs.filter { $0.type == "built_in" }.map(\.name) == ["transfer_call", "end_call"])
        #expect(defs.first { $0.name == "end_call" }?.triggersHangup == true)
        #expect(defs.first { $0.name == "transfer_call" }?.triggersTransfer == true)
        #expect(defs.first { $0.name == "check_availability" }?.contextUpdates["last_availability_check"] == "={{$res}}")
        #expect(defs.first { $0.name == "save_customer_info" }?.contextUpdates == ["customer_id": "={{$res.id}}", "customer_name": "={{$res.firstName}}"])
        #expect(defs.first { $0.name == "confirm_reservation" }?.condition?.configKey == "reservationEnabled")
    }

    @Test func templatesKeepJSONTypesForWholeValuesAndDropUndefined() {
        let t = ToolTemplate(
            ai: ["items": [["id": 3, "quantity": 2]], "requested_time": "19:30", "party_size": 4],
            ctx: ["item_map": ["3": ["id": "u", "name": "Margherita"]], "caller_phone": "+33612345678", "customer_id": .null],
            config: ["restaurantId": "r-1", "reservationEnabled": true, "deliveryEnabled": false],
            res: ["customerLat": 48.85, "id": "c-9"], baseURL: "http://127.0.0.1:3000")
        let body = t.evaluate([
            "restaurantId": "={{config.restaurantId}}", "items": "={{$ai.items}}", "partySize": "={{$ai.party_size}}",
            "map": "={{ctx.item_map}}", "customerId": "={{ctx.customer_id}}", "missing": "={{$ai.notes}}",
            "label": "=Table pour {{$ai.party_size}} à {{$ai.requested_time}}", "status": "cancelled",
        ])
        #expect(body == [
            "restaurantId": "r-1", "items": [["id": 3, "quantity": 2]], "partySize": 4, "map": ["3": ["id": "u", "name": "Margherita"]],
            "customerId": .null, "label": "Table pour 4 à 19:30", "status": "cancelled",
        ])
        #expect(t.interpolate("{{BASE_URL}}/api/faq") == "http://127.0.0.1:3000/api/faq")
        #expect(t.evaluate("={{$res.customerLat}}") == 48.85)
        #expect(t.evaluate("={{$res.nothing}}") == nil)
        #expect(t.holds(["configKey": "reservationEnabled", "operator": "truthy"]))
        #expect(!t.holds(["configKey": "deliveryEnabled", "operator": "truthy"]))
        #expect(t.holds(["configKey": "deliveryEnabled", "operator": "falsy"]))
        #expect(t.holds(["configKey": "restaurantId", "operator": "eq", "value": "r-1"]))
        #expect(t.holds(["configKey": "restaurantId", "operator": "neq", "value": "r-2"]))
        #expect(t.holds(nil))
    }
}
