import AlloRestoCore
import AlloRestoStore
import Foundation
import Hummingbird

/// The restaurant's pages (admin session): dashboard, orders board, reservations of the day, messages, FAQ, menu,
/// settings and calls log, under `/admin/r/<restaurant id>/…`. Server-rendered in French; the few actions post
/// JSON to the management APIs with a small inline script (no external host).
struct BackOfficePages {
    let services: AppServices
    let pages: Pages

    /// The sections, each with what it needs (`AccessRule`): staff see the service's pages only.
    static let sections: [(path: String, label: String, need: Permission)] = [
        ("", "Tableau de bord", .operateService), ("/orders", "Commandes", .operateService), ("/reservations", "Réservations", .operateService),
        ("/messages", "Messages", .operateService), ("/faq", "Questions", .operateService), ("/menu", "Carte", .operateService),
        ("/kitchen", "Cuisine", .operateService), ("/settings", "Réglages", .manageRestaurant), ("/room", "Salle", .manageRestaurant),
        ("/calls", "Appels", .manageRestaurant), ("/team", "Équipe", .manageStaff),
        ("/audit", "Journal", .manageRestaurant),
    ]

    func register(on router: Router<AppContext>) {
        let admin = router.group("/admin/r").add(middleware: AdminGuard(services: services))
        admin.get(":id") { request, context in try await self.dashboard(request, context) }
        admin.get(":id/orders") { request, context in try await self.orders(request, context) }
        admin.get(":id/orders/:order/ticket") { request, context in try await self.ticket(request, context) }
        admin.get(":id/reservations") { request, context in try await self.reservations(request, context) }
        admin.get(":id/messages") { request, context in try await self.messages(request, context) }
        admin.get(":id/faq") { request, context in try await self.faq(request, context) }
        admin.get(":id/menu") { request, context in try await self.menu(request, context) }
        admin.get(":id/settings") { request, context in try await self.settings(request, context) }
        admin.get(":id/calls") { request, context in try await self.calls(request, context) }
        admin.get(":id/kitchen") { request, context in try await self.kitchen(request, context) }
        admin.get(":id/room") { request, context in try await self.room(request, context) }
    }


    /// The page's restaurant, which the account must reach with `permission` (403 in words otherwise).
    func restaurant(_ context: AppContext, need permission: Permission) async throws -> Restaurant {
        guard let raw = context.parameters.get("id"), let id = UUID(uuidString: raw), let r = try await Reports.restaurant(id, on: services.database.db) else {
            throw APIError.notFound("restaurant_not_found", "Restaurant inconnu.")
        }
        guard let manager = context.manager, manager.allows(permission, on: id) else {
            throw Manager.denied(context.manager ?? .key(restaurantId: UUID()), permission, reachable: context.manager?.reaches(id) ?? false)
        }
        return r
    }

    /// Renders a section page with the navigation of its restaurant.
    func page(_ context: AppContext, _ template: String, _ r: Restaurant, section: String, title: String, _ data: [String: Any] = [:]) -> Response {
        let base = "/admin/r/\(r.id!.uuidString.lowercased())"
        var all = data
        all["title"] = title
        all["restaurant"] = r.name
        all["rid"] = r.id!.uuidString.lowercased()
        all["base"] = base
        let shown = Self.sections.filter { s in context.manager?.allows(s.need, on: r.id!) ?? false }
        all["nav"] = shown.map { ["href": base + $0.path, "label": $0.label, "current": $0.path == section] as [String: Any] }
        return pages.html(pages.render(template, all))
    }

    func today(_ r: Restaurant) -> (RestaurantTime, LocalDate) {
        let time = RestaurantTime(identifier: r.timezone)
        return (time, time.localDate(services.now()))
    }

    static func money(_ minor: Int, _ currency: String) -> String { Money.written(minor, currency: currency) }

    /// An amount as a French field value: `6,50` (the fields accept a comma or a point).
    static func decimalText(_ minor: Int, _ currency: String) -> String {
        let digits = Money.minorUnitDigits(currency)
        return String(format: "%.\(digits)f", Money.decimal(minor, currency: currency)).replacingOccurrences(of: ".", with: ",")
    }

