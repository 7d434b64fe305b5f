import AlloRestoCore
import AlloRestoStore
import FluentKit
import Foundation
import Hummingbird
import SQLKit

/// The back office's JSON APIs (admin session): restaurants and their settings, menu, dining services, offers,
/// rooms and tables, phone line, blocked numbers, and the day's figures. Every change the agent relies on bumps the
/// restaurant's version in the same transaction, so the next call's `/api/ai` has it on every replica; changes to
/// what sip-agent-server holds (name, voice, timezone, feature flags) also schedule provisioning.
struct ManagementRoutes {
    let services: AppServices

    func register(on router: Router<AppContext>) {
        // The voice server checks a caller with its agent token too.
        router.get("/api/blocked-phones/check") { request, _ in try await self.blockedCheck(request) }
        // Everything else: a manager — an admin session or the restaurant's management key (401 JSON without one).
        let router = router.group().add(middleware: ManagerGuard(services: services))
        router.get("/api/restaurants") { request, context in try await self.restaurants(request, context: context) }
        router.post("/api/restaurants") { request, context in try await self.createRestaurant(request, context: context) }
        router.patch("/api/restaurants") { request, context in try await self.updateRestaurant(request, context: context) }
        router.get("/api/menu") { request, context in try await self.menu(request, context: context) }
        router.post("/api/menu") { request, context in try await self.menuWrite(request, context: context, create: true) }
        router.patch("/api/menu") { request, context in try await self.menuWrite(request, context: context, create: false) }
        router.delete("/api/menu") { request, context in try await self.menuDelete(request, context: context) }
        for table in ManagedTable.all {
            router.get("/api/\(table.path)") { request, context in try await self.list(table, request, context: context) }
            router.post("/api/\(table.path)") { request, context in try await self.write(table, request, context: context, create: true) }
            router.patch("/api/\(table.path)") { request, context in try await self.write(table, request, context: context, create: false) }
            router.delete("/api/\(table.path)") { request, context in try await self.remove(table, request, context: context) }
        }
        router.get("/api/phone-lines") { request, context in try await self.phoneLine(request, context: context) }
        router.put("/api/phone-lines") { request, context in try await self.savePhoneLine(request, context: context) }
        router.get("/api/blocked-phones") { request, context in try await self.blocked(request, context: context) }
        router.post("/api/blocked-phones") { request, context in try await self.block(request, context: context) }
        router.delete("/api/blocked-phones") { request, context in try await self.unblock(request, context: context) }
        router.get("/api/stats") { request, context in try await self.stats(request, context: context) }
    }

    var db: any Database { services.database.db }

    // MARK: access

    /// The restaurant a management request is about (`ManagerGuard` let the request in), on which the manager needs
    /// `permission`; any state (an inactive one can be reactivated).
    func restaurant(_ request: Request, _ body: ToolBody?, _ context: AppContext, need permission: Permission) async throws -> Restaurant {
        let raw = body?.string("restaurantId", "restaurant_id") ?? request.uri.queryParameters["restaurantId"].map(String.init)
        guard let manager = context.manager else { throw APIError.unauthorized() }
        let id = try manager.restaurantId(raw, for: permission)
        guard let r = try await Restaurant.find(id, on: db) else { throw APIError.notFound("restaurant_not_found", "Restaurant inconnu.") }
        return r
    }

    /// Platform-wide actions (creating a restaurant) are for the platform's admins only: not a restaurant's key,
    /// owner or staff.
    func requireAdmin(_ context: AppContext) throws {
        guard case .admin(let identity)? = context.manager, identity.platformAdmin else {
            throw APIError(.forbidden, code: "role_not_allowed", "Réservé aux administrateurs de la plateforme.")
        }
    }

    func provision(_ id: UUID, changed: Set<String>) async {
        guard !changed.isDisjoint(with: RestaurantSettings.agentFields), let queue = services.provisioning else { return }
        await queue.schedule(id)
    }

    // MARK: restaurants

