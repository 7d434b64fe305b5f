import AlloRestoCore
import FluentKit
import Foundation

/// What an import did.
public struct ImportOutcome: Sendable, Encodable {
    public let restaurantId: UUID
    public let created: Bool
    /// The agent token, only when this import created it (it is shown once and stored hashed).
    public let agentToken: String?
    public let categories: Int
    public let items: Int
}

/// Writes a validated import in one transaction: the restaurant (matched by its external reference so a re-import
/// updates it), its categories and items (matched by `ref`, so ids and `#N` numbers stay stable), and a first token.
public enum RestaurantImporter {
    public static func write(_ imp: RestaurantImport, on db: any Database) async throws -> ImportOutcome {
        try await db.transaction { tx in try await writeInTransaction(imp, on: tx) }
    }

    static func merged(existing: RestaurantProfile, with imp: RestaurantImport) -> RestaurantProfile {
        var p = existing
        let n = imp.restaurant
        p.name = n.name
        p.cuisineType = n.cuisineType
        p.address = n.address
        p.city = n.city
        p.postalCode = n.postalCode
        if imp.sections.contains("country") || imp.sections.contains("phone") { p.country = n.country }
        if imp.sections.contains("phone") { p.phone = n.phone }
        if imp.sections.contains("location") { p.lat = n.lat; p.lng = n.lng }
        if imp.sections.contains("timezone") || imp.sections.contains("country") { p.timezone = n.timezone }
        if imp.sections.contains("currency") || imp.sections.contains("country") { p.currency = n.currency }
        if imp.sections.contains("opening_hours") { p.openingHours = n.openingHours }
        if imp.sections.contains("payment_methods") { p.paymentMethods = n.paymentMethods }
        if imp.sections.contains("delivery") {
            p.deliveryEnabled = n.deliveryEnabled
            p.deliveryRadiusKm = n.deliveryRadiusKm
            p.deliveryFeeMinor = n.deliveryFeeMinor
            p.deliveryFreeAboveMinor = n.deliveryFreeAboveMinor
            p.minOrderAmountMinor = n.minOrderAmountMinor
            p.avgPrepTimeMin = n.avgPrepTimeMin
        }
        if imp.sections.contains("ai_config") {
            p.aiVoice = n.aiVoice
            p.defaultLocale = n.defaultLocale
            p.welcomeMessage = n.welcomeMessage
            p.aiInstructions = n.aiInstructions
        }
        if imp.sections.contains("reservation") {
            p.reservationEnabled = n.reservationEnabled
            p.totalSeats = n.totalSeats
            p.avgMealDurationMin = n.avgMealDurationMin
            p.minReservationAdvanceMin = n.minReservationAdvanceMin
            p.maxReservationAdvanceDays = n.maxReservationAdvanceDays
        }
        if imp.sections.contains("transfer") {
            p.transferEnabled = n.transferEnabled
            p.transferPhoneNumber = n.transferPhoneNumber
            p.transferAutomatic = n.transferAutomatic
            p.transferCases = n.transferCases
        }
        return p
    }

    static func writeInTransaction(_ imp: RestaurantImport, on db: any Database) async throws -> ImportOutcome {
        let existing: Restaurant? = try await Restaurant.query(on: db).filter(\.$externalRef == imp.externalRef).first()
        let row: Restaurant
        if let existing {
            existing.apply(merged(existing: existing.profile, with: imp))
            existing.email = imp.email ?? existing.email
            existing.website = imp.website ?? existing.website
            existing.version += 1
            try await existing.save(on: db)
            row = existing
        } else {
            row = Restaurant(profile: imp.restaurant)
            row.email = imp.email
            row.website = imp.website
            row.externalRef = imp.externalRef
            try await row.create(on: db)
        }
        let rid = row.id!

        // Categories by ref: update in place, create new ones, delete those the file no longer has.
        let oldCategories: [MenuCategory] = try await MenuCategory.query(on: db).filter(\.$restaurant.$id == rid).all()
        var categoryIds: [String: UUID] = [:]
        for c in imp.categories {
            let model = oldCategories.first { $0.ref == c.ref } ?? MenuCategory()
            if model.id == nil {
                model.id = UUID()
                model.$restaurant.id = rid
                model.ref = c.ref
                model.isActive = true
            }
            model.name = c.name
            model.description = c.description
            model.displayOrder = c.displayOrder
            try await model.save(on: db)
            categoryIds[c.ref] = model.id!
        }

        let oldItems: [MenuItem] = try await MenuItem.query(on: db).filter(\.$restaurant.$id == rid).all()
        var itemIds: [String: UUID] = [:]
        for it in imp.items { itemIds[it.ref] = oldItems.first { $0.ref == it.ref }?.id ?? UUID() }
        let keep = Set(itemIds.values)
        for old in oldItems where !keep.contains(old.id!) { try await old.delete(on: db) }
        let keepCategories = Set(categoryIds.values)
        for old in oldCategories where !keepCategories.contains(old.id!) { try await old.delete(on: db) }

        for it in imp.items {
            let id = itemIds[it.ref]!
            let model = oldItems.first { $0.id == id } ?? MenuItem()
            if model.id == nil {
                model.id = id
                model.$restaurant.id = rid
                model.ref = it.ref
            }
            model.$category.id = it.categoryRef.flatMap { categoryIds[$0] }
            model.name = it.name
            model.description = it.description
            model.price = it.priceMinor
            model.allergens = JSONText.encode(it.allergens)
            model.tags = JSONText.encode(it.tags)
            model.isAvailable = it.available
            model.displayOrder = it.displayOrder
            model.options = JSONText.encode(it.options.map { o in
                ItemOption(
                    name: o.name, required: o.required, type: o.type, maxChoices: o.maxChoices, choices: o.choices,
                    source: o.source, categoryId: o.categoryRef.flatMap { categoryIds[$0] }, maxPriceMinor: o.maxPriceMinor,
                    itemIds: o.source == .items ? o.itemRefs.compactMap { itemIds[$0] } : nil)
            })
            try await model.save(on: db)
        }

        var token: String?
        if existing == nil { token = try await AgentTokens.issue(for: rid, on: db) }
        return ImportOutcome(restaurantId: rid, created: existing == nil, agentToken: token, categories: imp.categories.count, items: imp.items.count)
    }
}
