import Foundation

/// A problem found in an import file, naming the field (`menu.items[2].price`) and what is wrong.
public struct ImportProblem: Error, Sendable, Hashable, CustomStringConvertible {
    public let field: String
    public let message: String

    public init(_ field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}

/// All problems of an import file at once, so the owner fixes them in one pass.
public struct ImportErrors: Error, Sendable, CustomStringConvertible {
    public let problems: [ImportProblem]
    public var description: String {
        "the import file has \(problems.count) problem\(problems.count > 1 ? "s" : ""):\n" + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}

/// A restaurant read from the import format (`restaurant-import-v1.json`), validated, with menu rows keyed by `ref`.
public struct RestaurantImport: Sendable {
    public struct Category: Sendable, Hashable {
        public var ref: String
        public var name: String
        public var description: String?
        public var displayOrder: Int
    }

    /// An option as imported: fixed choices, or a formule pick referring to categories/items by `ref`.
    public struct Option: Sendable, Hashable {
        public var name: String
        public var required: Bool
        public var type: ItemOption.Kind
        public var maxChoices: Int?
        public var choices: [OptionChoice]
        public var source: ItemOption.Source?
        public var categoryRef: String?
        public var itemRefs: [String]
        public var maxPriceMinor: Int?
    }

    public struct Item: Sendable, Hashable {
        public var ref: String
        public var categoryRef: String?
        public var name: String
        public var description: String?
        public var priceMinor: Int
        public var allergens: [String]
        public var tags: [String]
        public var available: Bool
        public var displayOrder: Int
        public var options: [Option]
    }

    public var restaurant: RestaurantProfile
    /// What identifies "the same restaurant" across imports: the place id, else the phone, else name + postal code.
    public var externalRef: String
    public var email: String?
    public var website: String?
    public var categories: [Category]
    public var items: [Item]
    /// Top-level sections of `restaurant` the file gives; a re-import keeps current settings for the others.
    public var sections: Set<String>

    /// Default IANA zone for a country when the file gives none.
    public static func defaultTimeZone(country: String) -> String {
        switch country.uppercased() {
        case "BE": "Europe/Brussels"
        case "CH": "Europe/Zurich"
        case "LU": "Europe/Luxembourg"
        case "MC": "Europe/Monaco"
        case "DE": "Europe/Berlin"
        case "ES": "Europe/Madrid"
        case "IT": "Europe/Rome"
        case "GB": "Europe/London"
        case "NL": "Europe/Amsterdam"
        case "PT": "Europe/Lisbon"
        case "MA": "Africa/Casablanca"
        case "TN": "Africa/Tunis"
        case "DZ": "Africa/Algiers"
        case "US": "America/New_York"
        case "CA": "America/Toronto"
        default: "Europe/Paris"
        }
    }

    public static func defaultCurrency(country: String) -> String {
        switch country.uppercased() {
        case "CH": "CHF"
        case "GB": "GBP"
        case "MA": "MAD"
        case "TN": "TND"
        case "DZ": "DZD"
        case "US": "USD"
        case "CA": "CAD"
        default: "EUR"
        }
    }

    /// Parses and validates an import document. Throws `ImportErrors` listing every problem found.
    public static func parse(_ data: Data, newId: UUID = UUID()) throws -> RestaurantImport {
        let root: JSONValue
        do {
            root = try JSONDecoder().decode(JSONValue.self, from: data)
        } catch {
            throw ImportErrors(problems: [ImportProblem("(file)", "is not valid JSON (\(Self.describe(error)))")])
        }
        var reader = Reader()
        let result = reader.read(root, id: newId)
        if !reader.problems.isEmpty { throw ImportErrors(problems: reader.problems) }
        return result!
    }

    static func describe(_ error: Error) -> String {
        if case DecodingError.dataCorrupted(let ctx) = error {
            return (ctx.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String ?? ctx.debugDescription
        }
        return "\(error)"
    }
}

/// Walks the JSON document, collecting problems instead of stopping at the first.
private struct Reader {
    var problems: [ImportProblem] = []

    mutating func fail(_ path: String, _ message: String) { problems.append(ImportProblem(path, message)) }

    func show(_ v: JSONValue) -> String {
        switch v {
        case .null: "null"
        case .bool(let b): String(b)
        case .int(let i): String(i)
        case .double(let d): String(d)
        case .string(let s): "\"\(s.prefix(40))\""
        case .array: "an array"
        case .object: "an object"
        }
    }