    func restaurants(_ request: Request, context: AppContext) async throws -> Response {
        let q = request.uri.queryParameters
        if let raw = q["restaurantId"] ?? q["id"] {
            let r = try await restaurant(request, ToolBody(fields: ["restaurantId": .string(String(raw))]), context, need: .manageRestaurant)
            return ToolResponse.value(.object(["success": true, "restaurant": RestaurantSettings.json(r)]))
        }
        var query = Restaurant.query(on: db).sort(\.$name)
        if case .key(let own)? = context.manager { query = query.filter(\.$id == own) }
        if case .admin(let identity)? = context.manager, !identity.platformAdmin { query = query.filter(\.$id ~~ Array(identity.memberships.keys)) }
        // Only the restaurants whose settings this manager may read (staff: none).
        let rows: [Restaurant] = try await query.all().filter { r in r.id.map { context.manager?.allows(.manageRestaurant, on: $0) ?? false } ?? false }
        return ToolResponse.value(.object(["success": true, "restaurants": .array(rows.map(RestaurantSettings.json))]))
    }

    func createRestaurant(_ request: Request, context: AppContext) async throws -> Response {
        try requireAdmin(context)
        let body = try await ToolBody.readManaged(request, context: context)
        guard let name = body.string("name") else { throw APIError(.unprocessableContent, code: "missing_name", "Le champ name est obligatoire.") }
        var profile = RestaurantProfile(id: UUID(), name: name)
        if let c = body.string("country")?.uppercased(), c.count == 2 {
            profile.country = c
            profile.timezone = RestaurantImport.defaultTimeZone(country: c)
            profile.currency = RestaurantImport.defaultCurrency(country: c)
        }
        let row = Restaurant(profile: profile)
        try RestaurantSettings.apply(body, to: row, now: services.now())
        let token = try await db.transaction { tx in
            try await row.create(on: tx)
            return try await AgentTokens.issue(for: row.id!, on: tx)
        }
        if let queue = services.provisioning { await queue.schedule(row.id!) }
        await services.audit(row.id, by: context.manager?.actor ?? "?", "restaurant.create", "a créé le restaurant « \(row.name) »")
        return ToolResponse.value(.object(["success": true, "restaurant": RestaurantSettings.json(row), "agentToken": .string(token)]), status: .created)
    }

    func updateRestaurant(_ request: Request, context: AppContext) async throws -> Response {
        let body = try await ToolBody.readManaged(request, context: context)
        // "Plus de commandes ce soir" is a service decision: the staff running it may switch it alone.
        let serviceOnly = Set(body.fields.keys).subtracting(["restaurantId", "restaurant_id", "id"]) == ["ordersPaused"]
        let r = try await restaurant(request, body, context, need: serviceOnly ? .operateService : .manageRestaurant)
        // The platform's margin on AI costs and switching a restaurant on or off are the platform's decisions.
        if !Set(body.fields.keys).isDisjoint(with: ["aiCostMarginPct", "isActive"]), context.manager?.allows(.platform, on: r.id!) != true {
            throw APIError(.forbidden, code: "role_not_allowed", "La marge sur les coûts IA et l'activation du restaurant sont réglées par la plateforme.")
        }
        let previousPhone = r.phone
        let changed = try RestaurantSettings.apply(body, to: r, now: services.now())
        // A number answers for one restaurant only (the incoming-call hook routes by it).
        if changed.contains("phone"), let phone = r.phone, phone != previousPhone,
           try await Restaurant.query(on: db).filter(\.$phone == phone).filter(\.$id != r.id!).first() != nil {
            throw APIError(.conflict, code: "phone_taken", "Ce numéro est déjà celui d'un autre restaurant.")
        }
        if !changed.isEmpty {
            try await db.transaction { tx in
                try await r.save(on: tx)
                try await RestaurantVersion.bump(r.id!, on: tx)
            }
            r.version += 1
            await provision(r.id!, changed: changed)
        }
        if !changed.isEmpty {
            await services.audit(r.id, by: context.manager?.actor ?? "?", "settings.update", "réglages modifiés : " + changed.sorted().joined(separator: ", "))
        }
        return ToolResponse.value(.object(["success": true, "restaurant": RestaurantSettings.json(r), "changed": .array(changed.sorted().map(JSONValue.string))]))
    }

    // MARK: menu

    static func categoryJSON(_ c: MenuCategory) -> JSONValue {
        .object(["id": .string(c.id!.uuidString.lowercased()), "type": "category", "name": .string(c.name),
                 "description": c.description.map(JSONValue.string) ?? .null, "displayOrder": .int(c.displayOrder), "isActive": .bool(c.isActive)])
    }

