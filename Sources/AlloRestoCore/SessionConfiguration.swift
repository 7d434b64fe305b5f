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

/// USD → local currency rates used to show AI costs in the restaurant's currency.
public struct ExchangeRates: Sendable, Hashable {
    public var usdTo: [String: Double]

    public init(usdTo: [String: Double]) {
        var table = usdTo
        table["USD"] = 1
        self.usdTo = table
    }

    /// A conservative built-in table, overridden by configuration and refreshed by a provider when one is set.
    public static let builtIn = ExchangeRates(usdTo: [
        "EUR": 0.92, "GBP": 0.79, "CHF": 0.88, "CAD": 1.36, "MAD": 10.0, "TND": 3.1, "XOF": 603.0, "JPY": 150.0,
    ])

    /// Parses `EUR=0.92,GBP=0.79` over the built-in table; nil on a malformed entry.
    public static func parse(_ text: String, base: ExchangeRates = .builtIn) -> ExchangeRates? {
        var table = base.usdTo
        for part in text.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard kv.count == 2, kv[0].count == 3, let v = Double(kv[1]), v > 0 else { return nil }
            table[kv[0].uppercased()] = v
        }
        return ExchangeRates(usdTo: table)
    }

    public func rate(to currency: String) -> Double? { usdTo[currency.uppercased()] }
}

/// The `initialContext` loaded into sip-agent-server's ContextStore at the start of a call.
public struct InitialContext: Sendable, Encodable {
    public var itemMap: [String: ItemNumbering.MapEntry]
    public var customerId: String?
    public var customerName: String?
    public var customerDeliveryLat: Double?
    public var customerDeliveryLng: Double?
    public var avgPrepTimeMin: Int
    public var deliveryEnabled: Bool
    public var restaurantId: String
    public var transferPhone: String?

    enum CodingKeys: String, CodingKey {
        case itemMap = "item_map", customerId = "customer_id", customerName = "customer_name"
        case customerDeliveryLat = "customer_delivery_lat", customerDeliveryLng = "customer_delivery_lng"
        case avgPrepTimeMin = "avg_prep_time_min", deliveryEnabled = "delivery_enabled"
        case restaurantId = "restaurant_id", transferPhone = "transfer_phone"
    }

    // Every key is always present, null when unknown (the voice server's ContextStore expects them).
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(itemMap, forKey: .itemMap)
        try c.encode(customerId, forKey: .customerId)
        try c.encode(customerName, forKey: .customerName)
        try c.encode(customerDeliveryLat, forKey: .customerDeliveryLat)
        try c.encode(customerDeliveryLng, forKey: .customerDeliveryLng)
        try c.encode(avgPrepTimeMin, forKey: .avgPrepTimeMin)
        try c.encode(deliveryEnabled, forKey: .deliveryEnabled)
        try c.encode(restaurantId, forKey: .restaurantId)
        try c.encode(transferPhone, forKey: .transferPhone)
    }
}

/// The answer of `GET /api/ai`: everything sip-agent-server needs to open the call's Realtime session.
public struct SessionConfiguration: Sendable, Encodable {
    public var systemPrompt: String
    public var tools: [ToolDefinition]
    public var voice: String
    public var greeting: String
    public var initialContext: InitialContext
    public var sipCredentials: SIPCredentials
    public var aiCostMarginPct: Double
    public var currency: String
    public var exchangeRateToLocal: Double?
    public var timezone: String
    public var avgPrepTimeMin: Int
    public var deliveryEnabled: Bool
    public var reservationEnabled: Bool
    public var transferEnabled: Bool
    public var transferPhoneNumber: String?
    public var transferAutomatic: Bool

    enum CodingKeys: String, CodingKey {
        case systemPrompt, tools, voice, greeting, initialContext, sipCredentials, itemMap, aiCostMarginPct
        case currency, exchangeRateToLocal, timezone, avgPrepTimeMin, deliveryEnabled, reservationEnabled
        case transferEnabled, transferPhoneNumber, transferAutomatic
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(systemPrompt, forKey: .systemPrompt)
        try c.encode(tools, forKey: .tools)
        try c.encode(voice, forKey: .voice)
        try c.encode(greeting, forKey: .greeting)
        try c.encode(initialContext, forKey: .initialContext)
        try c.encode(sipCredentials, forKey: .sipCredentials)
        try c.encode(initialContext.itemMap, forKey: .itemMap)
        try c.encode(aiCostMarginPct, forKey: .aiCostMarginPct)
        try c.encode(currency, forKey: .currency)
        try c.encode(exchangeRateToLocal, forKey: .exchangeRateToLocal)
        try c.encode(timezone, forKey: .timezone)
        try c.encode(avgPrepTimeMin, forKey: .avgPrepTimeMin)
        try c.encode(deliveryEnabled, forKey: .deliveryEnabled)
        try c.encode(reservationEnabled, forKey: .reservationEnabled)
        try c.encode(transferEnabled, forKey: .transferEnabled)
        try c.encode(transferPhoneNumber, forKey: .transferPhoneNumber)
        try c.encode(transferAutomatic, forKey: .transferAutomatic)
    }
}

/// The per-restaurant part of a session, computed once per restaurant version and reused for every call.
public struct SessionTemplate: Sendable {
    public let restaurant: RestaurantProfile
    public let numbering: ItemNumbering
    public let itemMap: [String: ItemNumbering.MapEntry]
    public let prompt: PromptParts
    public let tools: [ToolDefinition]
    /// `tools` and `itemMap` as JSON, encoded once per restaurant version.
    let toolsJSON: [UInt8]
    let itemMapJSON: [UInt8]

    public init(snapshot: RestaurantSnapshot) {
        restaurant = snapshot.restaurant
        numbering = ItemNumbering(menu: snapshot.menu)
        itemMap = numbering.itemMap
        prompt = PromptParts(snapshot: snapshot, numbering: numbering)
        tools = ToolCatalog.tools(for: FeatureFlags(snapshot.restaurant))
        toolsJSON = JSONWriter.encoded(tools)
        itemMapJSON = JSONWriter.encoded(itemMap)
    }

    /// The same document as `configuration(…)` encoded with JSONEncoder, written directly: the static parts are
    /// copied from their cached encoding, only the per-call values are encoded.
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

    public func configuration(
        now: Date, caller: KnownCaller?, credentials: SIPCredentials, marginPct: Double, exchangeRate: Double?
    ) -> SessionConfiguration {
        let r = restaurant
        let context = InitialContext(
            itemMap: itemMap,
            customerId: caller.map { $0.id.uuidString.lowercased() },
            customerName: caller?.firstName,
            customerDeliveryLat: caller?.deliveryLat,
            customerDeliveryLng: caller?.deliveryLng,
            avgPrepTimeMin: r.avgPrepTimeMin,
            deliveryEnabled: r.deliveryEnabled,
            restaurantId: r.id.uuidString.lowercased(),
            transferPhone: transferPhone)
        return SessionConfiguration(
            systemPrompt: prompt.prompt(now: now, caller: caller),
            tools: tools,
            voice: r.aiVoice,
            greeting: greeting(caller: caller),
            initialContext: context,
            sipCredentials: credentials,
            aiCostMarginPct: marginPct,
            currency: r.currency,
            exchangeRateToLocal: exchangeRate,
            timezone: r.timezone,
            avgPrepTimeMin: r.avgPrepTimeMin,
            deliveryEnabled: r.deliveryEnabled,
            reservationEnabled: r.reservationEnabled,
            transferEnabled: r.transferEnabled,
            transferPhoneNumber: r.transferPhoneNumber,
            transferAutomatic: r.transferAutomatic)
    }
}