    mutating func string(_ o: [String: JSONValue], _ key: String, _ path: String, required: Bool = false) -> String? {
        switch o[key] {
        case nil, .null?:
            if required { fail("\(path).\(key)", "is required") }
            return nil
        case .string(let s)?:
            let t = CleanText.clean(s, multiline: true).trimmingCharacters(in: .whitespacesAndNewlines)
            if t.isEmpty {
                if required { fail("\(path).\(key)", "must not be empty") }
                return nil
            }
            return t
        case let v?:
            fail("\(path).\(key)", "must be a string, got \(show(v))")
            return nil
        }
    }

    /// A number in `[min, max]` (every numeric field has a domain; see `CheckedNumber`).
    mutating func number(_ o: [String: JSONValue], _ key: String, _ path: String, min: Double, max: Double) -> Double? {
        let value: Double
        switch o[key] {
        case nil, .null?: return nil
        case .int(let i)?: value = Double(i)
        case .double(let d)? where d.isFinite: value = d
        case let v?:
            fail("\(path).\(key)", "must be a number, got \(show(v))")
            return nil
        }
        if value < min { fail("\(path).\(key)", "must be at least \(min.cleanText), got \(value.cleanText)"); return nil }
        if value > max { fail("\(path).\(key)", "must be at most \(max.cleanText), got \(value.cleanText)"); return nil }
        return value
    }

    mutating func integer(_ o: [String: JSONValue], _ key: String, _ path: String, min: Int, max: Int) -> Int? {
        guard let d = number(o, key, path, min: Double(min), max: Double(max)) else { return nil }
        guard let i = CheckedNumber.whole(d, in: min...max) else { fail("\(path).\(key)", "must be a whole number, got \(d.cleanText)"); return nil }
        return i
    }

    /// An amount in `[min, max]` (decimal, in the currency) converted to minor units.
    mutating func money(_ o: [String: JSONValue], _ key: String, _ path: String, min: Double, max: Double, currency: String) -> Int? {
        number(o, key, path, min: min, max: max).flatMap { Money.minor(fromDecimal: $0, currency: currency) }
    }

    /// The same readers with a setting's domain (`SettingLimits`).
    mutating func number(_ o: [String: JSONValue], _ key: String, _ path: String, _ range: ClosedRange<Double>) -> Double? {
        number(o, key, path, min: range.lowerBound, max: range.upperBound)
    }
    mutating func integer(_ o: [String: JSONValue], _ key: String, _ path: String, _ range: ClosedRange<Int>) -> Int? {
        integer(o, key, path, min: range.lowerBound, max: range.upperBound)
    }
    mutating func money(_ o: [String: JSONValue], _ key: String, _ path: String, _ range: ClosedRange<Double>, currency: String) -> Int? {
        money(o, key, path, min: range.lowerBound, max: range.upperBound, currency: currency)
    }

    mutating func bool(_ o: [String: JSONValue], _ key: String, _ path: String) -> Bool? {
        switch o[key] {
        case nil, .null?: return nil
        case .bool(let b)?: return b
        case let v?:
            fail("\(path).\(key)", "must be true or false, got \(show(v))")
            return nil
        }
    }

    mutating func object(_ o: [String: JSONValue], _ key: String, _ path: String, required: Bool = false) -> [String: JSONValue]? {
        switch o[key] {
        case nil, .null?:
            if required { fail("\(path).\(key)", "is required") }
            return nil
        case .object(let x)?: return x
        case let v?:
            fail("\(path).\(key)", "must be an object, got \(show(v))")
            return nil
        }
    }

    mutating func array(_ o: [String: JSONValue], _ key: String, _ path: String) -> [JSONValue]? {
        switch o[key] {
        case nil, .null?: return nil
        case .array(let a)?: return a
        case let v?:
            fail("\(path).\(key)", "must be an array, got \(show(v))")
            return nil
        }
    }

    mutating func strings(_ o: [String: JSONValue], _ key: String, _ path: String) -> [String] {
        guard let a = array(o, key, path) else { return [] }
        var out: [String] = []
        for (i, v) in a.enumerated() {
            if case .string(let s) = v, !s.trimmingCharacters(in: .whitespaces).isEmpty {
                out.append(s.trimmingCharacters(in: .whitespaces))
            } else {
                fail("\(path).\(key)[\(i)]", "must be a non-empty string, got \(show(v))")
            }
        }
        return out
    }