    static func itemJSON(_ i: MenuItem, currency: String) -> JSONValue {
        let info = i.info
        let options: [JSONValue] = info.options.map { o in
            var out: [String: JSONValue] = ["name": .string(o.name), "required": .bool(o.required), "type": .string(o.type.rawValue)]
            if let m = o.maxChoices { out["max_choices"] = .int(m) }
            if let s = o.source { out["source"] = .string(s.rawValue) }
            if let c = o.categoryId { out["category_ref"] = .string(c.uuidString.lowercased()) }
            if let ids = o.itemIds { out["item_refs"] = .array(ids.map { .string($0.uuidString.lowercased()) }) }
            if let m = o.maxPriceMinor { out["max_price"] = .double(Money.decimal(m, currency: currency)) }
            if o.source == nil {
                out["choices"] = .array(o.choices.map { .object(["label": .string($0.label), "price_modifier": .double(Money.decimal($0.priceModifierMinor, currency: currency))]) })
            }
            return .object(out)
        }
        return .object([
            "id": .string(i.id!.uuidString.lowercased()), "type": "item", "name": .string(i.name),
            "categoryId": i.$category.id.map { .string($0.uuidString.lowercased()) } ?? .null, "isFormule": .bool(i.$category.id == nil),
            "description": i.description.map(JSONValue.string) ?? .null, "price": .double(Money.decimal(i.price, currency: currency)),
            "allergens": .array(info.allergens.map(JSONValue.string)), "tags": .array(info.tags.map(JSONValue.string)),
            "isAvailable": .bool(i.isAvailable), "displayOrder": .int(i.displayOrder), "options": .array(options),
        ])
    }

    func menu(_ request: Request, context: AppContext) async throws -> Response {
        let r = try await restaurant(request, nil, context, need: .operateService)
        let cats: [MenuCategory] = try await MenuCategory.query(on: db).filter(\.$restaurant.$id == r.id!).sort(\.$displayOrder).sort(\.$name).all()
        let items: [MenuItem] = try await MenuItem.query(on: db).filter(\.$restaurant.$id == r.id!).sort(\.$displayOrder).sort(\.$name).all()
        return ToolResponse.value(.object([
            "success": true, "currency": .string(r.currency), "categories": .array(cats.map(Self.categoryJSON)),
            "items": .array(items.map { Self.itemJSON($0, currency: r.currency) }),
        ]))
    }