    func dashboard(_ request: Request, _ context: AppContext) async throws -> Response {
        let r = try await restaurant(context, need: .operateService)
        let (_, day) = today(r)
        let stats = try await ManagementRoutes.stats(r, day: day, on: services.database)
        func money(_ v: JSONValue?) -> String {
            Self.money(Money.minor(fromDecimal: v?.doubleValue ?? 0, currency: r.currency) ?? 0, r.currency)
        }
        let (pendingFaq, unread) = try await Reports.waiting(restaurantId: r.id!, on: services.database.db)
        let seesRevenue = context.manager?.allows(.manageRestaurant, on: r.id!) ?? false
        var hourly: [[String: Any]] = []
        for h in stats["hourly"]?.arrayValue ?? [] {
            let row: [String: Any] = [
                "hour": h["hour"]?.intValue ?? 0, "calls": h["calls"]?.intValue ?? 0, "orders": h["orders"]?.intValue ?? 0,
                "revenue": seesRevenue ? money(h["revenue"]) : "",
            ]
            hourly.append(row)
        }
        // Revenue is for those who run the restaurant (the same rule as `/api/stats`); staff see the activity.
        let week = try await WeekChart.load(r, endingOn: day, database: services.database)
        return page(context, "bo-dashboard", r, section: "", title: "Tableau de bord", [
            "charts": week.svgs(currency: r.currency, revenue: seesRevenue), "seesRevenue": seesRevenue,
            "day": day.french, "calls": stats["calls"]?.intValue ?? 0, "orders": stats["orders"]?.intValue ?? 0,
            "revenue": money(stats["revenue"]), "reservations": stats["reservations"]?.intValue ?? 0, "covers": stats["covers"]?.intValue ?? 0,
            "pendingFaq": pendingFaq, "unread": unread, "hourly": hourly,
        ])
    }

    func orders(_ request: Request, _ context: AppContext) async throws -> Response {
        let r = try await restaurant(context, need: .operateService)
        let (_, day) = today(r)
        let transitions = JSONValue.object(OrderBoardRoutes.transitions.mapValues { .array($0.sorted(by: Self.statusOrder).map(JSONValue.string)) })
        let labels = JSONValue.object(Dictionary(uniqueKeysWithValues: OrderBoardRoutes.transitions.keys.map { ($0, JSONValue.string(OrderRoutes.label($0))) }))
        let (clock, _) = today(r)
        let pausedUntil = r.ordersPausedUntil.flatMap { $0 > services.now() ? $0 : nil }
        return page(context, "bo-orders", r, section: "/orders", title: "Commandes", [
            "paused": pausedUntil != nil, "pausedUntil": pausedUntil.map { clock.local($0).time.french } ?? "",
            "date": day.description, "symbol": Money.symbol(r.currency),
            "transitions": String(decoding: JSONWriter.encoded(transitions), as: UTF8.self),
            "labels": String(decoding: JSONWriter.encoded(labels), as: UTF8.self),
        ])
    }

