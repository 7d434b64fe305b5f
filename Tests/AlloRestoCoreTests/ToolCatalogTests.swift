import AlloRestoCore
import Foundation
import Testing

@Suite struct ToolCatalogTests {
    static let contractOrder = [
        "check_availability", "confirm_order", "save_customer_info", "log_new_faq", "leave_message", "confirm_reservation",
        "check_order_status", "cancel_order", "lookup_reservation", "cancel_reservation", "transfer_call", "end_call",
    ]

    @Test func allTwelveInContractOrder() {
        #expect(ToolCatalog.tools(for: .all).map(\.name) == Self.contractOrder)
    }

    @Test func featuresRemoveTheirTools() {
        var f = FeatureFlags.all
        f.reservationEnabled = false
        #expect(ToolCatalog.tools(for: f).map(\.name) == Self.contractOrder.filter { !["confirm_reservation", "lookup_reservation", "cancel_reservation"].contains($0) })
        f = .all
        f.orderStatusEnabled = false
        #expect(ToolCatalog.tools(for: f).map(\.name) == Self.contractOrder.filter { !["check_order_status", "cancel_order"].contains($0) })
        f = .all
        f.agentCanTransfer = false
        #expect(ToolCatalog.tools(for: f).map(\.name) == Self.contractOrder.filter { $0 != "transfer_call" })
        let none = FeatureFlags(deliveryEnabled: false, reservationEnabled: false, orderStatusEnabled: false, agentCanTransfer: false)
        #expect(ToolCatalog.tools(for: none).map(\.name) == ["check_availability", "confirm_order", "save_customer_info", "log_new_faq", "leave_message", "end_call"])
    }

    @Test func transferNeedsEnabledNumberAndNotAutomatic() {
        var r = MenuFixtures.restaurant()
        #expect(r.agentCanTransfer)
        r.transferAutomatic = true
        #expect(!r.agentCanTransfer)
        r = MenuFixtures.restaurant { $0.transferPhoneNumber = "" }
        #expect(!r.agentCanTransfer)
    }

    @Test(arguments: ToolName.allCases)
    func schemasAreWellFormedObjects(_ tool: ToolName) throws {
        let d = ToolCatalog.definition(tool)
        #expect(d.type == "function")
        #expect(!d.description.isEmpty)
        let p = d.parameters
        #expect(p["type"] == "object")
        #expect(p["additionalProperties"] == .bool(false))
        let props = try #require(p["properties"]?.objectValue)
        let required = try #require(p["required"]?.arrayValue).compactMap(\.stringValue)
        for r in required { #expect(props[r] != nil, "\(tool) requires undeclared \(r)") }
        for (name, schema) in props {
            let type = try #require(schema["type"]?.stringValue, "\(tool).\(name) has no type")
            #expect(["string", "integer", "number", "boolean", "array", "object"].contains(type))
            #expect(schema["description"]?.stringValue?.isEmpty == false, "\(tool).\(name) has no description")
        }
        // What the voice server serializes must round-trip as JSON.
        let data = try JSONEncoder().encode(d)
        let back = try JSONDecoder().decode(JSONValue.self, from: data)
        #expect(back["name"] == .string(tool.rawValue))
    }

    @Test func confirmOrderSchemaDescribesItemsAndOptions() throws {
        let p = ToolCatalog.definition(.confirmOrder).parameters
        #expect(p["required"] == ["order_type", "items"])
        let items = try #require(p["properties"]?["items"])
        #expect(items["type"] == "array")
        let item = try #require(items["items"])
        #expect(item["required"] == ["id", "quantity"])
        #expect(item["properties"]?["id"]?["type"] == "integer")
        let option = try #require(item["properties"]?["selected_options"]?["items"])
        #expect(Set(option["properties"]?.objectValue?.keys.map { $0 } ?? []) == ["name", "choice", "choice_id", "extra_price"])
    }

    @Test func modesFollowFeatures() {
        let all = ToolCatalog.definition(.checkAvailability, flags: .all).parameters
        #expect(all["properties"]?["mode"]?["enum"] == ["pickup", "delivery", "reservation"])
        let none = FeatureFlags(deliveryEnabled: false, reservationEnabled: false, orderStatusEnabled: true, agentCanTransfer: false)
        let p = ToolCatalog.definition(.checkAvailability, flags: none).parameters
        #expect(p["properties"]?["mode"]?["enum"] == ["pickup"])
        #expect(p["properties"]?["customer_address"] == nil)
        #expect(p["properties"]?["party_size"] == nil)
    }

    @Test func builtInsHaveNoHTTPArguments() {
        #expect(ToolCatalog.definition(.endCall).parameters["required"] == [])
        #expect(ToolCatalog.definition(.transferCall).parameters["required"] == ["reason"])
    }
}