    func menuWrite(_ request: Request, context: AppContext, create: Bool) async throws -> Response {
        let body = try await ToolBody.readManaged(request, context: context)
        // Staff may mark a dish available or not during the service (`{id, isAvailable}` only); anything else on the
        // menu (prices, dishes, categories) is the owner's.
        let availabilityOnly = !create && Set(body.fields.keys).isSubset(of: ["restaurantId", "restaurant_id", "id", "type", "isAvailable", "is_available"])
            && (body.fields["isAvailable"] ?? body.fields["is_available"]) != nil && (body.string("type")?.lowercased() ?? "item") == "item"
        let r = try await restaurant(request, body, context, need: availabilityOnly ? .operateService : .manageRestaurant)
        let rid = r.id!
        var type = body.string("type")?.lowercased()
        var category: MenuCategory?
        var item: MenuItem?
        if !create {
            guard let id = try body.uuid("id") else { throw APIError(.unprocessableContent, code: "missing_id", "Le champ id est obligatoire.") }
            if let c = try await MenuCategory.find(id, on: db), c.$restaurant.id == rid { category = c; type = "category" }
            else if let i = try await MenuItem.find(id, on: db), i.$restaurant.id == rid { item = i; type = "item" }
            else { throw APIError.notFound("menu_entry_not_found", "Élément de carte introuvable pour ce restaurant.") }
        }
        switch type {
        case "category":
            let c = category ?? MenuCategory()
            if create { c.$restaurant.id = rid; c.isActive = true; c.displayOrder = 0 }
            if let name = body.string("name") { c.name = name } else if create { throw APIError(.unprocessableContent, code: "missing_name", "Le champ name est obligatoire.") }
            if body.fields["description"] != nil { c.description = body.string("description") }
            if let o = try body.int("displayOrder", "display_order", in: 0...1_000_000) { c.displayOrder = o }
            if let a = try body.bool("isActive", "is_active") { c.isActive = a }
            try await save(c, restaurant: rid)
            await services.audit(rid, by: context.manager?.actor ?? "?", "menu.category", "\(create ? "catégorie ajoutée" : "catégorie modifiée") : \(c.name)")
            return ToolResponse.value(.object(["success": true, "category": Self.categoryJSON(c)]), status: create ? .created : .ok)
        case "item":
            let i = item ?? MenuItem()
            if create {
                i.$restaurant.id = rid; i.isAvailable = true; i.displayOrder = 0; i.allergens = "[]"; i.tags = "[]"; i.options = "[]"; i.price = 0
            }
            if let name = body.string("name") {
                guard name.count <= 200 else { throw ToolBody.invalid("name", "un texte de 200 caractères au plus") }
                i.name = name
            } else if create { throw APIError(.unprocessableContent, code: "missing_name", "Le champ name est obligatoire.") }
            if body.fields["description"] != nil { i.description = body.string("description") }
            if let p = try body.money("price", currency: r.currency, maxMinor: 1_000_000) {
                i.price = p
            } else if create { throw APIError(.unprocessableContent, code: "missing_price", "Le champ price est obligatoire.") }
            if body.raw(["categoryId", "category_id"]) != nil {
                let cid = try body.uuid("categoryId", "category_id")
                guard let cid, let c = try await MenuCategory.find(cid, on: db), c.$restaurant.id == rid else {
                    throw ToolBody.invalid("categoryId", "l'id d'une catégorie de ce restaurant")
                }
                i.$category.id = c.id
            } else if body.fields["categoryId"] == .null, !create {
                i.$category.id = nil  // becomes a formule
            }
            if let a = try body.bool("isAvailable", "is_available") { i.isAvailable = a }
            if let o = try body.int("displayOrder", "display_order", in: 0...1_000_000) { i.displayOrder = o }
            for key in ["allergens", "tags"] where body.fields[key] != nil {
                guard let list = body.array(key) else { throw ToolBody.invalid(key, "une liste de textes") }
                let text = String(decoding: try JSONEncoder().encode(list.compactMap(\.stringValue)), as: UTF8.self)
                if key == "allergens" { i.allergens = text } else { i.tags = text }
            }
            if let raw = body.fields["options"] {
                let cats: [MenuCategory] = try await MenuCategory.query(on: db).filter(\.$restaurant.$id == rid).all()
                let items: [MenuItem] = try await MenuItem.query(on: db).filter(\.$restaurant.$id == rid).all()
                switch RestaurantImport.readOptions(raw, categoryIds: Set(cats.compactMap(\.id)), itemIds: Set(items.compactMap(\.id)), currency: r.currency) {
                case .success(let options): i.options = String(decoding: try JSONEncoder().encode(options), as: UTF8.self)
                case .failure(let e): throw APIError(.unprocessableContent, code: "invalid_options", "Options invalides : \(e.problems.map(\.description).joined(separator: " ; ")).")
                }
            }
            try await save(i, restaurant: rid)
            let what = create ? "plat ajouté" : availabilityOnly ? (i.isAvailable ? "plat de nouveau disponible" : "plat indisponible") : "plat modifié"
            await services.audit(rid, by: context.manager?.actor ?? "?", "menu.item", "\(what) : \(i.name) (\(Money.written(i.price, currency: r.currency)))")
            return ToolResponse.value(.object(["success": true, "item": Self.itemJSON(i, currency: r.currency)]), status: create ? .created : .ok)
        default:
            throw APIError(.unprocessableContent, code: "invalid_field", "Le champ type doit être « category » ou « item ».")
        }
    }

    /// Saves a row and bumps the restaurant's version in one transaction.
    func save(_ row: some Model, restaurant rid: UUID) async throws {
        try await db.transaction { tx in
            try await row.save(on: tx)
            try await RestaurantVersion.bump(rid, on: tx)
        }
    }