    /// A printable kitchen/counter ticket of one order (80 mm wide when printed).
    func ticket(_ request: Request, _ context: AppContext) async throws -> Response {
        let r = try await restaurant(context, need: .operateService)
        guard let raw = context.parameters.get("order"), let oid = UUID(uuidString: raw),
              let o = try await OrderBook.find(restaurantId: r.id!, id: oid, number: nil, on: services.database.db)
        else { throw APIError.notFound("order_not_found", "Commande introuvable.") }
        let (time, today) = today(r)
        let lines: [[String: Any]] = o.items.map { i in
            let options = ((try? JSONDecoder().decode([PricedOption].self, from: Data(i.selectedOptions.utf8))) ?? []).map(\.choice)
            return ["quantity": i.quantity, "name": i.name, "options": options.joined(separator: ", "), "notes": i.notes ?? "",
                    "price": Self.money(i.totalPrice, r.currency)]
        }
        var ready = ""
        if let at = o.estimatedReadyAt {
            let l = time.local(at)
            ready = (today.days(to: l.date) == 0 ? "" : today.days(to: l.date) == 1 ? "demain " : l.date.french + " ") + "à " + l.time.french
        }
        let types = ["pickup": "À emporter", "delivery": "Livraison", "dine_in": "Sur place"]
        return pages.html(pages.render("bo-ticket", [
            "title": "Ticket n° \(o.orderNumber)", "restaurant": r.name, "number": o.orderNumber, "type": types[o.orderType] ?? o.orderType,
            "ready": ready, "placed": o.createdAt.map { "\(time.local($0).date.french) à \(time.local($0).time.french)" } ?? "",
            "customer": o.customerName ?? "", "phone": o.customerPhone ?? "", "address": o.deliveryAddress ?? "", "notes": o.notes ?? "",
            "lines": lines, "subtotal": Self.money(o.subtotal, r.currency), "fee": o.deliveryFee > 0 ? Self.money(o.deliveryFee, r.currency) : "",
            "total": Self.money(o.total, r.currency), "payment": o.paymentMethod.map(OrderRoutes.paymentLabel) ?? "",
            "status": OrderRoutes.label(o.status),
        ]))
    }

    /// The kitchen plan of a day (`?date=`, today by default): per slot, what the planner booked of each resource
    /// against its capacity — the reason behind every time the agent proposed — and the orders behind it.
    func kitchen(_ request: Request, _ context: AppContext) async throws -> Response {
        let r = try await restaurant(context, need: .operateService)
        guard let session = try await services.sessions.session(for: r.id!) else { throw APIError.notFound("restaurant_not_found", "Restaurant inconnu.") }
        let t = session.template
        var (clock, day) = today(r)
        if let raw = request.uri.queryParameters["date"], let asked = LocalDate(iso: String(raw)) { day = asked }
        let start = clock.instant(day, TimeOfDay(minutes: 0)), end = clock.instant(day.adding(days: 1), TimeOfDay(minutes: 0))
        let kitchen = try await KitchenBook.kitchen(restaurantId: r.id!, config: t.planning, schedule: t.schedule, now: services.now(),
                                                    window: DateInterval(start: start, end: end), on: services.database.readDB)
        let names: [KitchenResource: String] = [.cuisine: "Cuisine", .preparation: "Préparation", .comptoir: "Comptoir", .livraison: "Livraison"]
        let slots: [[String: Any]] = kitchen.timeline().filter { $0.start >= start && $0.start < end }
            .filter { s in s.open || KitchenResource.allCases.contains { (s.used[$0] ?? 0) > 0 } }
            .map { s in
                let cells: [[String: Any]] = KitchenResource.allCases.map { res in
                    let used = s.used[res] ?? 0, cap = s.capacity[res] ?? 0
                    return ["text": "\(used) / \(cap)", "full": cap > 0 && used >= cap, "busy": used > 0, "label": names[res] ?? res.rawValue]
                }
                return ["time": clock.local(s.start).time.french, "closed": !s.open, "cells": cells]
            }
        let orders = try await Reports.dueReady(restaurantId: r.id!, start: start, end: end, on: services.database.db)
        let types = ["pickup": "à emporter", "delivery": "livraison", "dine_in": "sur place"]
        func hm(_ d: Date?) -> String { d.map { clock.local($0).time.french } ?? "" }
        return page(context, "bo-kitchen", r, section: "/kitchen", title: "Plan de la cuisine", [
            "day": day.french, "previous": day.adding(days: -1).description, "next": day.adding(days: 1).description,
            "resources": KitchenResource.allCases.map { names[$0] ?? $0.rawValue }, "slots": slots, "slotMin": t.planning.slotMin,
            "orders": orders.map { o -> [String: Any] in
                ["number": o.orderNumber, "type": types[o.orderType] ?? o.orderType, "size": o.orderSize ?? "M", "cook": hm(o.cookStartAt),
                 "handoff": hm(o.handoffAt), "ready": hm(o.estimatedReadyAt), "status": OrderRoutes.label(o.status)]
            },
        ])
    }