    mutating func read(_ root: JSONValue, id: UUID) -> RestaurantImport? {
        guard case .object(let top) = root else {
            fail("(file)", "must be a JSON object with \"restaurant\" and \"menu\"")
            return nil
        }
        guard let r = object(top, "restaurant", "(file)", required: true) else { return nil }
        let p = "restaurant"
        var profile = RestaurantProfile(id: id, name: string(r, "name", p, required: true) ?? "")
        profile.cuisineType = string(r, "cuisine_type", p)
        profile.address = string(r, "address", p)
        profile.city = string(r, "city", p)
        profile.postalCode = string(r, "postal_code", p)
        if let country = string(r, "country", p) {
            if country.count == 2, country.allSatisfy(\.isLetter) { profile.country = country.uppercased() } else {
                fail("\(p).country", "must be a 2-letter ISO country code such as \"FR\", got \"\(country)\"")
            }
        }
        if let phone = string(r, "phone", p) {
            if let n = PhoneNumber.normalize(phone, defaultCountry: profile.country), n.hasPrefix("+") {
                profile.phone = n
                if r["country"] == nil, let c = PhoneNumber.country(ofE164: n) { profile.country = c }
            } else {
                fail("\(p).phone", "\"\(phone)\" is not a phone number")
            }
        }
        let email = string(r, "email", p)
        let website = string(r, "website", p)
        var placeId: String?
        if let loc = object(r, "location", p) {
            profile.lat = number(loc, "lat", "\(p).location", min: -90, max: 90)
            profile.lng = number(loc, "lng", "\(p).location", min: -180, max: 180)
            if (profile.lat == nil) != (profile.lng == nil) { fail("\(p).location", "lat and lng go together") }
            placeId = string(loc, "google_place_id", "\(p).location")
        }
        profile.timezone = string(r, "timezone", p) ?? RestaurantImport.defaultTimeZone(country: profile.country)
        if !RestaurantTime.isValidIdentifier(profile.timezone) {
            fail("\(p).timezone", "\"\(profile.timezone)\" is not an IANA time zone such as \"Europe/Paris\"")
        }
        if let cur = string(r, "currency", p) {
            if cur.count == 3, cur.allSatisfy(\.isLetter) { profile.currency = cur.uppercased() } else {
                fail("\(p).currency", "must be a 3-letter ISO currency code such as \"EUR\", got \"\(cur)\"")
            }
        } else {
            profile.currency = RestaurantImport.defaultCurrency(country: profile.country)
        }
        let currency = profile.currency

        if r["opening_hours"] != nil, r["opening_hours"] != .null {
            readHours(r["opening_hours"]!, into: &profile, path: "\(p).opening_hours")
        }

        if let d = object(r, "delivery", p) {
            let dp = "\(p).delivery"
            profile.deliveryEnabled = bool(d, "enabled", dp) ?? false
            profile.deliveryRadiusKm = number(d, "radius_km", dp, SettingLimits.deliveryRadiusKm)
            profile.deliveryFeeMinor = money(d, "fee", dp, SettingLimits.deliveryFee, currency: currency) ?? 0
            profile.deliveryFreeAboveMinor = money(d, "free_above", dp, SettingLimits.orderAmount, currency: currency)
            profile.minOrderAmountMinor = money(d, "min_order", dp, SettingLimits.orderAmount, currency: currency) ?? 0
            profile.avgPrepTimeMin = integer(d, "avg_prep_time_min", dp, SettingLimits.avgPrepTimeMin) ?? profile.avgPrepTimeMin
            _ = integer(d, "estimated_delivery_min", dp, min: 0, max: 240)
            if profile.deliveryEnabled && profile.deliveryRadiusKm == nil {
                fail("\(dp).radius_km", "is required when delivery is enabled")
            }
        }
        let methods = strings(r, "payment_methods", p)
        if !methods.isEmpty { profile.paymentMethods = methods }

        if let ai = object(r, "ai_config", p) {
            let ap = "\(p).ai_config"
            if let voice = string(ai, "voice", ap) { profile.aiVoice = voice }
            if let lang = string(ai, "language", ap) { profile.defaultLocale = lang }
            profile.welcomeMessage = string(ai, "welcome_message", ap)
            profile.aiInstructions = string(ai, "instructions", ap)
            let upsell = strings(ai, "upsell_items", ap)
            if !upsell.isEmpty {
                let line = "Suggestions à proposer quand c'est pertinent : \(upsell.joined(separator: ", "))."
                profile.aiInstructions = [profile.aiInstructions, line].compactMap { $0 }.joined(separator: "\n")
            }
            if let closed = string(ai, "out_of_hours_message", ap) {
                let line = "Quand le restaurant est fermé, dis : « \(closed) »"
                profile.aiInstructions = [profile.aiInstructions, line].compactMap { $0 }.joined(separator: "\n")
            }
        }

        if let res = object(r, "reservation", p) {
            let rp = "\(p).reservation"
            profile.reservationEnabled = bool(res, "enabled", rp) ?? false
            profile.totalSeats = integer(res, "total_seats", rp, SettingLimits.totalSeats)
            profile.avgMealDurationMin = integer(res, "avg_meal_duration_min", rp, SettingLimits.avgMealDurationMin) ?? profile.avgMealDurationMin
            profile.minReservationAdvanceMin = integer(res, "min_advance_min", rp, SettingLimits.minReservationAdvanceMin) ?? profile.minReservationAdvanceMin
            profile.maxReservationAdvanceDays = integer(res, "max_advance_days", rp, SettingLimits.maxReservationAdvanceDays) ?? profile.maxReservationAdvanceDays
        }
        if let t = object(r, "transfer", p) {
            let tp = "\(p).transfer"
            profile.transferEnabled = bool(t, "enabled", tp) ?? false
            if let num = string(t, "phone_number", tp) {
                if let n = PhoneNumber.normalize(num, defaultCountry: profile.country), n.hasPrefix("+") { profile.transferPhoneNumber = n } else {
                    fail("\(tp).phone_number", "\"\(num)\" is not a phone number")
                }
            }
            profile.transferAutomatic = bool(t, "automatic", tp) ?? false
            profile.transferCases = strings(t, "cases", tp)
        }

        let externalRef: String
        if let placeId { externalRef = "place:\(placeId)" } else if let phone = profile.phone { externalRef = "phone:\(phone)" } else {
            externalRef = "name:\(profile.name.lowercased())|\(profile.postalCode ?? "")"
        }

        var categories: [RestaurantImport.Category] = []
        var items: [RestaurantImport.Item] = []
        if let menu = object(top, "menu", "(file)", required: true) {
            categories = readCategories(menu)
            items = readItems(menu, categories: categories, currency: currency)
        }
        let sections = Set(r.filter { $0.value != .null }.map(\.key))
        return RestaurantImport(
            restaurant: profile, externalRef: externalRef, email: email, website: website,
            categories: categories, items: items, sections: sections)
    }

