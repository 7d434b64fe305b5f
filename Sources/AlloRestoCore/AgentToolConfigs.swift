import Foundation

/// The 12 ToolConfigs of a restaurant's Agent in sip-agent-server (SPEC §7), defined once here, in the real
/// ToolConfig schema of the original AlloResto (`sip-agent-tool-definitions.ts`, branch `v2`) and nothing else:
/// `name, description, parameters, http{method, url, bodyTemplate, headers}, contextUpdates, condition,
/// extraCostResponseField, triggersHangup, triggersTransfer, mutesClientAudio, skipResponseCreate, isEnabled,
/// sortOrder`. The model-facing schemas are `ToolCatalog`'s.
///
/// Template language (sip-agent-server's): a string starting with `=` is an expression in which `{{path}}`
/// placeholders are replaced; an expression that is exactly one placeholder keeps the value's JSON type; any
/// other string is a literal. Paths: `$ai.<arg>`, `ctx.<key>`, `config.<key>`, `$res` / `$res.<field>` (in
/// `contextUpdates`), `BASE_URL` (the agent's `apiBaseUrl`). Query parameters are written in the `url` template.
public enum AgentToolConfigs {
    /// The version of these definitions sent with `PUT /api/agents/:id/brain`; raise it when they change.
    public static let brainVersion = "2.0.0"
    /// The agent's prompt: the `systemPrompt` of the `externalSessionUrl` answer (`data`).
    public static let prompt = "={{data.systemPrompt}}"

    public struct Condition: Sendable, Hashable {
        public var configKey: String
        /// eq | neq | truthy | falsy
        public var op: String
        public var value: JSONValue?

        public var json: JSONValue {
            var o: [String: JSONValue] = ["configKey": .string(configKey), "operator": .string(op)]
            if let value { o["value"] = value }
            return .object(o)
        }
    }

    /// `http` of a ToolConfig: `url` is an `=` expression, query included; `headers` carry our agent token.
    public struct HTTP: Sendable, Hashable {
        public var method: String
        public var url: String
        public var headers: [String: String]
        public var bodyTemplate: JSONValue?

        public var json: JSONValue {
            .object([
                "method": .string(method), "url": .string(url),
                "bodyTemplate": bodyTemplate ?? .null,
                "headers": .object(headers.mapValues(JSONValue.string)),
            ])
        }
    }

    /// One ToolConfig.
    public struct Definition: Sendable, Hashable {
        public var name: String
        public var description: String
        public var parameters: JSONValue
        public var http: HTTP?
        public var contextUpdates: [String: String]?
        public var condition: Condition?
        public var extraCostResponseField: String?
        public var triggersHangup = false
        public var triggersTransfer = false
        public var mutesClientAudio = false
        public var skipResponseCreate = false
        public var sortOrder: Int

        /// The ToolConfig as `PUT /api/agents/:id/brain` takes it (the original sends no `isEnabled` there).
        public var brainJSON: JSONValue {
            .object([
                "name": .string(name), "description": .string(description), "parameters": parameters,
                "http": http?.json ?? .null,
                "contextUpdates": contextUpdates.map { .object($0.mapValues(JSONValue.string)) } ?? .null,
                "condition": condition?.json ?? .null,
                "extraCostResponseField": extraCostResponseField.map(JSONValue.string) ?? .null,
                "triggersHangup": .bool(triggersHangup), "triggersTransfer": .bool(triggersTransfer),
                "mutesClientAudio": .bool(mutesClientAudio), "skipResponseCreate": .bool(skipResponseCreate),
                "sortOrder": .int(sortOrder),
            ])
        }

        /// The body of `POST /api/agents/:id/tools`.
        public var json: JSONValue {
            guard case .object(var o) = brainJSON else { return brainJSON }
            o["isEnabled"] = true
            return .object(o)
        }
    }

    /// The body of `PUT /api/agents/:id/brain`: the prompt and the whole tool set, with `brainVersion`.
    public static func brain(token: String) -> JSONValue {
        .object(["prompt": .string(prompt), "tools": .array(definitions(token: token).map(\.brainJSON)), "version": .string(brainVersion)])
    }

    static func ai(_ arg: String) -> JSONValue { .string("={{$ai.\(arg)}}") }
    static func ctx(_ key: String) -> JSONValue { .string("={{ctx.\(key)}}") }
    static let restaurant: JSONValue = "={{config.restaurantId}}"