    /// Rooms and tables (reservation capacity without dining services), with the offers kept on the settings page.
    func room(_ request: Request, _ context: AppContext) async throws -> Response {
        let r = try await restaurant(context, need: .manageRestaurant)
        let rooms = try await RestaurantRows.rooms(restaurantId: r.id!, on: services.database.db)
        let tables = try await RestaurantRows.tables(restaurantId: r.id!, on: services.database.db)
        func roomName(_ id: UUID?) -> String { rooms.first { $0.id == id }?.name ?? "sans salle" }
        return page(context, "bo-room", r, section: "/room", title: "Salle et tables", [
            "rooms": rooms.map { room in ["id": room.id!.uuidString.lowercased(), "name": room.name, "tables": tables.filter { $0.$room.id == room.id }.count] as [String: Any] },
            "tables": tables.map { t -> [String: Any] in
                ["id": t.id!.uuidString.lowercased(), "label": t.label, "seats": t.seats, "room": roomName(t.$room.id), "isActive": t.isActive]
            },
            "seats": tables.filter(\.isActive).reduce(0) { $0 + $1.seats }, "hasRooms": !rooms.isEmpty,
            "roomOptions": rooms.map { ["id": $0.id!.uuidString.lowercased(), "name": $0.name] as [String: Any] },
        ])
    }

    static func statusOrder(_ a: String, _ b: String) -> Bool { OrderStatus.precedes(a, b) }

    static let reservationLabels = ["pending": "en attente", "confirmed": "confirmée", "seated": "installée", "completed": "terminée", "cancelled": "annulée", "no_show": "absent"]

    /// The verbs of the reservation actions, in the order the buttons show them (`ReservationBook.transitions`).
    static let reservationActions: [(status: String, label: String, confirm: String?)] = [
        ("confirmed", "Confirmer", nil), ("seated", "Installée", nil), ("completed", "Terminée", nil),
        ("no_show", "Absent", "Marquer cette réservation comme absente ?"), ("cancelled", "Annuler", "Annuler cette réservation ?"),
    ]

    func reservations(_ request: Request, _ context: AppContext) async throws -> Response {
        let r = try await restaurant(context, need: .operateService)
        var (time, day) = today(r)
        // Any day (`?date=2026-12-24`), today by default; `?view=semaine` shows the seven days from it.
        if let raw = request.uri.queryParameters["date"], let asked = LocalDate(iso: String(raw)) { day = asked }
        let week = request.uri.queryParameters["view"].map(String.init) == "semaine"
        let span = week ? 7 : 1
        let start = time.instant(day, TimeOfDay(minutes: 0)), end = time.instant(day.adding(days: span), TimeOfDay(minutes: 0))
        let rows = try await ReservationBook.list(restaurantId: r.id!, from: start, to: end, statuses: nil, on: services.database.db)
        let diningServices = try await RestaurantRows.diningServices(restaurantId: r.id!, on: services.database.db)
        func serviceName(_ row: Reservation) -> String { diningServices.first { $0.id == row.serviceId }?.name ?? "Hors service" }
        let kept = rows.filter { !["cancelled", "no_show"].contains($0.status) }
        var names = diningServices.map(\.name)
        if kept.contains(where: { serviceName($0) == "Hors service" }) { names.append("Hors service") }
        if week {
            let days: [[String: Any]] = (0..<7).map { i in
                let d = day.adding(days: i)
                let ofDay = kept.filter { time.localDate($0.reservationTime) == d }
                let cells: [[String: Any]] = names.map { n in
                    let these = ofDay.filter { serviceName($0) == n }
                    return ["service": n, "text": these.isEmpty ? "—" : "\(these.count) résa · \(these.reduce(0) { $0 + $1.partySize }) couv."]
                }
                return ["iso": d.description, "label": d.french, "cells": cells, "total": "\(ofDay.reduce(0) { $0 + $1.partySize }) couv."]
            }
            return page(context, "bo-reservations", r, section: "/reservations", title: "Réservations", [
                "week": true, "day": day.french, "iso": day.description, "previous": day.adding(days: -7).description, "next": day.adding(days: 7).description,
                "serviceNames": names, "days": days,
            ])
        }
        let list: [[String: Any]] = rows.map { row in
            let next = ReservationBook.transitions[row.status] ?? []
            return ["time": time.local(row.reservationTime).time.description, "date": time.local(row.reservationTime).date.description,
                    "name": row.customerName ?? "", "party": row.partySize,
                    "phone": row.customerPhone ?? "", "status": Self.reservationLabels[row.status] ?? row.status, "notes": row.notes ?? "",
                    "id": row.id!.uuidString.lowercased(),
                    "actions": Self.reservationActions.filter { next.contains($0.status) }.map { a in
                        ["status": a.status, "label": a.label, "confirm": a.confirm ?? "", "hasConfirm": a.confirm != nil] as [String: Any]
                    }]
        }
        return page(context, "bo-reservations", r, section: "/reservations", title: "Réservations", [
            "week": false, "day": day.french, "iso": day.description, "previous": day.adding(days: -1).description, "next": day.adding(days: 1).description,
            "reservations": list, "count": kept.count, "covers": kept.reduce(0) { $0 + $1.partySize },
            "perService": names.compactMap { n -> [String: Any]? in
                let covers = kept.filter { serviceName($0) == n }.reduce(0) { $0 + $1.partySize }
                return covers > 0 ? ["name": n, "covers": covers] : nil
            },
        ])
    }