    mutating func readHours(_ v: JSONValue, into profile: inout RestaurantProfile, path: String) {
        guard case .object(let o) = v else { fail(path, "must be an object keyed by weekday"); return }
        let known = Set(Weekday.allCases.map(\.key))
        for key in o.keys.sorted() where !key.hasPrefix("_") && !known.contains(key) {
            fail("\(path).\(key)", "is not a weekday (monday … sunday)")
        }
        var days: [Weekday: [OpeningRange]] = [:]
        for day in Weekday.allCases {
            let dp = "\(path).\(day.key)"
            guard let entry = o[day.key], entry != .null else { continue }
            guard case .object(let e) = entry else { fail(dp, "must be an object {open, close, open2, close2} or null"); continue }
            var ranges: [OpeningRange] = []
            for suffix in ["", "2"] {
                let o1 = string(e, "open" + suffix, dp), c1 = string(e, "close" + suffix, dp)
                switch (o1, c1) {
                case (nil, nil): continue
                case (let a?, let b?):
                    guard let open = TimeOfDay(parsing: a), open.minutes < 1440 else { fail("\(dp).open\(suffix)", "\"\(a)\" is not a time HH:MM"); continue }
                    guard let close = TimeOfDay(parsing: b) else { fail("\(dp).close\(suffix)", "\"\(b)\" is not a time HH:MM"); continue }
                    if open == close { fail("\(dp).close\(suffix)", "equals the opening time \(a)"); continue }
                    ranges.append(OpeningRange(open: open, close: close.minutes == 1440 ? TimeOfDay(minutes: 0) : close))
                default:
                    fail("\(dp).\(o1 == nil ? "open" : "close")\(suffix)", "is required with \(o1 == nil ? "close" : "open")\(suffix)")
                }
            }
            if ranges.count == 2, !ranges[0].crossesMidnight, ranges[1].open < ranges[0].close {
                fail("\(dp).open2", "starts before the first range closes (\(ranges[0].close))")
            }
            if !ranges.isEmpty { days[day] = ranges }
        }
        profile.openingHours = WeeklyHours(days: days)
    }

