import AlloRestoCore
import AlloRestoStore
import FluentKit
import Foundation
import Hummingbird

/// The order tools the agent calls: `confirm_order`, `cancel_order`, `check_order_status`.
struct OrderRoutes {
    let services: AppServices

    func register(on router: Router<AppContext>) {
        router.post("/api/ai/tools/confirm-order") { request, context in try await self.confirm(request, context: context) }
        router.post("/api/ai/tools/cancel-order") { request, context in try await self.cancel(request, context: context) }
        router.get("/api/orders/status") { request, context in try await self.status(request, context: context) }
    }

    struct Confirmed: Encodable {
        let success = true
        let order_id: String
        let order_number: Int
        let message: String
        let heure_estimee: String
        let mode: String
        let total: Double
        let subtotal: Double
        let delivery_fee: Double
        let items_summary: String
        /// Set when the model announced another total: the agent must correct itself.
        let total_corrected: Bool
    }

    /// The parts of the body that define the order, for the idempotency digest (context values excluded).
    static func canonical(_ body: ToolBody) -> Data {
        var defining: [String: JSONValue] = [:]
        for k in ["order_type", "orderType", "items", "payment_method", "notes", "delivery_fee", "total"] { defining[k] = body.fields[k] }
        return JSONWriter.encoded(JSONValue.object(defining)).withUnsafeBufferPointer { Data($0) }
    }

    static func draft(_ body: ToolBody) throws -> OrderDraft {
        let type = try body.choice(["order_type", "orderType", "mode"], OrderType.self, synonyms: [
            "emporter": .pickup, "a_emporter": .pickup, "takeaway": .pickup, "livraison": .delivery, "sur_place": .dineIn, "dinein": .dineIn,
        ]) ?? .pickup
        var lines: [OrderDraft.Line] = []
        for (i, raw) in (body.array("items") ?? []).enumerated() {
            guard case .object(let o) = raw else { throw ToolBody.invalid("items[\(i)]", "un objet {id, quantity}") }
            let item = ToolBody(fields: o)
            guard let number = try item.int("id", "number", "item_id", in: 1...1_000_000) else { throw ToolBody.invalid("items[\(i)].id", "le numéro #N de l'article") }
            var picks: [OrderDraft.OptionPick] = []
            for rawPick in item.array("selected_options", "options") ?? [] {
                guard case .object(let po) = rawPick else { continue }
                let pick = ToolBody(fields: po)
                guard let name = pick.string("name", "option") else { continue }
                picks.append(OrderDraft.OptionPick(name: name, choiceNumber: try? pick.int("choice_id", "choiceId", in: 1...10_000), choice: pick.string("choice", "value", "label")))
            }
            lines.append(OrderDraft.Line(number: number, quantity: try item.int("quantity", "qty", in: -1_000_000...1_000_000) ?? 1, options: picks, notes: item.string("notes", "note")))
        }
        var map: [Int: UUID]?
        if let m = body.object("item_map", "itemMap") {
            map = [:]
            for (k, v) in m {
                guard let n = Int(k) else { continue }
                let idText = v["id"]?.stringValue ?? v.stringValue
                if let id = idText.flatMap(UUID.init(uuidString:)) { map?[n] = id }
            }
        }
        return OrderDraft(orderType: type, lines: lines, itemMap: map)
    }