    func menuDelete(_ request: Request, context: AppContext) async throws -> Response {
        let body = try await ToolBody.readManaged(request, context: context)
        let r = try await restaurant(request, body, context, need: .manageRestaurant)
        let id = try body.uuid("id") ?? request.uri.queryParameters["id"].flatMap { UUID(uuidString: String($0)) }
        guard let id else { throw APIError(.unprocessableContent, code: "missing_id", "Le champ id est obligatoire.") }
        try await db.transaction { tx in
            if let c = try await MenuCategory.find(id, on: tx), c.$restaurant.id == r.id {
                // Items of a removed category stay, without category, unavailable: an owner re-files them.
                let items: [MenuItem] = try await MenuItem.query(on: tx).filter(\.$category.$id == id).all()
                for i in items { i.$category.id = nil; i.isAvailable = false; try await i.save(on: tx) }
                try await c.delete(on: tx)
            } else if let i = try await MenuItem.find(id, on: tx), i.$restaurant.id == r.id {
                // Past orders keep the line's name and price; the link to the item is cleared.
                if let sql = tx as? any SQLDatabase {
                    try await sql.raw("UPDATE order_items SET menu_item_id = NULL WHERE menu_item_id = \(bind: id)").run()
                }
                try await i.delete(on: tx)
            } else {
                throw APIError.notFound("menu_entry_not_found", "Élément de carte introuvable pour ce restaurant.")
            }
            try await RestaurantVersion.bump(r.id!, on: tx)
        }
        await services.audit(r.id, by: context.manager?.actor ?? "?", "menu.delete", "élément de la carte supprimé")
        return ToolResponse.value(.object(["success": true]))
    }

    // MARK: dining services, offers, rooms, tables

    func list(_ table: ManagedTable, _ request: Request, context: AppContext) async throws -> Response {
        let r = try await restaurant(request, nil, context, need: .manageRestaurant)
        return ToolResponse.value(.object(["success": true, .init(table.plural): .array(try await table.list(r, db))]))
    }

    func write(_ table: ManagedTable, _ request: Request, context: AppContext, create: Bool) async throws -> Response {
        let body = try await ToolBody.readManaged(request, context: context)
        let r = try await restaurant(request, body, context, need: .manageRestaurant)
        let id = create ? nil : try body.uuid("id")
        if !create, id == nil { throw APIError(.unprocessableContent, code: "missing_id", "Le champ id est obligatoire.") }
        let out = try await db.transaction { tx in
            let out = try await table.write(r, id, body, tx)
            try await RestaurantVersion.bump(r.id!, on: tx)
            return out
        }
        await services.audit(r.id, by: context.manager?.actor ?? "?", "\(table.path).\(create ? "create" : "update")", "\(table.label) \(create ? "ajouté(e)" : "modifié(e)")")
        return ToolResponse.value(.object(["success": true, .init(table.singular): out]), status: create ? .created : .ok)
    }

    func remove(_ table: ManagedTable, _ request: Request, context: AppContext) async throws -> Response {
        let body = try await ToolBody.readManaged(request, context: context)
        let r = try await restaurant(request, body, context, need: .manageRestaurant)
        let id = try body.uuid("id") ?? request.uri.queryParameters["id"].flatMap { UUID(uuidString: String($0)) }
        guard let id else { throw APIError(.unprocessableContent, code: "missing_id", "Le champ id est obligatoire.") }
        try await db.transaction { tx in
            guard try await table.delete(r, id, tx) else { throw APIError.notFound("\(table.singular)_not_found", "\(table.label) introuvable pour ce restaurant.") }
            try await RestaurantVersion.bump(r.id!, on: tx)
        }
        await services.audit(r.id, by: context.manager?.actor ?? "?", "table.delete", "\(table.label) supprimé(e)")
        return ToolResponse.value(.object(["success": true]))
    }

    // MARK: phone line

    static func lineJSON(_ l: PhoneLine?) -> JSONValue {
        guard let l else { return .null }
        // The password never leaves the server: only whether one is set.
        return .object(["id": .string(l.id!.uuidString.lowercased()), "sipDomain": .string(l.sipDomain), "sipUsername": .string(l.sipUsername),
                        "hasPassword": .bool(!l.sipPassword.isEmpty), "isActive": .bool(l.isActive)])
    }

    func phoneLine(_ request: Request, context: AppContext) async throws -> Response {
        let r = try await restaurant(request, nil, context, need: .manageSecrets)
        let line: PhoneLine? = try await PhoneLine.query(on: db).filter(\.$restaurant.$id == r.id!).first()
        return ToolResponse.value(.object(["success": true, "phoneLine": Self.lineJSON(line)]))
    }

