import AlloRestoCore
import Foundation
import Testing

@Suite struct AgentToolConfigTests {
    /// The real ToolConfig schema (the original AlloResto's `sip-agent-tool-definitions.ts`), nothing else.
    static let schema: Set<String> = [
        "name", "description", "parameters", "http", "contextUpdates", "condition", "extraCostResponseField",
        "triggersHangup", "triggersTransfer", "mutesClientAudio", "skipResponseCreate", "isEnabled", "sortOrder",
    ]

    @Test func twelveToolsInTheRealSchemaWithTheCatalogSchemasAndTheToken() {
        let defs = AgentToolConfigs.definitions(token: "art_secret")
        #expect(defs.map(\.name) == ToolName.allCases.map(\.rawValue))
        #expect(defs.map(\.sortOrder) == Array(1...12))
        let catalog = Dictionary(uniqueKeysWithValues: ToolCatalog.tools(for: .all).map { ($0.name, $0.parameters) })
        for d in defs {
            #expect(d.parameters == catalog[d.name], "\(d.name) schema differs from /api/ai's")
            let json = d.json.objectValue ?? [:]
            #expect(Set(json.keys) == Self.schema, "\(d.name): \(Set(json.keys).symmetricDifference(Self.schema))")
            #expect(d.brainJSON.objectValue?["isEnabled"] == nil)
            guard let http = json["http"]?.objectValue else { continue }
            #expect(Set(http.keys) == ["method", "url", "bodyTemplate", "headers"], "\(d.name): \(http.keys.sorted())")
            #expect(d.http?.headers["Authorization"] == "Bearer art_secret")
            #expect(d.http?.url.hasPrefix("={{BASE_URL}}/api/") == true, "\(d.name): the URL must be an = expression")
        }
        #expect(defs.filter { $0.http == nil }.map(\.name) == ["transfer_call", "end_call"])
        let end = defs.first { $0.name == "end_call" }
        #expect(end?.triggersHangup == true && end?.skipResponseCreate == true && end?.mutesClientAudio == true)
        #expect(defs.first { $0.name == "transfer_call" }?.triggersTransfer == true)
        #expect(defs.first { $0.name == "check_availability" }?.contextUpdates?["last_availability_check"] == "={{$res}}")
        #expect(defs.first { $0.name == "save_customer_info" }?.contextUpdates == ["customer_id": "={{$res.id}}", "customer_name": "={{$res.firstName}}"])
        #expect(defs.first { $0.name == "confirm_reservation" }?.condition?.configKey == "reservationEnabled")
        // Query parameters live in the URL template; a GET carries no body.
        let status = defs.first { $0.name == "check_order_status" }?.http
        #expect(status?.method == "GET" && status?.bodyTemplate == nil)
        #expect(status?.url == "={{BASE_URL}}/api/orders/status?restaurantId={{config.restaurantId}}&phone={{ctx.caller_phone}}")
        #expect(defs.first { $0.name == "lookup_reservation" }?.http?.url
            == "={{BASE_URL}}/api/reservations/lookup?restaurantId={{config.restaurantId}}&phone={{ctx.caller_phone}}")
    }

    @Test func theBrainIsThePromptTheToolsAndAVersion() {
        let brain = AgentToolConfigs.brain(token: "art_secret")
        #expect(Set(brain.objectValue?.keys ?? [:].keys) == ["prompt", "tools", "version"])
        #expect(brain["prompt"] == "={{data.systemPrompt}}")
        #expect(brain["version"] == .string(AgentToolConfigs.brainVersion))
        #expect(brain["tools"]?.arrayValue?.map { $0["name"]?.stringValue ?? "" } == ToolName.allCases.map(\.rawValue))
    }
}
