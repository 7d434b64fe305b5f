import AlloRestoCore
import AlloRestoStore
import Foundation
import Hummingbird

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


    // MARK: access

    /// The restaurant a management request is about (`ManagerGuard` let the request in), on which the manager needs
    /// `permission`; any state (an inactive one can be reactivated).
    func restaurant(_ request: Request, _ body: ToolBody?, _ context: AppContext, need permission: Permission) async throws -> Restaurant {
        let raw = body?.string("restaurantId", "restaurant_id") ?? request.uri.queryParameters["restaurantId"].map(String.init)
        guard let manager = context.manager else { throw APIError.unauthorized() }
        let id = try manager.restaurantId(raw, for: permission)
        guard let r = try await Reports.restaurant(id, on: services.database.db) else { throw APIError.notFound("restaurant_not_found", "Restaurant inconnu.") }
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
        var ids: [UUID]?
        if case .key(let own)? = context.manager { ids = [own] }
        if case .admin(let identity)? = context.manager, !identity.platformAdmin { ids = Array(identity.memberships.keys) }
        // Only the restaurants whose settings this manager may read (staff: none).
        let rows = try await RestaurantBook.list(ids: ids, on: services.database.db).filter { r in r.id.map { context.manager?.allows(.manageRestaurant, on: $0) ?? false } ?? false }
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
        let token = try await RestaurantBook.create(row, on: services.database.db)
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
           try await RestaurantBook.phoneTaken(phone, except: r.id!, on: services.database.db) {
            throw APIError(.conflict, code: "phone_taken", "Ce numéro est déjà celui d'un autre restaurant.")
        }
        if !changed.isEmpty {
            try await RestaurantBook.saveSettings(r, on: services.database.db)
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
        let cats = try await MenuBook.categories(restaurantId: r.id!, on: services.database.db)
        let items = try await MenuBook.items(restaurantId: r.id!, on: services.database.db)
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
            switch try await MenuBook.entry(id, restaurantId: rid, on: services.database.db) {
            case .category(let c)?: category = c; type = "category"
            case .item(let i)?: item = i; type = "item"
            case nil: throw APIError.notFound("menu_entry_not_found", "Élément de carte introuvable pour ce restaurant.")
            }
        }
        switch type {
        case "category":
            let c = category ?? MenuCategory()
            if create { c.$restaurant.id = rid; c.isActive = true; c.displayOrder = 0 }
            if let name = body.string("name") { c.name = name } else if create { throw APIError(.unprocessableContent, code: "missing_name", "Le champ name est obligatoire.") }
            if body.fields["description"] != nil { c.description = body.string("description") }
            if let o = try body.int("displayOrder", "display_order", in: 0...1_000_000) { c.displayOrder = o }
            if let a = try body.bool("isActive", "is_active") { c.isActive = a }
            try await RestaurantBook.save(c, restaurantId: rid, on: services.database.db)
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
                guard let cid, let c = try await MenuBook.category(cid, restaurantId: rid, on: services.database.db) else {
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
                let cats = try await MenuBook.categories(restaurantId: rid, on: services.database.db)
                let items = try await MenuBook.items(restaurantId: rid, on: services.database.db)
                switch RestaurantImport.readOptions(raw, categoryIds: Set(cats.compactMap(\.id)), itemIds: Set(items.compactMap(\.id)), currency: r.currency) {
                case .success(let options): i.options = String(decoding: try JSONEncoder().encode(options), as: UTF8.self)
                case .failure(let e): throw APIError(.unprocessableContent, code: "invalid_options", "Options invalides : \(e.problems.map(\.description).joined(separator: " ; ")).")
                }
            }
            try await RestaurantBook.save(i, restaurantId: rid, on: services.database.db)
            let what = create ? "plat ajouté" : availabilityOnly ? (i.isAvailable ? "plat de nouveau disponible" : "plat indisponible") : "plat modifié"
            await services.audit(rid, by: context.manager?.actor ?? "?", "menu.item", "\(what) : \(i.name) (\(Money.written(i.price, currency: r.currency)))")
            return ToolResponse.value(.object(["success": true, "item": Self.itemJSON(i, currency: r.currency)]), status: create ? .created : .ok)
        default:
            throw APIError(.unprocessableContent, code: "invalid_field", "Le champ type doit être « category » ou « item ».")
        }
    }

    func menuDelete(_ request: Request, context: AppContext) async throws -> Response {
        let body = try await ToolBody.readManaged(request, context: context)
        let r = try await restaurant(request, body, context, need: .manageRestaurant)
        let id = try body.uuid("id") ?? request.uri.queryParameters["id"].flatMap { UUID(uuidString: String($0)) }
        guard let id else { throw APIError(.unprocessableContent, code: "missing_id", "Le champ id est obligatoire.") }
        guard try await MenuBook.delete(id, restaurantId: r.id!, on: services.database.db) else {
            throw APIError.notFound("menu_entry_not_found", "Élément de carte introuvable pour ce restaurant.")
        }
        await services.audit(r.id, by: context.manager?.actor ?? "?", "menu.delete", "élément de la carte supprimé")
        return ToolResponse.value(.object(["success": true]))
    }

    // MARK: dining services, offers, rooms, tables

    func list(_ table: ManagedTable, _ request: Request, context: AppContext) async throws -> Response {
        let r = try await restaurant(request, nil, context, need: .manageRestaurant)
        return ToolResponse.value(.object(["success": true, .init(table.plural): .array(try await table.list(r, services.database))]))
    }

    func write(_ table: ManagedTable, _ request: Request, context: AppContext, create: Bool) async throws -> Response {
        let body = try await ToolBody.readManaged(request, context: context)
        let r = try await restaurant(request, body, context, need: .manageRestaurant)
        let id = create ? nil : try body.uuid("id")
        if !create, id == nil { throw APIError(.unprocessableContent, code: "missing_id", "Le champ id est obligatoire.") }
        let out = try await table.write(r, id, body, services.database)
        await services.audit(r.id, by: context.manager?.actor ?? "?", "\(table.path).\(create ? "create" : "update")", "\(table.label) \(create ? "ajouté(e)" : "modifié(e)")")
        return ToolResponse.value(.object(["success": true, .init(table.singular): out]), status: create ? .created : .ok)
    }

    func remove(_ table: ManagedTable, _ request: Request, context: AppContext) async throws -> Response {
        let body = try await ToolBody.readManaged(request, context: context)
        let r = try await restaurant(request, body, context, need: .manageRestaurant)
        let id = try body.uuid("id") ?? request.uri.queryParameters["id"].flatMap { UUID(uuidString: String($0)) }
        guard let id else { throw APIError(.unprocessableContent, code: "missing_id", "Le champ id est obligatoire.") }
        guard try await table.delete(r, id, services.database) else {
            throw APIError.notFound("\(table.singular)_not_found", "\(table.label) introuvable pour ce restaurant.")
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
        let line = try await RestaurantBook.phoneLine(restaurantId: r.id!, on: services.database.db)
        return ToolResponse.value(.object(["success": true, "phoneLine": Self.lineJSON(line)]))
    }

    func savePhoneLine(_ request: Request, context: AppContext) async throws -> Response {
        let body = try await ToolBody.readManaged(request, context: context)
        let r = try await restaurant(request, body, context, need: .manageSecrets)
        let existing = try await RestaurantBook.phoneLine(restaurantId: r.id!, on: services.database.db)
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
        if try await RestaurantBook.lineTaken(username: user, domain: domain, except: r.id!, on: services.database.db) {
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
        try await RestaurantBook.save(line, restaurantId: r.id!, on: services.database.db)
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
        let row = try await RestaurantBook.block(of: phone, restaurantId: r.id, on: services.database.readDB)
        return ToolResponse.value(.object(["success": true, "phone": .string(phone), "blocked": .bool(row != nil), "reason": row?.reason.map(JSONValue.string) ?? .null]))
    }

    static func blockedJSON(_ b: BlockedPhone) -> JSONValue {
        .object(["id": .string(b.id!.uuidString.lowercased()), "phone": .string(b.phone), "reason": b.reason.map(JSONValue.string) ?? .null])
    }

    func blocked(_ request: Request, context: AppContext) async throws -> Response {
        let r = try await restaurant(request, nil, context, need: .manageRestaurant)
        let rows = try await RestaurantBook.blockedPhones(restaurantId: r.id!, on: services.database.db)
        return ToolResponse.value(.object(["success": true, "blockedPhones": .array(rows.map(Self.blockedJSON))]))
    }

    func block(_ request: Request, context: AppContext) async throws -> Response {
        let body = try await ToolBody.readManaged(request, context: context)
        let r = try await restaurant(request, body, context, need: .manageRestaurant)
        guard let raw = body.string("phone"), let phone = PhoneNumber.normalize(raw, defaultCountry: r.country) else {
            throw ToolBody.invalid("phone", "un numéro de téléphone")
        }
        let (row, created) = try await RestaurantBook.blockPhone(phone, reason: body.string("reason"), restaurantId: r.id!, on: services.database.db)
        guard created else { return ToolResponse.value(.object(["success": true, "blockedPhone": Self.blockedJSON(row)])) }
        await services.audit(r.id, by: context.manager?.actor ?? "?", "blocked.add", "numéro bloqué : \(phone)")
        return ToolResponse.value(.object(["success": true, "blockedPhone": Self.blockedJSON(row)]), status: .created)
    }

    func unblock(_ request: Request, context: AppContext) async throws -> Response {
        let body = try await ToolBody.readManaged(request, context: context)
        let r = try await restaurant(request, body, context, need: .manageRestaurant)
        let id = try body.uuid("id") ?? request.uri.queryParameters["id"].flatMap { UUID(uuidString: String($0)) }
        guard let id, try await RestaurantBook.unblock(id, restaurantId: r.id!, on: services.database.db) else {
            throw APIError.notFound("blocked_phone_not_found", "Numéro bloqué introuvable pour ce restaurant.")
        }
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
        return ToolResponse.value(try await Self.stats(r, day: day, on: services.database))
    }

    static func stats(_ r: Restaurant, day: LocalDate, on database: AlloRestoDatabase) async throws -> JSONValue {
        let time = RestaurantTime(identifier: r.timezone)
        let start = time.instant(day, TimeOfDay(minutes: 0)), end = time.instant(day.adding(days: 1), TimeOfDay(minutes: 0))
        let figures = try await Reports.day(restaurantId: r.id!, start: start, end: end, on: database.db)
        let (orders, calls, bookings) = (figures.orders, figures.calls, figures.reservations)
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