    func confirm(_ request: Request, context: AppContext) async throws -> Response {
        let body = try await ToolBody.read(request, context: context)
        let callId = body.string("call_id", "callId")
        let digest = IdempotencyLedger.digest(Self.canonical(body))
        // With a call id the idempotency key does not depend on the restaurant, so it is looked up in the same read
        // as the session's version (one round trip); without one it needs the restaurant's country for the phone.
        let rawId = body.string("restaurantId", "restaurant_id")
        let callKeys = rawId.flatMap { UUID(uuidString: $0.trimmingCharacters(in: .whitespaces)) }
            .flatMap { IdempotencyLedger.callKey(callId: callId, restaurantId: $0, tool: "confirm_order", digest: digest) }.map { [$0] } ?? []
        let (session, _) = try await ToolAuth.authorize(token: AgentAuth.presentedToken(request), rawId: rawId, replayKeys: callKeys, services: services)
        // A repeated call gets its first answer even if the menu changed since.
        if let previous = session.replay { return ToolResponse.raw(previous) }
        let r = session.template.restaurant
        let draft = try Self.draft(body)
        let phone = body.string("caller_phone", "callerPhone", "customer_phone").flatMap { PhoneNumber.normalize($0, defaultCountry: r.country) }
        let check = body.object("last_availability_check", "lastAvailabilityCheck").map(ToolBody.init(fields:))
        let distance = try check?.double("deliveryDistanceKm", "delivery_distance_km", in: 0...1000)
        let now = services.now()
        let keys = IdempotencyLedger.keys(callId: callId, restaurantId: r.id, phone: phone, tool: "confirm_order", digest: digest, now: now)
        if callKeys.isEmpty, let previous = try await IdempotencyLedger.stored(keys, on: services.database.readDB) { return ToolResponse.raw(previous) }

        let priced: PricedOrder
        switch OrderPricing.price(draft, menu: session.template.menu, numbering: session.template.numbering, restaurant: r, deliveryDistanceKm: distance) {
        case .success(let p): priced = p
        case .failure(let refusal): return try ToolResponse.refusal(refusal)
        }

        // The time: the one check_availability announced is kept exactly (or refused if the kitchen filled up
        // since); without one, as soon as the kitchen can.
        let t = session.template
        var wanted: Date?
        var exact = false
        if let iso = check?.string("estimatedTimeISO", "estimated_time_iso"), let announced = try? Date(iso, strategy: .iso8601),
           announced >= now.addingTimeInterval(-t.planning.slot) {
            wanted = announced
            exact = true
        }
        var travel = 0
        var distanceKm = distance
        if priced.orderType == .delivery {
            if let minutes = try check?.int("deliveryDurationMin", "delivery_duration_min", in: 0...10_000), (1...240).contains(minutes) {
                travel = minutes
            } else if let d = distance {
                travel = t.planning.travelMinutes(roadKm: d)
            } else {
                let to = GeoPoint(lat: try check?.double("customerLat", in: GeoPoint.latitudes) ?? body.double("customer_delivery_lat", "customerLat", in: GeoPoint.latitudes),
                                  lng: try check?.double("customerLng", in: GeoPoint.longitudes) ?? body.double("customer_delivery_lng", "customerLng", in: GeoPoint.longitudes))
                switch DeliveryQuote.measure(restaurant: r, config: t.planning, to: to, formattedAddress: nil) {
                case .failure(let refusal): return try ToolResponse.refusal(refusal)
                case .success(let q):
                    distanceKm = q.roadKm
                    travel = q.travelMin
                }
            }
        }
        let statedTotal = try body.money("total", currency: r.currency)
        let corrected = statedTotal.map { $0 != priced.totalMinor } ?? false

        var placement = OrderBook.Placement(restaurantId: r.id, order: priced, readyAt: wanted ?? now)
        placement.placedAt = now
        placement.customerPhone = phone
        placement.customerName = body.string("customer_name", "customerName")
        placement.paymentMethod = body.string("payment_method", "paymentMethod")?.lowercased()
        placement.notes = body.string("notes")
        placement.callId = callId
        if priced.orderType == .delivery {
            placement.deliveryAddress = check?.string("customerAddressFormatted", "customer_address_formatted") ?? body.string("delivery_address")
            placement.deliveryLat = try check?.double("customerLat", in: GeoPoint.latitudes) ?? body.double("customer_delivery_lat", in: GeoPoint.latitudes)
            placement.deliveryLng = try check?.double("customerLng", in: GeoPoint.longitudes) ?? body.double("customer_delivery_lng", in: GeoPoint.longitudes)
            placement.deliveryDistanceKm = distanceKm
        }
        let clock = t.schedule.time
        let schedule = t.schedule
        let mode = priced.orderType == .delivery ? "livree" : "prete"
        let currency = r.currency
        let (announced, keepExactly) = (wanted, exact)
        let kitchen = OrderWriter.KitchenRequest(
            config: t.planning, schedule: t.schedule, now: now, wanted: wanted, exact: exact, travelMin: travel
        ) { outcome in
            let refusal: Refusal
            switch outcome {
            case .planned: refusal = Refusal("kitchen_full", "La cuisine ne peut pas prendre la commande.")
            case .closed(let opening, let feasible):
                var sentence = "Le restaurant est fermé à ce moment-là."
                if let opening { sentence += " Il ouvre \(AvailabilityRoutes.at(schedule.spoken(opening, now: now)))." }
                if let feasible { sentence += " La commande pourrait être prête \(AvailabilityRoutes.at(schedule.spoken(feasible, now: now)))." }
                refusal = Refusal("closed", sentence)
            case .full(let feasible):
                var sentence = keepExactly
                    ? "Le créneau de \(clock.local(announced ?? now).time.french) vient d'être pris."
                    : "La cuisine est complète pour le moment."
                if let feasible { sentence += " Le premier horaire possible est \(AvailabilityRoutes.at(schedule.spoken(feasible, now: now))) : est-ce que cela convient ?" }
                refusal = Refusal(keepExactly ? "slot_taken" : "kitchen_full", sentence)
            }
            return try ToolResponse.encodeString(ToolResponse.RefusalBody(error: refusal.message, code: refusal.code))
        }
        let job = OrderWriter.Job(placement: placement, keys: keys, kitchen: kitchen) { placed in
            let local = clock.local(placed.readyAt)
            let spoken = schedule.spoken(placed.readyAt, now: now)
            let when = priced.orderType == .delivery ? "livrée \(spoken.contains(" à ") ? spoken : "vers \(spoken)")" : "prête \(AvailabilityRoutes.at(spoken))"
            return try ToolResponse.encodeString(Confirmed(
                order_id: placed.orderId.uuidString.lowercased(), order_number: placed.orderNumber,
                message: "Commande numéro \(placed.orderNumber) enregistrée : \(Money.spoken(priced.totalMinor, currency: currency)), \(when)."
                    + (corrected ? " Attention : le total exact est de \(Money.spoken(priced.totalMinor, currency: currency))." : ""),
                heure_estimee: local.time.description, mode: mode, total: Money.decimal(priced.totalMinor, currency: currency),
                subtotal: Money.decimal(priced.subtotalMinor, currency: currency),
                delivery_fee: Money.decimal(priced.deliveryFeeMinor, currency: currency),
                items_summary: priced.summary, total_corrected: corrected))
        }
        let outcome = try await services.orderWriter.place(job)
        return ToolResponse.raw(outcome.response)
    }

