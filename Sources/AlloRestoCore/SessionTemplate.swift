import Foundation

/// SIP account the voice server registers the call on: the restaurant's own line, or the operator's demo line.
public struct SIPCredentials: Sendable, Hashable, Encodable {
    public enum Source: String, Sendable, Encodable { case client, demo }
    public var domain: String
    public var username: String
    public var password: String
    public var source: Source

    public init(domain: String, username: String, password: String, source: Source) {
        self.domain = domain
        self.username = username
        self.password = password
        self.source = source
    }
}

/// The per-restaurant part of a session, computed once per restaurant version and reused for every call.
public struct SessionTemplate: Sendable {
    public let restaurant: RestaurantProfile
    public let numbering: ItemNumbering
    public let menu: Menu
    public let itemMap: [String: ItemNumbering.MapEntry]
    public let prompt: PromptParts
    public let tools: [ToolDefinition]
    public let services: [DiningServiceInfo]
    public let offers: [OfferInfo]
    public let planning: PlanningConfig
    public let reservations: ReservationRules
    public let schedule: OpeningSchedule
    /// `tools` and `itemMap` as JSON, encoded once per restaurant version.
    let toolsJSON: [UInt8]
    let itemMapJSON: [UInt8]

    public init(snapshot: RestaurantSnapshot) {
        restaurant = snapshot.restaurant
        numbering = ItemNumbering(menu: snapshot.menu)
        menu = snapshot.menu
        itemMap = numbering.itemMap
        prompt = PromptParts(snapshot: snapshot, numbering: numbering)
        tools = ToolCatalog.tools(for: FeatureFlags(snapshot.restaurant))
        services = snapshot.services
        offers = snapshot.offers
        planning = snapshot.restaurant.planning
        reservations = ReservationRules(restaurant: snapshot.restaurant, services: snapshot.services, tableSeats: snapshot.tableSeats)
        schedule = OpeningSchedule(snapshot.restaurant, forOrders: true)
        toolsJSON = JSONWriter.encoded(tools)
        itemMapJSON = JSONWriter.encoded(itemMap)
    }

    /// The answer of `GET /api/ai` (SPEC §4): every key always present, null where unknown. The static parts
    /// (tools, item map) are copied from their encoding cached per restaurant version; only the per-call values
    /// (prompt with clock and caller, greeting, caller context, credentials, margin, rate) are encoded.
    public func configurationJSON(
        now: Date, caller: KnownCaller?, credentials: SIPCredentials, marginPct: Double, exchangeRate: Double?
    ) -> [UInt8] {
        let r = restaurant
        let systemPrompt = prompt.prompt(now: now, caller: caller)
        var w = JSONWriter(capacity: systemPrompt.utf8.count + toolsJSON.count + 2 * itemMapJSON.count + 2048)
        w.raw("{")
        w.key("systemPrompt"); w.string(systemPrompt); w.comma()
        w.key("tools"); w.raw(toolsJSON); w.comma()
        w.key("voice"); w.string(r.aiVoice); w.comma()
        w.key("greeting"); w.string(greeting(caller: caller)); w.comma()
        w.key("initialContext"); w.raw("{")
        w.key("item_map"); w.raw(itemMapJSON); w.comma()
        w.key("customer_id"); w.string(caller.map { $0.id.uuidString.lowercased() }); w.comma()
        w.key("customer_name"); w.string(caller?.firstName); w.comma()
        w.key("customer_delivery_lat"); w.number(caller?.deliveryLat); w.comma()
        w.key("customer_delivery_lng"); w.number(caller?.deliveryLng); w.comma()
        w.key("avg_prep_time_min"); w.number(r.avgPrepTimeMin); w.comma()
        w.key("delivery_enabled"); w.bool(r.deliveryEnabled); w.comma()
        w.key("restaurant_id"); w.string(r.id.uuidString.lowercased()); w.comma()
        w.key("transfer_phone"); w.string(transferPhone)
        w.raw("},")
        w.key("sipCredentials"); w.raw("{")
        w.key("domain"); w.string(credentials.domain); w.comma()
        w.key("username"); w.string(credentials.username); w.comma()
        w.key("password"); w.string(credentials.password); w.comma()
        w.key("source"); w.string(credentials.source.rawValue)
        w.raw("},")
        w.key("itemMap"); w.raw(itemMapJSON); w.comma()
        w.key("aiCostMarginPct"); w.number(marginPct); w.comma()
        w.key("currency"); w.string(r.currency); w.comma()
        w.key("exchangeRateToLocal"); w.number(exchangeRate); w.comma()
        w.key("timezone"); w.string(r.timezone); w.comma()
        w.key("avgPrepTimeMin"); w.number(r.avgPrepTimeMin); w.comma()
        w.key("deliveryEnabled"); w.bool(r.deliveryEnabled); w.comma()
        w.key("reservationEnabled"); w.bool(r.reservationEnabled); w.comma()
        w.key("transferEnabled"); w.bool(r.transferEnabled); w.comma()
        w.key("transferPhoneNumber"); w.string(r.transferPhoneNumber); w.comma()
        w.key("transferAutomatic"); w.bool(r.transferAutomatic)
        w.raw("}")
        return w.bytes
    }

    var transferPhone: String? {
        restaurant.transferEnabled ? restaurant.transferPhoneNumber.flatMap { $0.isEmpty ? nil : $0 } : nil
    }

    /// The first-turn instruction: greet a known caller by first name, anyone else with a warm generic welcome.
    public func greeting(caller: KnownCaller?) -> String {
        let r = restaurant
        let welcome = r.welcomeMessage?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let name = caller?.firstName?.trimmingCharacters(in: .whitespaces), !name.isEmpty {
            return "\(name), un client qui nous connaît, vient d'appeler \(r.name). Salue-le chaleureusement par son prénom (« Bonjour \(name), ravi de vous entendre ! »), présente-toi comme l'assistant de \(r.name) et demande-lui ce qui lui ferait plaisir aujourd'hui."
        }
        if let welcome, !welcome.isEmpty {
            return "Un nouveau client vient d'appeler \(r.name). Accueille-le chaleureusement avec ces mots ou très proches : « \(welcome) »"
        }
        return "Un nouveau client vient d'appeler. Accueille-le chaleureusement : « \(r.name), bonjour ! » puis demande s'il souhaite commander ou réserver."
    }
}