    func when(_ date: Date?, _ time: RestaurantTime) -> String {
        guard let date else { return "" }
        // As people say it: "jeudi 26 novembre à 13h05".
        let l = time.local(date)
        return "\(l.date.french) à \(l.time.french)"
    }

    func messages(_ request: Request, _ context: AppContext) async throws -> Response {
        let r = try await restaurant(context, need: .operateService)
        let (time, _) = today(r)
        let rows = try await CommunicationBook.inbox(restaurantId: r.id!, on: services.database.db)
        let list: [[String: Any]] = rows.map {
            ["id": $0.id!.uuidString.lowercased(), "content": $0.content, "caller": [$0.callerName, $0.callerPhone].compactMap { $0 }.joined(separator: " "),
             "isRead": $0.isRead, "isUrgent": $0.isUrgent, "when": when($0.createdAt, time)]
        }
        return page(context, "bo-messages", r, section: "/messages", title: "Messages", ["messages": list])
    }

    func faq(_ request: Request, _ context: AppContext) async throws -> Response {
        let r = try await restaurant(context, need: .operateService)
        let rows = try await CommunicationBook.questions(restaurantId: r.id!, status: nil, on: services.database.db)
        func row(_ f: Faq) -> [String: Any] {
            ["id": f.id!.uuidString.lowercased(), "question": f.question, "answer": f.answer ?? "", "askCount": f.askCount]
        }
        return page(context, "bo-faq", r, section: "/faq", title: "Questions des appelants", [
            "pending": rows.filter { $0.status == "pending" }.map(row), "answered": rows.filter { $0.status == "answered" }.map(row),
        ])
    }

    /// A dish's choice options as an owner writes them, one per line: `Taille (obligatoire) : Normale, Grande +3,00`
    /// (`plusieurs`, `jusqu'à 3` for several choices; `+` or `-` an amount for a supplement). Options drawn from a
    /// category or a list of dishes (formules) are not written here: they are kept as they are.
    static func optionsText(_ options: [ItemOption], currency: String) -> String {
        options.filter { $0.source == nil }.map { o in
            var flags: [String] = []
            if o.required { flags.append("obligatoire") }
            if o.type == .multiChoice { flags.append(o.maxChoices.map { "jusqu'à \($0)" } ?? "plusieurs") }
            let choices = o.choices.map { c in
                c.priceModifierMinor == 0 ? c.label
                    : "\(c.label) \(c.priceModifierMinor > 0 ? "+" : "-")\(decimalText(abs(c.priceModifierMinor), currency))"
            }
            return o.name + (flags.isEmpty ? "" : " (\(flags.joined(separator: ", ")))") + " : " + choices.joined(separator: ", ")
        }.joined(separator: "\n")
    }