    mutating func readCategories(_ menu: [String: JSONValue]) -> [RestaurantImport.Category] {
        var out: [RestaurantImport.Category] = []
        var seen = Set<String>()
        for (i, v) in (array(menu, "categories", "menu") ?? []).enumerated() {
            let cp = "menu.categories[\(i)]"
            guard case .object(let c) = v else { fail(cp, "must be an object"); continue }
            let name = string(c, "name", cp, required: true)
            let ref = string(c, "ref", cp) ?? name.map { "name:\($0.lowercased())" }
            guard let name, let ref else { continue }
            if !seen.insert(ref).inserted { fail("\(cp).ref", "\"\(ref)\" is used by another category"); continue }
            out.append(.init(ref: ref, name: name, description: string(c, "description", cp),
                             displayOrder: integer(c, "display_order", cp, min: 0, max: 1_000_000) ?? i))
        }
        return out
    }

    mutating func readItems(_ menu: [String: JSONValue], categories: [RestaurantImport.Category], currency: String) -> [RestaurantImport.Item] {
        let catRefs = Set(categories.map(\.ref))
        var out: [RestaurantImport.Item] = []
        var seen = Set<String>()
        let raw = array(menu, "items", "menu") ?? []
        // Item refs are needed before options are read: formules may point at items listed after them.
        var allRefs = Set<String>()
        for v in raw { if case .object(let o) = v, case .string(let r)? = o["ref"] { allRefs.insert(r.trimmingCharacters(in: .whitespaces)) } }
        for (i, v) in raw.enumerated() {
            let ip = "menu.items[\(i)]"
            guard case .object(let it) = v else { fail(ip, "must be an object"); continue }
            let name = string(it, "name", ip, required: true)
            let ref = string(it, "ref", ip) ?? name.map { "name:\($0.lowercased())" }
            let categoryRef = string(it, "category_ref", ip)
            if let categoryRef, !catRefs.contains(categoryRef) {
                fail("\(ip).category_ref", "\"\(categoryRef)\" is not the ref of a category in menu.categories")
            }
            let price = money(it, "price", ip, min: 0, max: 100_000, currency: currency)
            if it["price"] == nil || it["price"] == .null { fail("\(ip).price", "is required") }
            var options: [RestaurantImport.Option] = []
            for (j, ov) in (array(it, "options", ip) ?? []).enumerated() {
                if let o = readOption(ov, path: "\(ip).options[\(j)]", catRefs: catRefs, itemRefs: allRefs, currency: currency) { options.append(o) }
            }
            guard let name, let ref, let price else { continue }
            if !seen.insert(ref).inserted { fail("\(ip).ref", "\"\(ref)\" is used by another item"); continue }
            out.append(.init(
                ref: ref, categoryRef: categoryRef, name: name, description: string(it, "description", ip),
                priceMinor: price,
                allergens: strings(it, "allergens", ip), tags: strings(it, "tags", ip),
                available: bool(it, "available", ip) ?? true, displayOrder: integer(it, "display_order", ip, min: 0, max: 1_000_000) ?? i,
                options: options))
        }
        return out
    }

