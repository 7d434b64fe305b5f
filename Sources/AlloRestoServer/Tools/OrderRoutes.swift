import AlloRestoCore
import AlloRestoStore
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

    /// The meaning of an order, for the idempotency digest: its type, its lines as `OrderPricing.meaning` resolves
    /// them and the delivery address folded. Free text (notes), the stated total and the payment method are not
    /// part of it: the same order reworded is the same order.
    static func meaning(_ draft: OrderDraft, template t: SessionTemplate, address: String?) -> Data {
        let text = [draft.orderType.rawValue, address.map(OrderPricing.fold) ?? "", OrderPricing.meaning(draft, menu: t.menu, numbering: t.numbering)]
        return Data(text.joined(separator: "|").utf8)
    }

    /// Option picks in every form a model writes them: `[{name, choice}]`, `[{name, choice_id}]`, `["Grande"]`,
    /// `{"Taille": "Grande"}`, `{"Suppléments": ["Roquette", "Jambon de Parme"]}`, `[{"Taille": "Grande"}]`.
    /// A pick that cannot be read is refused, never dropped.
    static func picks(_ raw: JSONValue?, field: String) throws -> [OrderDraft.OptionPick] {
        func number(_ v: JSONValue, _ f: String) throws -> Int {
            guard let d = CheckedNumber.decimal(v), let n = CheckedNumber.whole(d, in: 1...10_000) else { throw ToolBody.invalid(f, "le numéro d'un choix") }
            return n
        }
        func named(_ name: String?, _ value: JSONValue, _ f: String) throws -> [OrderDraft.OptionPick] {
            switch value {
            case .string(let s): return s.trimmingCharacters(in: .whitespaces).isEmpty ? [] : [OrderDraft.OptionPick(name: name, choice: s)]
            case .int, .double: return [OrderDraft.OptionPick(name: name, choiceNumber: try number(value, f))]
            case .array(let a): return try a.enumerated().flatMap { try named(name, $1, "\(f)[\($0)]") }
            case .null: return []
            case .object(let o): return try object(o, name: name, f)
            case .bool: throw ToolBody.invalid(f, "un choix d'option")
            }
        }
        func object(_ o: [String: JSONValue], name outer: String?, _ f: String) throws -> [OrderDraft.OptionPick] {
            let body = ToolBody(fields: o)
            let known: Set<String> = ["name", "option", "option_name", "group", "choice", "value", "label", "choice_name", "selected", "choice_id", "choiceId", "id", "extra_price", "price"]
            if Set(o.keys).isDisjoint(with: known) {
                // The map form: {"Taille": "Grande"}.
                return try o.keys.sorted().flatMap { try named($0, o[$0]!, "\(f).\($0)") }
            }
            let name = body.string("name", "option", "option_name", "group") ?? outer
            let id = o["choice_id"] ?? o["choiceId"] ?? (o["choice"] == nil && o["value"] == nil && o["label"] == nil ? o["id"] : nil)
            let choiceValue = o["choice"] ?? o["value"] ?? o["label"] ?? o["choice_name"] ?? o["selected"]
            var out: [OrderDraft.OptionPick] = []
            if let choiceValue, choiceValue != .null {
                out = try named(name, choiceValue, "\(f).choice")
                if let id, id != .null, out.count == 1 { out[0].choiceNumber = try number(id, "\(f).choice_id") }
            } else if let id, id != .null {
                out = [OrderDraft.OptionPick(name: name, choiceNumber: try number(id, "\(f).choice_id"))]
            } else if name != nil {
                throw ToolBody.invalid(f, "un choix pour l'option « \(name!) »")
            }
            return out
        }
        guard let raw else { return [] }
        return try named(nil, raw, field)
    }

    static let orderTypes: [String: OrderType] = [
        "emporter": .pickup, "a_emporter": .pickup, "takeaway": .pickup, "take_away": .pickup, "retrait": .pickup, "click_and_collect": .pickup,
        "livraison": .delivery, "livrer": .delivery, "a_livrer": .delivery, "en_livraison": .delivery,
        "sur_place": .dineIn, "dinein": .dineIn, "dine_in": .dineIn, "au_restaurant": .dineIn,
    ]

    static func draft(_ body: ToolBody) throws -> OrderDraft {
        guard let type = try body.choice(["order_type", "orderType", "mode"], OrderType.self, synonyms: orderTypes,
                                         choices: "à emporter, en livraison ou sur place") else {
            throw APIError.field("order_type", "missing_order_type", "La commande est-elle à emporter ou en livraison ?")
        }
        var lines: [OrderDraft.Line] = []
        for (i, raw) in (body.array("items") ?? []).enumerated() {
            guard case .object(let o) = raw else { throw ToolBody.invalid("items[\(i)]", "un objet {id, quantity}") }
            let item = ToolBody(fields: o)
            guard let number = try item.int("id", "number", "item_id", in: 1...1_000_000) else { throw ToolBody.invalid("items[\(i)].id", "le numéro #N de l'article") }
            let picks = try Self.picks(o["selected_options"] ?? o["options"] ?? o["selectedOptions"], field: "items[\(i)].selected_options")
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
        let check = body.object("last_availability_check", "lastAvailabilityCheck").map(ToolBody.init(fields:))
        let rawId = body.string("restaurantId", "restaurant_id")
        let (session, _) = try await ToolAuth.authorize(token: AgentAuth.presentedToken(request), rawId: rawId, services: services)
        let r = session.template.restaurant
        let draft = try Self.draft(body)
        let phone = body.string("caller_phone", "callerPhone", "customer_phone").flatMap { PhoneNumber.normalize($0, defaultCountry: r.country) }
        let distance = try check?.double("deliveryDistanceKm", "delivery_distance_km", in: 0...1000)
        let now = services.now()
        // Idempotency on the meaning (items, quantities, resolved choices, type, the address measured), so the same
        // order reworded within a call is one order; a repeat gets its first answer, even if the menu changed since.
        let measured = check?.string("customerAddressFormatted", "customer_address_formatted")
        let digest = IdempotencyLedger.digest(Self.meaning(draft, template: session.template, address: draft.orderType == .delivery ? measured : nil))
        let keys = IdempotencyLedger.keys(callId: callId, restaurantId: r.id, phone: phone, tool: ToolName.confirmOrder.rawValue, digest: digest, now: now)
        if let previous = try await IdempotencyLedger.stored(keys, as: OrderBook.Confirmation.self, on: services.database.readDB) {
            return try Self.answer(previous, template: session.template)
        }

        let priced: PricedOrder
        switch OrderPricing.price(draft, menu: session.template.menu, numbering: session.template.numbering, restaurant: r, deliveryDistanceKm: distance) {
        case .success(let p): priced = p
        case .failure(let refused): return try ToolResponse.refusal(OrderWording.refusal(refused, currency: r.currency))
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
        var deliveryAddress = check?.string("customerAddressFormatted", "customer_address_formatted")
        var deliveryPoint = GeoPoint(lat: try check?.double("customerLat", in: GeoPoint.latitudes), lng: try check?.double("customerLng", in: GeoPoint.longitudes))
        if priced.orderType == .delivery {
            if check == nil || (deliveryPoint == nil && distance == nil) {
                // No availability check measured an address: the caller's saved address and its coordinates, or a
                // question — never a trip made up, never another address's coordinates.
                var saved: Customer?
                if let phone { saved = try await CustomerBook.byPhone(restaurantId: r.id, phone: phone, on: services.database.readDB) }
                guard let saved, let street = saved.deliveryAddress, let point = GeoPoint(lat: saved.deliveryLat, lng: saved.deliveryLng) else {
                    return try ToolResponse.refusal(DeliveryWording.addressNotChecked)
                }
                let formatted = [street, saved.deliveryPostalCode, saved.deliveryCity].compactMap { $0 }.joined(separator: " ")
                switch DeliveryQuote.measure(restaurant: r, config: t.planning, to: point, formattedAddress: formatted) {
                case .failure(let refused): return try ToolResponse.refusal(DeliveryWording.refusal(refused))
                case .success(let q):
                    distanceKm = q.roadKm
                    travel = q.travelMin
                    deliveryAddress = formatted
                    deliveryPoint = point
                }
            } else if let minutes = try check?.int("deliveryDurationMin", "delivery_duration_min", in: 0...10_000), (1...240).contains(minutes) {
                travel = minutes
            } else if let d = distance {
                travel = t.planning.travelMinutes(roadKm: d)
            } else {
                switch DeliveryQuote.measure(restaurant: r, config: t.planning, to: deliveryPoint, formattedAddress: deliveryAddress) {
                case .failure(let refused): return try ToolResponse.refusal(DeliveryWording.refusal(refused))
                case .success(let q):
                    distanceKm = q.roadKm
                    travel = q.travelMin
                }
            }
        }

        var placement = OrderBook.Placement(restaurantId: r.id, order: priced, readyAt: wanted ?? now)
        placement.placedAt = now
        placement.customerPhone = phone
        placement.customerName = body.string("customer_name", "customerName")
        placement.paymentMethod = body.string("payment_method", "paymentMethod")?.lowercased()
        placement.notes = body.string("notes")
        placement.callId = callId
        // The stated total is only compared (the server prices); one it cannot read is ignored, never a refusal.
        placement.statedTotalMinor = (try? body.money("total", currency: r.currency)) ?? nil
        if priced.orderType == .delivery {
            placement.deliveryAddress = deliveryAddress ?? body.string("delivery_address")
            placement.deliveryLat = deliveryPoint?.lat
            placement.deliveryLng = deliveryPoint?.lng
            placement.deliveryDistanceKm = distanceKm
        }
        // What check_availability was asked for: a bigger basket may not fit the slot it announced.
        let checkedSize = check?.string("orderSize", "order_size").flatMap { OrderSize(rawValue: $0.uppercased()) }
        let grown = checkedSize.map { Self.rank($0) < Self.rank(priced.size) } ?? false
        let kitchen = OrderWriter.KitchenRequest(config: t.planning, schedule: t.schedule, now: now, wanted: wanted, exact: exact, travelMin: travel)
        switch try await services.orderWriter.place(OrderWriter.Job(placement: placement, keys: keys, kitchen: kitchen)) {
        case .kept(let recorded): return try Self.answer(recorded, template: t)
        case .refused(let outcome):
            let asked = OrderWording.Asked(announced: wanted, exact: exact, grown: grown, itemCount: priced.itemCount, now: now)
            return try ToolResponse.refusal(OrderWording.refusal(outcome, asked: asked, schedule: t.schedule))
        }
    }

    /// The answer to a placed order, new or replayed (the same words from the same facts); a first answer
    /// recorded before typed outcomes is given back as it was sent.
    static func answer(_ recorded: Recorded<OrderBook.Confirmation>, template t: SessionTemplate) throws -> Response {
        switch recorded {
        case .replayedAsSent(let body): ToolResponse.raw(body)
        case .fresh(let c), .replayed(let c): try ToolResponse.json(OrderWording.confirmed(c, schedule: t.schedule, currency: t.restaurant.currency))
        }
    }

    static func rank(_ size: OrderSize) -> Int { size == .s ? 0 : size == .m ? 1 : 2 }

    func cancel(_ request: Request, context: AppContext) async throws -> Response {
        let body = try await ToolBody.read(request, context: context)
        let (session, _) = try await ToolAuth.authorize(
            token: AgentAuth.presentedToken(request), rawId: body.string("restaurantId", "restaurant_id"), services: services)
        let r = session.template.restaurant
        guard let number = try body.int("order_number", "orderNumber", in: 1...100_000_000) else {
            throw APIError(.unprocessableContent, code: "missing_order_number", "Le champ order_number est obligatoire.")
        }
        guard let phone = body.string("caller_phone", "callerPhone").flatMap({ PhoneNumber.normalize($0, defaultCountry: r.country) }) else {
            return try ToolResponse.refusal(CallerWording.unknownCaller(.cancelOrder))
        }
        switch try await OrderBook.cancel(restaurantId: r.id, orderNumber: number, phone: phone, on: services.database.db) {
        case .failure(let refused): return try ToolResponse.refusal(OrderWording.refusal(refused, number: number))
        case .success:
            struct Cancelled: Encodable { let success = true; let message: String; let order_number: Int }
            return try ToolResponse.json(Cancelled(message: OrderWording.cancelled(number: number), order_number: number))
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

    /// A payment method as a French person says it (`cash` → `espèces`); an unknown one as given.
    static func paymentLabel(_ method: String) -> String {
        switch method.lowercased() {
        case "cash", "especes", "espèces": "espèces"
        case "card", "cb", "carte": "carte bancaire"
        case "online", "en_ligne": "payé en ligne"
        case "ticket_restaurant", "meal_voucher", "tickets_restaurant": "titres-restaurant"
        case "check", "cheque", "chèque": "chèque"
        case "contactless", "sans_contact": "sans contact"
        default: method
        }
    }

    static func label(_ status: String) -> String { OrderStatus.label(status) }

    func status(_ request: Request, context: AppContext) async throws -> Response {
        let q = request.uri.queryParameters
        let (session, _) = try await ToolAuth.authorize(
            token: AgentAuth.presentedToken(request), rawId: q["restaurantId"].map(String.init), services: services)
        let r = session.template.restaurant
        guard let phone = (q["phone"] ?? q["callerPhone"]).map(String.init).flatMap({ PhoneNumber.normalize($0, defaultCountry: r.country) }) else {
            return try ToolResponse.refusal(CallerWording.unknownCaller(.orderStatus))
        }
        let since = services.now().addingTimeInterval(-24 * 3600)
        let orders = try await OrderBook.placed(by: phone, restaurantId: r.id, since: since, on: services.database.db)
        let time = RestaurantTime(identifier: r.timezone)
        let lines = orders.map { o in
            StatusLine(
                orderNumber: o.orderNumber, status: o.status, statusLabel: Self.label(o.status), orderType: o.orderType,
                total: Money.decimal(o.total, currency: r.currency), estimatedReadyAt: o.estimatedReadyAt,
                estimatedReadyTime: o.estimatedReadyAt.map { time.local($0).time.description },
                itemsSummary: o.items.map { "\($0.quantity)× \($0.name)" }.joined(separator: ", "))
        }
        struct Status: Encodable { let success = true; let found: Bool; let orders: [StatusLine]; let message: String }
        let message = OrderWording.status(latest: orders.first.map { o in
            (o.orderNumber, Self.label(o.status), o.estimatedReadyAt.map { time.local($0).time })
        })
        return try ToolResponse.json(Status(found: !lines.isEmpty, orders: lines, message: message))
    }
}