    func menu(_ request: Request, _ context: AppContext) async throws -> Response {
        let r = try await restaurant(context, need: .operateService)
        let canEdit = context.manager?.allows(.manageRestaurant, on: r.id!) ?? false
        let cats = try await MenuBook.categories(restaurantId: r.id!, on: services.database.db)
        let items = try await MenuBook.items(restaurantId: r.id!, on: services.database.db)
        func item(_ i: MenuItem) -> [String: Any] {
            let info = i.info
            let kept = ManagementRoutes.itemJSON(i, currency: r.currency)["options"]?.arrayValue?.filter { $0["source"] != nil } ?? []
            return ["id": i.id!.uuidString.lowercased(), "name": i.name, "description": i.description ?? "", "isAvailable": i.isAvailable,
                    "price": Self.decimalText(i.price, r.currency), "priceText": Self.money(i.price, r.currency),
                    "allergens": info.allergens.joined(separator: ", "), "options": Self.optionsText(info.options, currency: r.currency),
                    "keptOptions": String(decoding: JSONWriter.encoded(JSONValue.array(kept)), as: UTF8.self), "hasKept": !kept.isEmpty,
                    "categories": cats.map { c in ["id": c.id!.uuidString.lowercased(), "name": c.name, "selected": c.id == i.$category.id] as [String: Any] }]
        }
        var sections: [[String: Any]] = cats.map { c in
            ["id": c.id!.uuidString.lowercased(), "name": c.name, "isCategory": true, "items": items.filter { $0.$category.id == c.id }.map(item)]
        }
        let formules = items.filter { $0.$category.id == nil }
        if !formules.isEmpty { sections.append(["id": "formules", "name": "Formules et plats sans catégorie", "isCategory": false, "items": formules.map(item)]) }
        return page(context, "bo-menu", r, section: "/menu", title: "Carte", ["categories": sections, "currency": r.currency, "canEdit": canEdit])
    }