    mutating func readOption(_ v: JSONValue, path: String, catRefs: Set<String>, itemRefs: Set<String>, currency: String) -> RestaurantImport.Option? {
        guard case .object(let o) = v else { fail(path, "must be an object"); return nil }
        let name = string(o, "name", path, required: true)
        var kind = ItemOption.Kind.singleChoice
        if let t = string(o, "type", path) {
            if let k = ItemOption.Kind(rawValue: t) { kind = k } else { fail("\(path).type", "must be \"single_choice\" or \"multi_choice\", got \"\(t)\"") }
        }
        let required = bool(o, "required", path) ?? false
        let maxChoices = integer(o, "max_choices", path, min: 1, max: 50)
        var source: ItemOption.Source?
        if let s = string(o, "source", path) {
            if let src = ItemOption.Source(rawValue: s) { source = src } else { fail("\(path).source", "must be \"category\" or \"items\", got \"\(s)\"") }
        }
        var choices: [OptionChoice] = []
        var categoryRef: String?
        var refs: [String] = []
        let maxPrice = money(o, "max_price", path, min: 0, max: 100_000, currency: currency)
        switch source {
        case .category:
            categoryRef = string(o, "category_ref", path, required: true)
            if let c = categoryRef, !catRefs.contains(c) { fail("\(path).category_ref", "\"\(c)\" is not the ref of a category in menu.categories") }
        case .items:
            refs = strings(o, "item_refs", path)
            if refs.isEmpty { fail("\(path).item_refs", "must list at least one item ref") }
            for r in refs where !itemRefs.contains(r) { fail("\(path).item_refs", "\"\(r)\" is not the ref of an item in menu.items") }
        case nil:
            let raw = array(o, "choices", path) ?? []
            if raw.isEmpty { fail("\(path).choices", "must list at least one choice") }
            var labels = Set<String>()
            for (k, cv) in raw.enumerated() {
                let cp = "\(path).choices[\(k)]"
                guard case .object(let c) = cv else { fail(cp, "must be an object {label, price_modifier}"); continue }
                guard let label = string(c, "label", cp, required: true) else { continue }
                if !labels.insert(label.lowercased()).inserted { fail("\(cp).label", "\"\(label)\" appears twice in this option") }
                let modifier = money(c, "price_modifier", cp, min: -1000, max: 10_000, currency: currency) ?? 0
                choices.append(OptionChoice(label: label, priceModifierMinor: modifier))
            }
            if let m = maxChoices, kind == .singleChoice, m > 1 { fail("\(path).max_choices", "must be 1 for a single_choice option") }
        }
        guard let name else { return nil }
        return .init(name: name, required: required, type: kind, maxChoices: maxChoices, choices: choices,
                     source: source, categoryRef: categoryRef, itemRefs: refs, maxPriceMinor: maxPrice)
    }
}

extension Double {
    fileprivate var cleanText: String { CheckedNumber.text(self) }
}

/// The import format's readers, for the management API: the same rules and messages as a file import.
extension RestaurantImport {
    /// Opening hours in the import format (`{"monday": {"open": "11:30", "close": "14:30", "open2": …}, …}`).
    public static func readHours(_ value: JSONValue, path: String = "openingHours") -> Result<WeeklyHours, ImportErrors> {
        var reader = Reader()
        var profile = RestaurantProfile(id: UUID(), name: "")
        reader.readHours(value, into: &profile, path: path)
        return reader.problems.isEmpty ? .success(profile.openingHours) : .failure(ImportErrors(problems: reader.problems))
    }

    /// Menu item options in the import format, `category_ref` / `item_refs` holding the ids of the restaurant's
    /// categories and items; returned with those ids resolved.
    public static func readOptions(
        _ value: JSONValue, categoryIds: Set<UUID>, itemIds: Set<UUID>, currency: String, path: String = "options"
    ) -> Result<[ItemOption], ImportErrors> {
        var reader = Reader()
        guard case .array(let list) = value else {
            return .failure(ImportErrors(problems: [ImportProblem(path, "must be an array of options")]))
        }
        let cats = Set(categoryIds.map { $0.uuidString.lowercased() }), items = Set(itemIds.map { $0.uuidString.lowercased() })
        var options: [ItemOption] = []
        for (i, v) in list.enumerated() {
            // Ids are compared in lowercase, whatever case they were sent in.
            var lowered = v
            if case .object(var o) = v {
                if case .string(let s)? = o["category_ref"] { o["category_ref"] = .string(s.lowercased()) }
                if case .array(let a)? = o["item_refs"] { o["item_refs"] = .array(a.map { $0.stringValue.map { .string($0.lowercased()) } ?? $0 }) }
                lowered = .object(o)
            }
            guard let o = reader.readOption(lowered, path: "\(path)[\(i)]", catRefs: cats, itemRefs: items, currency: currency) else { continue }
            options.append(ItemOption(
                name: o.name, required: o.required, type: o.type, maxChoices: o.maxChoices, choices: o.choices, source: o.source,
                categoryId: o.categoryRef.flatMap(UUID.init(uuidString:)), maxPriceMinor: o.maxPriceMinor,
                itemIds: o.itemRefs.isEmpty ? nil : o.itemRefs.compactMap(UUID.init(uuidString:))))
        }
        return reader.problems.isEmpty ? .success(options) : .failure(ImportErrors(problems: reader.problems))
    }
}
