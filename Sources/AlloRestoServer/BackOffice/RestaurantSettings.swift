import AlloRestoCore
import AlloRestoStore
import Foundation

/// The settings of SPEC §3 a restaurant owner changes through `POST/PATCH /api/restaurants` and the settings page:
/// read as JSON (camelCase, money in the currency's decimal unit as everywhere in the API), and written back
/// validated, each refusal naming its field in French.
enum RestaurantSettings {
    /// Fields whose change alters the agent in sip-agent-server (name, voice, timezone, feature flags).
    static let agentFields: Set<String> = [
        "name", "aiVoice", "timezone", "deliveryEnabled", "reservationEnabled", "orderStatusEnabled", "transferEnabled", "isActive",
        "phone", "transferPhoneNumber", "transferAutomatic",
    ]
    /// The voices OpenAI Realtime offers.
    static let voices = ["alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse", "marin", "cedar"]

    static func json(_ r: Restaurant) -> JSONValue {
        func money(_ minor: Int?) -> JSONValue { minor.map { .double(Money.decimal($0, currency: r.currency)) } ?? .null }
        func text(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
        func strings(_ t: String) -> JSONValue { .array((try? JSONDecoder().decode([String].self, from: Data(t.utf8)))?.map(JSONValue.string) ?? []) }
        return .object([
            "id": .string(r.id!.uuidString.lowercased()), "name": .string(r.name), "cuisineType": text(r.cuisineType),
            "address": text(r.address), "city": text(r.city), "postalCode": text(r.postalCode), "country": .string(r.country),
            "phone": text(r.phone), "email": text(r.email), "website": text(r.website),
            "lat": r.lat.map(JSONValue.double) ?? .null, "lng": r.lng.map(JSONValue.double) ?? .null,
            "timezone": .string(r.timezone), "currency": .string(r.currency), "defaultLocale": .string(r.defaultLocale),
            "openingHours": (try? JSONReader.parse(Array(r.openingHours.utf8))) ?? .object([:]),
            "closures": Closure.json(Closure.list(r.closures.flatMap { try? JSONReader.parse(Array($0.utf8)) })),
            "ordersPausedUntil": r.ordersPausedUntil.map { .string($0.formatted(.iso8601)) } ?? .null,
            "aiVoice": .string(r.aiVoice), "aiInstructions": text(r.aiInstructions), "welcomeMessage": text(r.welcomeMessage),
            "paymentMethods": strings(r.paymentMethods),
            "deliveryEnabled": .bool(r.deliveryEnabled), "deliveryRadiusKm": r.deliveryRadiusKm.map(JSONValue.double) ?? .null,
            "deliveryFee": money(r.deliveryFee), "deliveryFreeAbove": money(r.deliveryFreeAbove), "minOrderAmount": money(r.minOrderAmount),
            "avgPrepTimeMin": .int(r.avgPrepTimeMin),
            "reservationEnabled": .bool(r.reservationEnabled), "totalSeats": r.totalSeats.map(JSONValue.int) ?? .null,
            "avgMealDurationMin": .int(r.avgMealDurationMin), "minReservationAdvanceMin": .int(r.minReservationAdvanceMin),
            "maxReservationAdvanceDays": .int(r.maxReservationAdvanceDays),
            "orderStatusEnabled": .bool(r.orderStatusEnabled),
            "transferEnabled": .bool(r.transferEnabled), "transferPhoneNumber": text(r.transferPhoneNumber),
            "transferAutomatic": .bool(r.transferAutomatic), "transferCases": strings(r.transferCases),
            "aiCostMarginPct": r.aiCostMarginPct.map(JSONValue.double) ?? .null,
            "planningConfig": r.planningConfig.flatMap { try? JSONReader.parse(Array($0.utf8)) } ?? .null,
            "agentId": text(r.agentId), "isActive": .bool(r.isActive), "version": .int(r.version),
        ])
    }

    static func invalid(_ key: String, _ expected: String) -> APIError { ToolBody.invalid(key, expected) }

    /// A JSON document with every text that reads as a number (`"15"`, `"2,5"`) turned into that number (a
    /// whole one when it is whole); times and names stay text.
    static func numbersRead(_ v: JSONValue) -> JSONValue {
        switch v {
        case .object(let o): return .object(o.mapValues(numbersRead))
        case .array(let a): return .array(a.map(numbersRead))
        case .string(let t):
            guard let d = CheckedNumber.decimal(.string(t)) else { return v }
            return CheckedNumber.whole(d, in: -1_000_000_000...1_000_000_000).map { Double($0) == d ? JSONValue.int($0) : .double(d) } ?? .double(d)
        default: return v
        }
    }

    /// Exceptional closures as given: `[{from: "AAAA-MM-JJ", to?: "AAAA-MM-JJ", reason?}]` (null or [] = none);
    /// each day a real date, `to` not before `from`, at most 60 days long and ending within two years; ones already
    /// over are dropped.
    static func closures(_ v: JSONValue, now: Date, time: RestaurantTime) throws -> String? {
        if v == .null { return nil }
        guard let items = v.arrayValue, items.count <= 100 else { throw invalid("closures", "une liste de fermetures (100 au plus)") }
        let today = time.localDate(now)
        var list: [Closure] = []
        for (i, e) in items.enumerated() {
            let field = "closures[\(i)]"
            guard let f = e["from"]?.stringValue.flatMap(LocalDate.init(iso:)) else { throw invalid(field + ".from", "une date AAAA-MM-JJ") }
            var t = f
            if let raw = e["to"], raw != .null {
                guard let to = raw.stringValue.flatMap(LocalDate.init(iso:)) else { throw invalid(field + ".to", "une date AAAA-MM-JJ") }
                t = to
            }
            guard f <= t else { throw invalid(field + ".to", "une date au plus tôt le \(f.description)") }
            guard f.days(to: t) < 60 else { throw invalid(field + ".to", "une fermeture de 60 jours au plus") }
            guard today.days(to: t) <= 731 else { throw invalid(field + ".to", "une date dans les deux ans") }
            let reason = e["reason"]?.stringValue?.trimmingCharacters(in: .whitespaces)
            if let reason, reason.count > 200 { throw invalid(field + ".reason", "un texte de 200 caractères au plus") }
            if t >= today { list.append(Closure(from: f, to: t, reason: reason)) }
        }
        return list.isEmpty ? nil : String(decoding: JSONWriter.encoded(Closure.json(list.sorted { $0.from < $1.from })), as: UTF8.self)
    }

    /// Applies the settings present in `body` to `r` and returns the keys that changed. Unknown keys are refused
    /// (a typo must not look saved); `null` clears an optional setting.
    @discardableResult
    static func apply(_ body: ToolBody, to r: Restaurant, now: Date) throws -> Set<String> {
        let before = json(r)
        let ignored: Set<String> = ["restaurantId", "restaurant_id", "id", "agentId", "version", "ordersPausedUntil"]
        for key in body.fields.keys.sorted() where !ignored.contains(key) {
            let v = body.fields[key]!
            let isNull = v == .null
            func text(max: Int, required: Bool = false) throws -> String? {
                let s = body.string(key)
                if s == nil, required { throw invalid(key, "un texte non vide") }
                if let s, s.count > max { throw invalid(key, "un texte de \(max) caractères au plus") }
                return s
            }
            func int(_ range: ClosedRange<Int>) throws -> Int? {
                try body.int(key, in: range)
            }
            func requiredInt(_ range: ClosedRange<Int>) throws -> Int {
                guard let i = try body.int(key, in: range) else { throw invalid(key, "un nombre entier entre \(range.lowerBound) et \(range.upperBound)") }
                return i
            }
            func number(_ range: ClosedRange<Double>) throws -> Double? {
                try body.double(key, in: range)
            }
            func money(_ range: ClosedRange<Double>, required: Bool) throws -> Int? {
                guard let minor = try body.money(key, currency: r.currency, maxMinor: SettingLimits.maxMinor(range, currency: r.currency)) else {
                    if required { throw invalid(key, "un montant") }
                    return nil
                }
                return minor
            }
            func flag() throws -> Bool {
                guard let b = try body.bool(key) else { throw invalid(key, "vrai ou faux") }
                return b
            }
            func list() throws -> String {
                guard isNull || body.array(key) != nil else { throw invalid(key, "une liste de textes") }
                let items = (body.array(key) ?? []).compactMap { $0.stringValue?.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                return String(decoding: try JSONEncoder().encode(items), as: UTF8.self)
            }
            func phone() throws -> String? {
                guard let raw = body.string(key) else { return nil }
                guard let n = PhoneNumber.normalize(raw, defaultCountry: r.country), n.hasPrefix("+") else { throw invalid(key, "un numéro de téléphone") }
                return n
            }
            switch key {
            case "name": r.name = try text(max: 200, required: true)!
            case "cuisineType": r.cuisineType = try text(max: 100)
            case "address": r.address = try text(max: 300)
            case "city": r.city = try text(max: 100)
            case "postalCode": r.postalCode = try text(max: 20)
            case "country":
                guard let c = body.string(key), c.count == 2, c.allSatisfy(\.isLetter) else { throw invalid(key, "un code pays de 2 lettres (FR)") }
                r.country = c.uppercased()
            case "phone": r.phone = try phone()
            case "email":
                let e = try text(max: 254)
                if let e, !e.contains("@") { throw invalid(key, "une adresse e-mail") }
                r.email = e
            case "website": r.website = try text(max: 300)
            case "lat": r.lat = try number(GeoPoint.latitudes)
            case "lng": r.lng = try number(GeoPoint.longitudes)
            case "timezone":
                guard let z = body.string(key), TimeZone(identifier: z) != nil, z.contains("/") || z == "UTC" else {
                    throw invalid(key, "un fuseau horaire IANA (Europe/Paris)")
                }
                r.timezone = z
            case "currency":
                guard let c = body.string(key)?.uppercased(), c.count == 3, c.allSatisfy(\.isLetter) else { throw invalid(key, "un code devise ISO de 3 lettres (EUR)") }
                r.currency = c
            case "defaultLocale":
                guard let l = body.string(key), (2...5).contains(l.count) else { throw invalid(key, "une langue (fr)") }
                r.defaultLocale = l
            case "openingHours":
                switch RestaurantImport.readHours(v, path: key) {
                case .success(let hours): r.openingHours = String(decoding: try JSONEncoder().encode(hours), as: UTF8.self)
                case .failure(let errors): throw APIError(.unprocessableContent, code: "invalid_field", "Horaires invalides : \(errors.problems.map(\.description).joined(separator: " ; ")).")
                }
            case "aiVoice":
                guard let voice = body.string(key)?.lowercased(), voices.contains(voice) else { throw invalid(key, "une voix parmi \(voices.joined(separator: ", "))") }
                r.aiVoice = voice
            case "aiInstructions": r.aiInstructions = try text(max: 4000)
            case "welcomeMessage": r.welcomeMessage = try text(max: 500)
            case "paymentMethods": r.paymentMethods = try list()
            case "deliveryEnabled": r.deliveryEnabled = try flag()
            case "deliveryRadiusKm": r.deliveryRadiusKm = try number(SettingLimits.deliveryRadiusKm)
            case "deliveryFee": r.deliveryFee = try money(SettingLimits.deliveryFee, required: true)!
            case "deliveryFreeAbove": r.deliveryFreeAbove = try money(SettingLimits.orderAmount, required: false)
            case "minOrderAmount": r.minOrderAmount = try money(SettingLimits.orderAmount, required: true)!
            case "avgPrepTimeMin": r.avgPrepTimeMin = try requiredInt(SettingLimits.avgPrepTimeMin)
            case "reservationEnabled": r.reservationEnabled = try flag()
            case "totalSeats": r.totalSeats = try int(SettingLimits.totalSeats)
            case "avgMealDurationMin": r.avgMealDurationMin = try requiredInt(SettingLimits.avgMealDurationMin)
            case "minReservationAdvanceMin": r.minReservationAdvanceMin = try requiredInt(SettingLimits.minReservationAdvanceMin)
            case "maxReservationAdvanceDays": r.maxReservationAdvanceDays = try requiredInt(SettingLimits.maxReservationAdvanceDays)
            case "orderStatusEnabled": r.orderStatusEnabled = try flag()
            case "transferEnabled": r.transferEnabled = try flag()
            case "transferPhoneNumber": r.transferPhoneNumber = try phone()
            case "transferAutomatic": r.transferAutomatic = try flag()
            case "transferCases": r.transferCases = try list()
            case "aiCostMarginPct": r.aiCostMarginPct = try number(SettingLimits.aiCostMarginPct)
            case "planningConfig":
                if isNull { r.planningConfig = nil } else {
                    do { _ = try PlanningConfig(json: v, avgPrepTimeMin: r.avgPrepTimeMin) } catch {
                        var refusal = APIError(.unprocessableContent, code: "invalid_planning_config", "planningConfig.\(error.path) : \(error.message).")
                        refusal.field = "planningConfig.\(error.path)"
                        throw refusal
                    }
                    // Numbers typed in the form's plain fields arrive as text ("15", "2,5"): stored as numbers.
                    r.planningConfig = String(decoding: JSONWriter.encoded(Self.numbersRead(v)), as: UTF8.self)
                }
            case "isActive": r.isActive = try flag()
            case "closures": r.closures = try closures(v, now: now, time: RestaurantTime(identifier: r.timezone))
            case "ordersPaused":
                // "Plus de commandes ce soir": until the end of tonight's service (at least midnight); false lifts it.
                let profile = r.profile
                r.ordersPausedUntil = try flag() ? endOfTonight(now: now, hours: profile.openingHours, time: RestaurantTime(identifier: r.timezone)) : nil
            default:
                throw APIError(.unprocessableContent, code: "unknown_field", "Réglage inconnu : \(key).")
            }
        }
        if r.transferEnabled, r.transferPhoneNumber == nil {
            throw APIError(.unprocessableContent, code: "transfer_phone_required", "Le transfert d'appel demande un numéro (transferPhoneNumber).")
        }
        let after = json(r)
        guard case .object(let a) = after, case .object(let b) = before else { return [] }
        return Set(a.keys.filter { a[$0] != b[$0] && $0 != "version" })
    }
}