    func settings(_ request: Request, _ context: AppContext) async throws -> Response {
        let r = try await restaurant(context, need: .manageRestaurant)
        let s = RestaurantSettings.json(r)
        func text(_ key: String) -> String {
            switch s[key] {
            case .string(let t)?: t
            case .int(let i)?: String(i)
            case .double(let d)?: CheckedNumber.text(d)
            default: ""
            }
        }
        var values: [String: Any] = [:]
        func amount(_ key: String) -> String {
            guard let d = s[key]?.doubleValue else { return "" }
            return Money.minor(fromDecimal: d, currency: r.currency).map { Self.decimalText($0, r.currency) } ?? ""
        }
        for key in ["name", "phone", "address", "city", "timezone", "currency", "deliveryRadiusKm", "deliveryFee", "deliveryFreeAbove",
                    "minOrderAmount", "avgPrepTimeMin", "totalSeats", "avgMealDurationMin", "minReservationAdvanceMin",
                    "maxReservationAdvanceDays", "welcomeMessage", "aiInstructions", "transferPhoneNumber"] {
            values[key] = ["deliveryFee", "deliveryFreeAbove", "minOrderAmount"].contains(key) ? amount(key) : text(key)
        }
        for key in ["deliveryEnabled", "orderStatusEnabled", "reservationEnabled", "transferEnabled", "transferAutomatic"] {
            values[key] = s[key] == .bool(true)
        }
        let profile = r.profile
        values["days"] = Weekday.allCases.map { day -> [String: Any] in
            let ranges = profile.openingHours.ranges(on: day)
            func at(_ i: Int, _ open: Bool) -> String { i < ranges.count ? (open ? ranges[i].open : ranges[i].close).description : "" }
            return ["key": day.key, "label": day.french.prefix(1).uppercased() + day.french.dropFirst(), "closed": ranges.isEmpty,
                    "open": at(0, true), "close": at(0, false), "open2": at(1, true), "close2": at(1, false)]
        }
        values["closures"] = profile.closures.map { c -> [String: Any] in
            ["from": c.from.description, "to": c.to.description, "reason": c.reason ?? "", "text": c.french]
        }
        // The planning in plain fields: what the restaurant set (empty = the engine's default, shown as placeholder).
        let override = s["planningConfig"]?.objectValue ?? [:]
        let defaults = PlanningConfig(avgPrepTimeMin: r.avgPrepTimeMin)
        func setting(_ v: JSONValue?) -> String {
            switch v { case .int(let i)?: String(i); case .double(let d)?: CheckedNumber.text(d); case .string(let t)?: t; default: "" }
        }
        values["plan"] = [
            ("slotMin", "Durée d'un créneau (min)", String(defaults.slotMin)), ("maxShiftMin", "Décalage maximum proposé (min)", String(defaults.maxShiftMin)),
            ("pickupBufferMin", "Marge avant un retrait (min)", String(defaults.pickupBufferMin)),
            ("deliveryBufferMin", "Marge avant un départ en livraison (min)", String(defaults.deliveryBufferMin)),
            ("deliverySpeedKmh", "Vitesse moyenne du livreur (km/h)", CheckedNumber.text(defaults.deliverySpeedKmh)),
        ].map { key, label, placeholder -> [String: Any] in
            ["key": key, "id": key, "label": label, "placeholder": placeholder, "value": setting(override[key])]
        } + KitchenResource.allCases.map { res -> [String: Any] in
            ["key": "capacity.\(res.rawValue)", "id": "capacity-\(res.rawValue)", "label": "Capacité « \(res.rawValue) » (commandes menées en même temps)",
             "placeholder": String(defaults.capacity[res] ?? 0), "value": setting(override["capacity"]?[res.rawValue])]
        }
        for key in ["paymentMethods", "transferCases"] {
            values[key] = (s[key]?.arrayValue ?? []).compactMap(\.stringValue).joined(separator: ", ")
        }
        values["planningConfig"] = s["planningConfig"].flatMap { $0 == .null ? nil : String(decoding: JSONWriter.encoded($0), as: UTF8.self) } ?? ""
        values["voices"] = RestaurantSettings.voices.map { ["value": $0, "selected": $0 == r.aiVoice] as [String: Any] }
        let line = try await RestaurantBook.phoneLine(restaurantId: r.id!, on: services.database.db)
        let dayNames = ["", "lun", "mar", "mer", "jeu", "ven", "sam", "dim"]
        let database = services.database.db
        let services = try await RestaurantRows.diningServices(restaurantId: r.id!, on: database)
        let blocked = try await RestaurantBook.blockedPhones(restaurantId: r.id!, on: database)
        var data: [String: Any] = ["r": values]
        data["services"] = services.map { d -> [String: Any] in
            let days = ((try? JSONDecoder().decode([Int].self, from: Data(d.daysOfWeek.utf8))) ?? []).filter { (1...7).contains($0) }.map { dayNames[$0] }
            return ["id": d.id!.uuidString.lowercased(), "name": d.name, "days": days.joined(separator: ", "), "start": d.startTime, "end": d.endTime, "covers": d.maxCovers]
        }
        let offers = try await RestaurantRows.offers(restaurantId: r.id!, on: database)
        data["offers"] = offers.map { o -> [String: Any] in
            ["id": o.id!.uuidString.lowercased(), "name": o.name, "price": o.price.map { Self.money($0, r.currency) } ?? "", "isActive": o.isActive]
        }
        data["blocked"] = blocked.map { ["id": $0.id!.uuidString.lowercased(), "phone": $0.phone, "reason": $0.reason ?? ""] as [String: Any] }
        let (time, _) = today(r)
        data["keys"] = try await ManagementKeys.list(for: r.id!, on: database).map { k -> [String: Any] in
            ["id": k.id.uuidString.lowercased(), "label": k.label, "prefix": k.prefix, "createdBy": k.createdBy ?? "",
             "created": when(k.createdAt, time), "revoked": k.revokedAt != nil]
        }
        if let line { data["line"] = ["sipDomain": line.sipDomain, "sipUsername": line.sipUsername, "hasPassword": !line.sipPassword.isEmpty, "isActive": line.isActive] as [String: Any] }
        return page(context, "bo-settings", r, section: "/settings", title: "Réglages", data)
    }