    /// The definitions for one restaurant; `token` is its agent token, sent as `Authorization: Bearer`.
    public static func definitions(token: String) -> [Definition] {
        let schemas = Dictionary(uniqueKeysWithValues: ToolCatalog.tools(for: .all).map { ($0.name, $0) })
        let headers = ["Authorization": "Bearer \(token)", "Content-Type": "application/json"]
        func http(_ method: String, _ path: String, body: [String: JSONValue]? = nil) -> HTTP {
            HTTP(method: method, url: "={{BASE_URL}}" + path, headers: body == nil ? headers.filter { $0.key == "Authorization" } : headers,
                 bodyTemplate: body.map(JSONValue.object))
        }
        func flag(_ key: String) -> Condition { Condition(configKey: key, op: "truthy", value: nil) }
        var out: [Definition] = []
        for (order, tool) in ToolName.allCases.enumerated() {
            let schema = schemas[tool.rawValue]!
            var d = Definition(
                name: tool.rawValue, description: schema.description, parameters: schema.parameters,
                http: nil, contextUpdates: nil, condition: nil, extraCostResponseField: nil, sortOrder: order + 1)
            switch tool {
            case .checkAvailability:
                d.http = http("POST", "/api/availability/check", body: [
                    "restaurantId": restaurant, "mode": ai("mode"), "requestedTime": ai("requested_time"), "requestedDate": ai("requested_date"),
                    "itemCount": ai("order_item_count"), "customerAddress": ai("customer_address"), "customerCity": ai("customer_city"),
                    "customerPostalCode": ai("customer_postal_code"), "customerLat": ctx("customer_delivery_lat"), "customerLng": ctx("customer_delivery_lng"),
                    "customerPhone": ctx("caller_phone"), "partySize": ai("party_size"), "seatingPreference": ai("seating_preference"),
                ])
                d.contextUpdates = [
                    "last_availability_check": "={{$res}}",
                    "customer_delivery_lat": "={{$res.customerLat}}", "customer_delivery_lng": "={{$res.customerLng}}",
                ]
            case .confirmOrder:
                d.http = http("POST", "/api/ai/tools/confirm-order", body: [
                    "restaurantId": restaurant, "order_type": ai("order_type"), "items": ai("items"), "total": ai("total"), "subtotal": ai("subtotal"),
                    "delivery_fee": ai("delivery_fee"), "payment_method": ai("payment_method"), "notes": ai("notes"),
                    "item_map": ctx("item_map"), "call_id": ctx("call_id"), "customer_id": ctx("customer_id"), "customer_name": ctx("customer_name"),
                    "caller_phone": ctx("caller_phone"), "last_availability_check": ctx("last_availability_check"),
                    "customer_delivery_lat": ctx("customer_delivery_lat"), "customer_delivery_lng": ctx("customer_delivery_lng"),
                ])
            case .saveCustomerInfo:
                d.http = http("POST", "/api/customers", body: [
                    "restaurantId": restaurant, "phone": ctx("caller_phone"), "firstName": ai("first_name"),
                    "deliveryAddress": ai("delivery_address"), "deliveryCity": ai("delivery_city"), "deliveryPostalCode": ai("delivery_postal_code"),
                    "deliveryNotes": ai("delivery_notes"), "deliveryLat": ctx("customer_delivery_lat"), "deliveryLng": ctx("customer_delivery_lng"),
                ])
                d.contextUpdates = ["customer_id": "={{$res.id}}", "customer_name": "={{$res.firstName}}"]
            case .logNewFaq:
                d.http = http("POST", "/api/faq", body: [
                    "restaurantId": restaurant, "question": ai("question"), "category": ai("category"), "callerPhone": ctx("caller_phone"), "callId": ctx("call_id"),
                ])
            case .leaveMessage:
                d.http = http("POST", "/api/messages", body: [
                    "restaurantId": restaurant, "callId": ctx("call_id"), "callerPhone": ctx("caller_phone"), "callerName": ai("caller_name"),
                    "content": ai("content"), "category": ai("category"), "isUrgent": ai("is_urgent"),
                ])
            case .confirmReservation:
                d.http = http("POST", "/api/reservations", body: [
                    "restaurantId": restaurant, "callId": ctx("call_id"), "customerId": ctx("customer_id"), "customerName": ai("customer_name"),
                    "customerPhone": ctx("caller_phone"), "partySize": ai("party_size"), "reservationTime": ai("reservation_time"),
                    "reservationDate": ai("reservation_date"), "seatingPreference": ai("seating_preference"), "serviceId": ai("service_id"),
                    "offerId": ai("offer_id"), "notes": ai("notes"),
                ])
                d.condition = flag("reservationEnabled")
            case .checkOrderStatus:
                d.http = http("GET", "/api/orders/status?restaurantId={{config.restaurantId}}&phone={{ctx.caller_phone}}")
                d.condition = flag("orderStatusEnabled")
            case .cancelOrder:
                d.http = http("POST", "/api/ai/tools/cancel-order", body: [
                    "restaurantId": restaurant, "order_number": ai("order_number"), "caller_phone": ctx("caller_phone"),
                ])
                d.condition = flag("orderStatusEnabled")
            case .lookupReservation:
                d.http = http("GET", "/api/reservations/lookup?restaurantId={{config.restaurantId}}&phone={{ctx.caller_phone}}")
                d.condition = flag("reservationEnabled")
            case .cancelReservation:
                d.http = http("PATCH", "/api/reservations", body: [
                    "restaurantId": restaurant, "id": ai("reservation_id"), "status": "cancelled", "callerPhone": ctx("caller_phone"),
                ])
                d.condition = flag("reservationEnabled")
            case .transferCall:
                d.triggersTransfer = true
                d.mutesClientAudio = true
                d.condition = flag("transferEnabled")
            case .endCall:
                d.triggersHangup = true
                d.mutesClientAudio = true
                d.skipResponseCreate = true
            }
            out.append(d)
        }
        return out
    }
}
