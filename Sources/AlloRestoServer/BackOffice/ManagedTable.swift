import AlloRestoCore
import AlloRestoStore
import Foundation

/// A restaurant-owned table the back office edits as a whole (list, create, update, delete): dining services,
/// offers, rooms and tables. Each row is read and written through the restaurant it belongs to; a write or a
/// delete bumps the restaurant's version with it (`RestaurantBook.save`, `RestaurantRows.delete`).
struct ManagedTable: Sendable {
    let path: String
    let singular: String
    let plural: String
    let label: String
    let list: @Sendable (Restaurant, AlloRestoDatabase) async throws -> [JSONValue]
    let write: @Sendable (Restaurant, UUID?, ToolBody, AlloRestoDatabase) async throws -> JSONValue
    let delete: @Sendable (Restaurant, UUID, AlloRestoDatabase) async throws -> Bool

    static let all = [diningServices, offers, rooms, tables]

    static func missing(_ key: String) -> APIError { APIError(.unprocessableContent, code: "missing_\(key)", "Le champ \(key) est obligatoire.") }
    /// Highest price or prepayment a managed row takes: 100,000.00 in the restaurant's currency (minor units).
    static let maxPriceMinor = 10_000_000

    static func notFound(_ label: String) -> APIError { APIError.notFound("not_found", "\(label) introuvable pour ce restaurant.") }

    static func time(_ body: ToolBody, _ key: String) throws -> String? {
        guard let s = body.string(key) else { return nil }
        guard let t = TimeOfDay(parsing: s), t.minutes <= 1440 else { throw ToolBody.invalid(key, "une heure HH:MM") }
        return t.description
    }

    static func ranged(_ body: ToolBody, _ key: String, _ range: ClosedRange<Int>) throws -> Int? {
        try body.int(key, in: range)
    }

    /// Finds the row of `id` owned by `r`, or a new one when `id` is nil.
    static func row<M: RestaurantOwned>(_ type: M.Type, _ id: UUID?, _ r: Restaurant, label: String, on database: AlloRestoDatabase) async throws -> M {
        guard let id else { return M() }
        guard let row = try await RestaurantRows.owned(M.self, id, restaurantId: r.id!, on: database.db) else { throw notFound(label) }
        return row
    }

    /// Deletes the row of `id` when `r` owns it (bumping the restaurant's version); false when there is none.
    static func deleteOwned<M: RestaurantOwned>(_ type: M.Type, _ id: UUID, _ r: Restaurant, on database: AlloRestoDatabase) async throws -> Bool {
        try await RestaurantRows.delete(M.self, id, restaurantId: r.id!, on: database.db)
    }

    /// Saves a row of `r` and bumps the restaurant's version in one transaction.
    static func save<M: RestaurantOwned>(_ row: M, _ r: Restaurant, on database: AlloRestoDatabase) async throws {
        try await RestaurantBook.save(row, restaurantId: r.id!, on: database.db)
    }

    static let diningServices = ManagedTable(
        path: "dining-services", singular: "diningService", plural: "diningServices", label: "Service",
        list: { r, db in try await RestaurantRows.diningServices(restaurantId: r.id!, on: db.db).map { json($0, r) } },
        write: { r, id, body, db in
            let s = try await row(DiningService.self, id, r, label: "Service", on: db)
            if id == nil {
                s.$restaurant.id = r.id!; s.isActive = true; s.isPrivate = false; s.prepaymentRequired = false
                s.daysOfWeek = "[1,2,3,4,5,6,7]"; s.defaultDurationMin = r.avgMealDurationMin
            }
            if let n = body.string("name") { s.name = n } else if id == nil { throw missing("name") }
            if let t = try time(body, "startTime") { s.startTime = t } else if id == nil { throw missing("startTime") }
            if let t = try time(body, "endTime") { s.endTime = t } else if id == nil { throw missing("endTime") }
            if body.fields["lastSeatingTime"] != nil { s.lastSeatingTime = try time(body, "lastSeatingTime") }
            if let c = try ranged(body, "maxCovers", 1...10_000) { s.maxCovers = c } else if id == nil { throw missing("maxCovers") }
            if let d = try ranged(body, "defaultDurationMin", 15...600) { s.defaultDurationMin = d }
            if body.fields["daysOfWeek"] != nil {
                let raw = body.array("daysOfWeek") ?? []
                let days = raw.compactMap { CheckedNumber.whole($0, in: 1...7) }
                guard !days.isEmpty, days.count == raw.count else {
                    throw ToolBody.invalid("daysOfWeek", "une liste de jours 1 (lundi) à 7 (dimanche)")
                }
                s.daysOfWeek = "[" + Set(days).sorted().map(String.init).joined(separator: ",") + "]"
            }
            if let b = try body.bool("isActive") { s.isActive = b }
            if let b = try body.bool("isPrivate") { s.isPrivate = b }
            if let b = try body.bool("prepaymentRequired") { s.prepaymentRequired = b }
            if body.fields["prepaymentAmount"] != nil {
                s.prepaymentAmount = try body.money("prepaymentAmount", currency: r.currency, maxMinor: Self.maxPriceMinor)
            }
            guard s.startTime != s.endTime else { throw ToolBody.invalid("endTime", "différente de startTime") }
            try await save(s, r, on: db)
            return json(s, r)
        },
        delete: { r, id, db in try await deleteOwned(DiningService.self, id, r, on: db) })