    func cancel(_ request: Request, context: AppContext) async throws -> Response {
        let body = try await ToolBody.read(request, context: context)
        let (session, _) = try await ToolAuth.authorize(
            token: AgentAuth.presentedToken(request), rawId: body.string("restaurantId", "restaurant_id"), services: services)
        let r = session.template.restaurant
        guard let number = try body.int("order_number", "orderNumber", in: 1...100_000_000) else {
            throw APIError(.unprocessableContent, code: "missing_order_number", "Le champ order_number est obligatoire.")
        }
        guard let phone = body.string("caller_phone", "callerPhone").flatMap({ PhoneNumber.normalize($0, defaultCountry: r.country) }) else {
            return try ToolResponse.refusal(Refusal("caller_unknown", "Je ne peux annuler une commande que depuis le numéro qui l'a passée."))
        }
        switch try await OrderBook.cancel(restaurantId: r.id, orderNumber: number, phone: phone, on: services.database.db) {
        case .failure(let refusal): return try ToolResponse.refusal(refusal)
        case .success:
            struct Cancelled: Encodable { let success = true; let message: String; let order_number: Int }
            return try ToolResponse.json(Cancelled(message: "La commande numéro \(number) est annulée.", order_number: number))
        }
    }

    struct StatusLine: Encodable {
        let orderNumber: Int
        let status: String
        let statusLabel: String
        let orderType: String
        let total: Double
        let estimatedReadyAt: Date?
        let estimatedReadyTime: String?
        let itemsSummary: String
    }

    static func label(_ status: String) -> String {
        switch status {
        case "pending": "en attente de confirmation"
        case "confirmed": "confirmée"
        case "preparing": "en préparation"
        case "ready": "prête"
        case "delivering": "en cours de livraison"
        case "completed": "remise"
        case "cancelled": "annulée"
        default: status
        }
    }

    func status(_ request: Request, context: AppContext) async throws -> Response {
        let q = request.uri.queryParameters
        let (session, _) = try await ToolAuth.authorize(
            token: AgentAuth.presentedToken(request), rawId: q["restaurantId"].map(String.init), services: services)
        let r = session.template.restaurant
        guard let phone = (q["phone"] ?? q["callerPhone"]).map(String.init).flatMap({ PhoneNumber.normalize($0, defaultCountry: r.country) }) else {
            throw APIError(.unprocessableContent, code: "missing_phone", "Le paramètre phone est obligatoire.")
        }
        let since = services.now().addingTimeInterval(-24 * 3600)
        let orders: [Order] = try await Order.query(on: services.database.db)
            .filter(\.$restaurant.$id == r.id).filter(\.$customerPhone == phone).filter(\.$createdAt >= since)
            .sort(\.$createdAt, .descending).with(\.$items).all()
        let time = RestaurantTime(identifier: r.timezone)
        let lines = orders.map { o in
            StatusLine(
                orderNumber: o.orderNumber, status: o.status, statusLabel: Self.label(o.status), orderType: o.orderType,
                total: Money.decimal(o.total, currency: r.currency), estimatedReadyAt: o.estimatedReadyAt,
                estimatedReadyTime: o.estimatedReadyAt.map { time.local($0).time.description },
                itemsSummary: o.items.map { "\($0.quantity)× \($0.name)" }.joined(separator: ", "))
        }
        struct Status: Encodable { let success = true; let found: Bool; let orders: [StatusLine]; let message: String }
        let message = lines.first.map { "Dernière commande : numéro \($0.orderNumber), \($0.statusLabel)" + ($0.estimatedReadyTime.map { ", prévue vers \(TimeOfDay(parsing: $0)?.french ?? $0)" } ?? "") + "." }
            ?? "Je ne trouve pas de commande passée depuis ce numéro dans les dernières 24 heures."
        return try ToolResponse.json(Status(found: !lines.isEmpty, orders: lines, message: message))
    }
}
