import AlloRestoCore
import FluentKit
import Foundation

/// JSON text columns ↔ values.
enum JSONText {
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }()

    static func encode<T: Encodable>(_ value: T) -> String {
        // Encoding plain value types (arrays of strings, options) cannot fail.
        (try? String(decoding: encoder.encode(value), as: UTF8.self)) ?? "null"
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String, default fallback: T) -> T {
        (try? JSONDecoder().decode(T.self, from: Data(text.utf8))) ?? fallback
    }
}

extension Restaurant {
    /// The restaurant as a domain value.
    public var profile: RestaurantProfile {
        var p = RestaurantProfile(id: id!, name: name)
        p.cuisineType = cuisineType
        p.address = address
        p.city = city
        p.postalCode = postalCode
        p.country = country
        p.phone = phone
        p.lat = lat
        p.lng = lng
        p.timezone = timezone
        p.currency = currency
        p.defaultLocale = defaultLocale
        p.openingHours = JSONText.decode(WeeklyHours.self, openingHours, default: WeeklyHours())
        p.closures = Closure.list(closures.flatMap { try? JSONReader.parse(Array($0.utf8)) })
        p.ordersPausedUntil = ordersPausedUntil
        p.aiVoice = aiVoice
        p.aiInstructions = aiInstructions
        p.welcomeMessage = welcomeMessage
        p.paymentMethods = JSONText.decode([String].self, paymentMethods, default: [])
        p.deliveryEnabled = deliveryEnabled
        p.deliveryRadiusKm = deliveryRadiusKm
        p.deliveryFeeMinor = deliveryFee
        p.deliveryFreeAboveMinor = deliveryFreeAbove
        p.minOrderAmountMinor = minOrderAmount
        p.avgPrepTimeMin = avgPrepTimeMin
        p.reservationEnabled = reservationEnabled
        p.totalSeats = totalSeats
        p.avgMealDurationMin = avgMealDurationMin
        p.minReservationAdvanceMin = minReservationAdvanceMin
        p.maxReservationAdvanceDays = maxReservationAdvanceDays
        p.orderStatusEnabled = orderStatusEnabled
        p.transferEnabled = transferEnabled
        p.transferPhoneNumber = transferPhoneNumber
        p.transferAutomatic = transferAutomatic
        p.transferCases = JSONText.decode([String].self, transferCases, default: [])
        p.aiCostMarginPct = aiCostMarginPct
        p.planningConfig = planningConfig.flatMap { try? JSONReader.parse(Array($0.utf8)) }
        return p
    }

    /// Writes a profile's settings onto the row (id, agentId, version and counters are left alone).
    public func apply(_ p: RestaurantProfile) {
        name = p.name
        cuisineType = p.cuisineType
        address = p.address
        city = p.city
        postalCode = p.postalCode
        country = p.country
        phone = p.phone
        lat = p.lat
        lng = p.lng
        timezone = p.timezone
        currency = p.currency
        defaultLocale = p.defaultLocale
        openingHours = JSONText.encode(p.openingHours)
        aiVoice = p.aiVoice
        aiInstructions = p.aiInstructions
        welcomeMessage = p.welcomeMessage
        paymentMethods = JSONText.encode(p.paymentMethods)
        deliveryEnabled = p.deliveryEnabled
        deliveryRadiusKm = p.deliveryRadiusKm
        deliveryFee = p.deliveryFeeMinor
        deliveryFreeAbove = p.deliveryFreeAboveMinor
        minOrderAmount = p.minOrderAmountMinor
        avgPrepTimeMin = p.avgPrepTimeMin
        reservationEnabled = p.reservationEnabled
        totalSeats = p.totalSeats
        avgMealDurationMin = p.avgMealDurationMin
        minReservationAdvanceMin = p.minReservationAdvanceMin
        maxReservationAdvanceDays = p.maxReservationAdvanceDays
        orderStatusEnabled = p.orderStatusEnabled
        transferEnabled = p.transferEnabled
        transferPhoneNumber = p.transferPhoneNumber
        transferAutomatic = p.transferAutomatic
        transferCases = JSONText.encode(p.transferCases)
        aiCostMarginPct = p.aiCostMarginPct
        planningConfig = p.planningConfig.map { String(decoding: JSONWriter.encoded($0), as: UTF8.self) }
    }

    /// A new row for a profile, active, version 1.
    public convenience init(profile p: RestaurantProfile) {
        self.init()
        id = p.id
        apply(p)
        isActive = true
        version = 1
        lastOrderNumber = 0
    }
}

extension MenuCategory {
    var info: MenuCategoryInfo { MenuCategoryInfo(id: id!, name: name, displayOrder: displayOrder, isActive: isActive) }
}

extension MenuItem {
    public var info: MenuItemInfo {
        MenuItemInfo(
            id: id!, categoryId: $category.id, name: name, description: description, priceMinor: price,
            allergens: JSONText.decode([String].self, allergens, default: []),
            tags: JSONText.decode([String].self, tags, default: []),
            isAvailable: isAvailable, displayOrder: displayOrder,
            options: JSONText.decode([ItemOption].self, options, default: []))
    }
}

extension DiningService {
    var info: DiningServiceInfo? {
        guard let start = TimeOfDay(parsing: startTime), let end = TimeOfDay(parsing: endTime) else { return nil }
        let days = JSONText.decode([Int].self, daysOfWeek, default: []).compactMap(Weekday.init(rawValue:))
        return DiningServiceInfo(
            id: id!, name: name, daysOfWeek: days, startTime: start, endTime: end,
            lastSeatingTime: lastSeatingTime.flatMap(TimeOfDay.init(parsing:)), maxCovers: maxCovers,
            defaultDurationMin: defaultDurationMin, isActive: isActive, isPrivate: isPrivate,
            prepaymentRequired: prepaymentRequired)
    }
}

extension Offer {
    var info: OfferInfo {
        OfferInfo(
            id: id!, name: name, description: description, kind: kind, priceMinor: price, minPartySize: minPartySize,
            maxPartySize: maxPartySize, validFrom: validFrom, validTo: validTo, isActive: isActive)
    }
}