    static func json(_ s: DiningService, _ r: Restaurant) -> JSONValue {
        .object([
            "id": .string(s.id!.uuidString.lowercased()), "name": .string(s.name),
            "daysOfWeek": (try? JSONReader.parse(Array(s.daysOfWeek.utf8))) ?? [], "startTime": .string(s.startTime),
            "endTime": .string(s.endTime), "lastSeatingTime": s.lastSeatingTime.map(JSONValue.string) ?? .null,
            "maxCovers": .int(s.maxCovers), "defaultDurationMin": .int(s.defaultDurationMin), "isActive": .bool(s.isActive),
            "isPrivate": .bool(s.isPrivate), "prepaymentRequired": .bool(s.prepaymentRequired),
            "prepaymentAmount": s.prepaymentAmount.map { .double(Money.decimal($0, currency: r.currency)) } ?? .null,
        ])
    }

    static let offers = ManagedTable(
        path: "offers", singular: "offer", plural: "offers", label: "Offre",
        list: { r, db in try await RestaurantRows.offers(restaurantId: r.id!, on: db.db).map { json($0, r) } },
        write: { r, id, body, db in
            let o = try await row(Offer.self, id, r, label: "Offre", on: db)
            if id == nil { o.$restaurant.id = r.id!; o.isActive = true; o.kind = "menu" }
            if let n = body.string("name") { o.name = n } else if id == nil { throw missing("name") }
            if body.fields["description"] != nil { o.description = body.string("description") }
            if let k = body.string("kind")?.lowercased() {
                guard ["menu", "discount", "event"].contains(k) else { throw ToolBody.invalid("kind", "menu, discount ou event") }
                o.kind = k
            }
            if body.fields["price"] != nil { o.price = try body.money("price", currency: r.currency, maxMinor: Self.maxPriceMinor) }
            if body.fields["minPartySize"] != nil { o.minPartySize = try ranged(body, "minPartySize", 1...500) }
            if body.fields["maxPartySize"] != nil { o.maxPartySize = try ranged(body, "maxPartySize", 1...500) }
            for key in ["validFrom", "validTo"] where body.fields[key] != nil {
                let value = body.string(key)
                if let value, LocalDate(iso: value) == nil { throw ToolBody.invalid(key, "une date AAAA-MM-JJ") }
                if key == "validFrom" { o.validFrom = value } else { o.validTo = value }
            }
            if let b = try body.bool("isActive") { o.isActive = b }
            if let a = o.minPartySize, let b = o.maxPartySize, a > b { throw ToolBody.invalid("maxPartySize", "au moins minPartySize") }
            try await save(o, r, on: db)
            return json(o, r)
        },
        delete: { r, id, db in try await deleteOwned(Offer.self, id, r, on: db) })

    static func json(_ o: Offer, _ r: Restaurant) -> JSONValue {
        .object([
            "id": .string(o.id!.uuidString.lowercased()), "name": .string(o.name), "description": o.description.map(JSONValue.string) ?? .null,
            "kind": .string(o.kind), "price": o.price.map { .double(Money.decimal($0, currency: r.currency)) } ?? .null,
            "minPartySize": o.minPartySize.map(JSONValue.int) ?? .null, "maxPartySize": o.maxPartySize.map(JSONValue.int) ?? .null,
            "validFrom": o.validFrom.map(JSONValue.string) ?? .null, "validTo": o.validTo.map(JSONValue.string) ?? .null,
            "isActive": .bool(o.isActive),
        ])
    }

    static let rooms = ManagedTable(
        path: "rooms", singular: "room", plural: "rooms", label: "Salle",
        list: { r, db in try await RestaurantRows.rooms(restaurantId: r.id!, on: db.db).map(json) },
        write: { r, id, body, db in
            let room = try await row(Room.self, id, r, label: "Salle", on: db)
            if id == nil { room.$restaurant.id = r.id!; room.displayOrder = 0 }
            if let n = body.string("name") { room.name = n } else if id == nil { throw missing("name") }
            if let o = try body.int("displayOrder", in: 0...1_000_000) { room.displayOrder = o }
            try await save(room, r, on: db)
            return json(room)
        },
        // Its tables stay, without a room.
        delete: { r, id, db in try await RestaurantRows.deleteRoom(id, restaurantId: r.id!, on: db.db) })

    static func json(_ room: Room) -> JSONValue {
        .object(["id": .string(room.id!.uuidString.lowercased()), "name": .string(room.name), "displayOrder": .int(room.displayOrder)])
    }

    static let tables = ManagedTable(
        path: "tables", singular: "table", plural: "tables", label: "Table",
        list: { r, db in try await RestaurantRows.tables(restaurantId: r.id!, on: db.db).map(json) },
        write: { r, id, body, db in
            let t = try await row(DiningTable.self, id, r, label: "Table", on: db)
            if id == nil { t.$restaurant.id = r.id!; t.isActive = true }
            if let l = body.string("label") { t.label = l } else if id == nil { throw missing("label") }
            if let s = try ranged(body, "seats", 1...100) { t.seats = s } else if id == nil { throw missing("seats") }
            if let b = try body.bool("isActive") { t.isActive = b }
            if body.fields["roomId"] != nil {
                if let roomId = try body.uuid("roomId") {
                    guard let room = try await RestaurantRows.owned(Room.self, roomId, restaurantId: r.id!, on: db.db) else { throw ToolBody.invalid("roomId", "l'id d'une salle de ce restaurant") }
                    t.$room.id = room.id
                } else {
                    t.$room.id = nil
                }
            }
            try await save(t, r, on: db)
            return json(t)
        },
        delete: { r, id, db in try await deleteOwned(DiningTable.self, id, r, on: db) })

    static func json(_ t: DiningTable) -> JSONValue {
        .object(["id": .string(t.id!.uuidString.lowercased()), "label": .string(t.label), "seats": .int(t.seats),
                 "roomId": t.$room.id.map { .string($0.uuidString.lowercased()) } ?? .null, "isActive": .bool(t.isActive)])
    }
}