    func savePhoneLine(_ request: Request, context: AppContext) async throws -> Response {
        let body = try await ToolBody.readManaged(request, context: context)
        let r = try await restaurant(request, body, context, need: .manageSecrets)
        let existing: PhoneLine? = try await PhoneLine.query(on: db).filter(\.$restaurant.$id == r.id!).first()
        let line = existing ?? PhoneLine()
        if existing == nil { line.id = UUID(); line.$restaurant.id = r.id!; line.isActive = true; line.sipPassword = "" }
        guard let domain = body.string("sipDomain", "sip_domain") ?? existing?.sipDomain, domain.count <= 253,
              domain.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" || $0 == ":" })
        else { throw ToolBody.invalid("sipDomain", "un domaine SIP (sip.example.com)") }
        guard let user = body.string("sipUsername", "sip_username") ?? existing?.sipUsername, user.count <= 128 else {
            throw ToolBody.invalid("sipUsername", "un identifiant SIP")
        }
        // One line per account at a provider: another restaurant's active line with the same user and domain would
        // share its calls.
        if try await PhoneLine.query(on: db).filter(\.$sipUsername == user).filter(\.$sipDomain == domain).filter(\.$isActive == true)
            .filter(\.$restaurant.$id != r.id!).first() != nil {
            throw APIError(.conflict, code: "line_taken", "Cette ligne SIP est déjà celle d'un autre restaurant.")
        }
        line.sipDomain = domain
        line.sipUsername = user
        if let password = body.string("sipPassword", "sip_password") {
            guard password.count <= 256 else { throw ToolBody.invalid("sipPassword", "un mot de passe de 256 caractères au plus") }
            line.sipPassword = try services.cipher.encrypt(password, lineId: line.id!.uuidString.lowercased())
        } else if existing == nil {
            throw APIError(.unprocessableContent, code: "missing_password", "Le champ sipPassword est obligatoire pour une nouvelle ligne.")
        }
        if let a = try body.bool("isActive", "is_active") { line.isActive = a }
        try await save(line, restaurant: r.id!)
        if let queue = services.provisioning { await queue.schedule(r.id!) }  // the agent's phone line follows
        await services.audit(r.id, by: context.manager?.actor ?? "?", "phone_line.update", "ligne SIP modifiée : \(line.sipUsername)@\(line.sipDomain) (mot de passe non journalisé)")
        return ToolResponse.value(.object(["success": true, "phoneLine": Self.lineJSON(line)]))
    }

    // MARK: blocked phones

    func blockedCheck(_ request: Request) async throws -> Response {
        let q = request.uri.queryParameters
        let session = try await RestaurantAccess.authorize(request, rawId: q["restaurantId"].map(String.init), services: services, need: .operateService, agentMay: true)
        let r = session.template.restaurant
        guard let raw = q["phone"].map(String.init), let phone = PhoneNumber.normalize(raw, defaultCountry: r.country) else {
            throw APIError(.unprocessableContent, code: "invalid_field", "Le paramètre phone doit être un numéro de téléphone.")
        }
        let row: BlockedPhone? = try await BlockedPhone.query(on: services.database.readDB).filter(\.$restaurant.$id == r.id).filter(\.$phone == phone).first()
        return ToolResponse.value(.object(["success": true, "phone": .string(phone), "blocked": .bool(row != nil), "reason": row?.reason.map(JSONValue.string) ?? .null]))
    }

    static func blockedJSON(_ b: BlockedPhone) -> JSONValue {
        .object(["id": .string(b.id!.uuidString.lowercased()), "phone": .string(b.phone), "reason": b.reason.map(JSONValue.string) ?? .null])
    }

    func blocked(_ request: Request, context: AppContext) async throws -> Response {
        let r = try await restaurant(request, nil, context, need: .manageRestaurant)
        let rows: [BlockedPhone] = try await BlockedPhone.query(on: db).filter(\.$restaurant.$id == r.id!).sort(\.$phone).all()
        return ToolResponse.value(.object(["success": true, "blockedPhones": .array(rows.map(Self.blockedJSON))]))
    }

    func block(_ request: Request, context: AppContext) async throws -> Response {
        let body = try await ToolBody.readManaged(request, context: context)
        let r = try await restaurant(request, body, context, need: .manageRestaurant)
        guard let raw = body.string("phone"), let phone = PhoneNumber.normalize(raw, defaultCountry: r.country) else {
            throw ToolBody.invalid("phone", "un numéro de téléphone")
        }
        if let existing: BlockedPhone = try await BlockedPhone.query(on: db).filter(\.$restaurant.$id == r.id!).filter(\.$phone == phone).first() {
            return ToolResponse.value(.object(["success": true, "blockedPhone": Self.blockedJSON(existing)]))
        }
        let row = BlockedPhone()
        row.$restaurant.id = r.id!
        row.phone = phone
        row.reason = body.string("reason")
        try await row.create(on: db)
        await services.audit(r.id, by: context.manager?.actor ?? "?", "blocked.add", "numéro bloqué : \(phone)")
        return ToolResponse.value(.object(["success": true, "blockedPhone": Self.blockedJSON(row)]), status: .created)
    }