    /// A call's outcome as the restaurant says it: sip-agent-server's generic outcome (`completed`, `abandoned`…)
    /// or AlloResto's (`order_placed`…), in French; an unknown one as given.
    static func outcomeLabel(_ outcome: String?) -> String {
        switch outcome?.lowercased() ?? "" {
        case "": "inconnue"
        case "completed", "ended", "hangup", "caller_hangup", "agent_hangup": "terminé"
        case "order_placed": "commande passée"
        case "reservation_placed": "table réservée"
        case "message_left": "message laissé"
        case "info_only": "renseignement"
        case "abandoned", "no_answer", "caller_abandoned": "raccroché avant la fin"
        case "transferred": "transféré à l'équipe"
        case "in_progress": "en cours"
        case "no_balance": "erreur : crédit épuisé"
        case "error", "failed": "erreur technique"
        case "busy": "occupé"
        default: outcome ?? ""
        }
    }

    /// The transcript of a call record as `[{who, text}]` (`transcript` or `messages`: `[{role, content|text}]`).
    static func transcript(_ payload: JSONValue?) -> [[String: Any]] {
        let turns = payload?["transcript"]?.arrayValue ?? payload?["messages"]?.arrayValue ?? []
        return turns.prefix(500).compactMap { t in
            guard let text = (t["content"] ?? t["text"])?.stringValue, !text.isEmpty else { return nil }
            let role = t["role"]?.stringValue ?? ""
            return ["who": role == "assistant" || role == "agent" ? "Agent" : role == "system" ? "Système" : "Client", "text": text]
        }
    }

    func calls(_ request: Request, _ context: AppContext) async throws -> Response {
        let r = try await restaurant(context, need: .manageRestaurant)
        let (time, _) = today(r)
        let rows = try await CallLog.recent(restaurantId: r.id!, limit: 100, on: services.database.db)
        let (orders, bookings) = try await Reports.madeBy(calls: rows.map(\.callId), restaurantId: r.id!, on: services.database.db)
        let base = "/admin/r/\(r.id!.uuidString.lowercased())"
        let list: [[String: Any]] = rows.map { c in
            let payload = try? JSONReader.parse(Array(c.payload.utf8))
            let order = orders.first { $0.callId == c.callId }, booking = bookings.first { $0.callId == c.callId }
            // What the call achieved, from what it left: an order or a booking says more than "terminé".
            var outcome = Self.outcomeLabel(c.outcome)
            if order != nil { outcome = "commande passée" } else if booking != nil { outcome = "table réservée" }
            var row: [String: Any] = [
                "when": when(c.startedAt ?? c.createdAt, time), "phone": c.callerPhone ?? "", "hasPhone": c.callerPhone != nil,
                "duration": c.durationSec.map { "\($0 / 60) min \(String(format: "%02d", $0 % 60)) s" } ?? "",
                "outcome": outcome, "cost": c.costLocal.map { Self.money(Money.minor(fromDecimal: $0, currency: r.currency) ?? 0, r.currency) } ?? "",
                "summary": (payload?["transcriptSummary"] ?? payload?["summary"] ?? payload?["transcript_summary"])?.stringValue ?? "",
                "turns": Self.transcript(payload), "id": c.id!.uuidString.lowercased(),
            ]
            if let order {
                row["order"] = ["number": order.orderNumber, "href": "\(base)/orders/\(order.id!.uuidString.lowercased())/ticket",
                                "total": Self.money(order.total, r.currency)] as [String: Any]
            }
            if let booking {
                let l = time.local(booking.reservationTime)
                row["booking"] = ["href": "\(base)/reservations?date=\(l.date.description)", "text": "\(booking.partySize) pers. le \(l.date.french) à \(l.time.french)"] as [String: Any]
            }
            return row
        }
        return page(context, "bo-calls", r, section: "/calls", title: "Journal des appels", ["calls": list])
    }
}