    func unblock(_ request: Request, context: AppContext) async throws -> Response {
        let body = try await ToolBody.readManaged(request, context: context)
        let r = try await restaurant(request, body, context, need: .manageRestaurant)
        let id = try body.uuid("id") ?? request.uri.queryParameters["id"].flatMap { UUID(uuidString: String($0)) }
        guard let id, let row = try await BlockedPhone.find(id, on: db), row.$restaurant.id == r.id else {
            throw APIError.notFound("blocked_phone_not_found", "Numéro bloqué introuvable pour ce restaurant.")
        }
        try await row.delete(on: db)
        await services.audit(r.id, by: context.manager?.actor ?? "?", "blocked.remove", "numéro débloqué")
        return ToolResponse.value(.object(["success": true]))
    }

    // MARK: stats

    /// The figures of one local day (today by default): calls, orders (cancelled excluded from revenue), revenue,
    /// reservations and covers, and the same per local hour.
    func stats(_ request: Request, context: AppContext) async throws -> Response {
        let r = try await restaurant(request, nil, context, need: .manageRestaurant)
        let time = RestaurantTime(identifier: r.timezone)
        let day: LocalDate
        if let text = request.uri.queryParameters["date"].map(String.init) {
            guard let d = LocalDate(iso: text) else { throw ToolBody.invalid("date", "une date AAAA-MM-JJ") }
            day = d
        } else {
            day = time.localDate(services.now())
        }
        return ToolResponse.value(try await Self.stats(r, day: day, on: db))
    }

    static func stats(_ r: Restaurant, day: LocalDate, on db: any Database) async throws -> JSONValue {
        let time = RestaurantTime(identifier: r.timezone)
        let start = time.instant(day, TimeOfDay(minutes: 0)), end = time.instant(day.adding(days: 1), TimeOfDay(minutes: 0))
        let rid = r.id!
        let orders: [Order] = try await Order.query(on: db).filter(\.$restaurant.$id == rid).filter(\.$createdAt >= start).filter(\.$createdAt < end).all()
        let calls: [CallRecord] = try await CallRecord.query(on: db).filter(\.$restaurant.$id == rid).filter(\.$createdAt >= start).filter(\.$createdAt < end).all()
        let bookings: [Reservation] = try await Reservation.query(on: db).filter(\.$restaurant.$id == rid)
            .filter(\.$reservationTime >= start).filter(\.$reservationTime < end).filter(\.$status != "cancelled").all()
        var hours = (0..<24).map { _ in (calls: 0, orders: 0, revenue: 0) }
        func hour(_ d: Date?) -> Int { d.map { time.minuteOfDay($0) / 60 } ?? 0 }
        for o in orders where o.status != "cancelled" {
            hours[hour(o.createdAt)].orders += 1
            hours[hour(o.createdAt)].revenue += o.total
        }
        for c in calls { hours[hour(c.createdAt)].calls += 1 }
        let kept = orders.filter { $0.status != "cancelled" }
        let revenue = kept.reduce(0) { $0 + $1.total }
        return .object([
            "success": true, "date": .string(day.description), "currency": .string(r.currency),
            "calls": .int(calls.count), "orders": .int(kept.count), "cancelledOrders": .int(orders.count - kept.count),
            "revenue": .double(Money.decimal(revenue, currency: r.currency)),
            "averageTicket": kept.isEmpty ? .null : .double(Money.decimal(revenue / kept.count, currency: r.currency)),
            "reservations": .int(bookings.count), "covers": .int(bookings.reduce(0) { $0 + $1.partySize }),
            "hourly": .array(hours.enumerated().filter { $0.element != (0, 0, 0) }.map { h, v in
                .object(["hour": .int(h), "calls": .int(v.calls), "orders": .int(v.orders), "revenue": .double(Money.decimal(v.revenue, currency: r.currency))])
            }),
        ])
    }
}
