import AlloRestoCore
import AlloRestoStore
import Foundation
import Hummingbird

/// `check_availability`: pickup and delivery through the kitchen planner, reservations through the booking rules.
struct AvailabilityRoutes {
    let services: AppServices

    func register(on router: Router<AppContext>) {
        router.post("/api/availability/check") { request, context in try await self.check(request, context: context) }
    }

    enum Mode: String { case pickup, delivery, reservation }

    static func size(_ body: ToolBody) throws -> OrderSize {
        if let s = body.string("orderSize", "order_size")?.uppercased(), let size = OrderSize(rawValue: s) { return size }
        if let n = try body.int("itemCount", "orderItemCount", "order_item_count", "item_count", "items_count", in: 0...10_000) { return OrderSize(itemCount: max(1, n)) }
        return .m
    }

    func check(_ request: Request, context: AppContext) async throws -> Response {
        let body = try await ToolBody.read(request, context: context)
        let (session, _) = try await ToolAuth.authorize(
            token: AgentAuth.presentedToken(request), rawId: body.string("restaurantId", "restaurant_id"), services: services)
        let t = session.template
        let r = t.restaurant
        let now = services.now()
        var modes: [String: Mode] = [
            "table": .reservation, "reserver": .reservation, "reserver_une_table": .reservation, "dine_in": .reservation, "sur_place": .reservation,
        ]
        for (k, v) in OrderRoutes.orderTypes where v != .dineIn { modes[k] = v == .pickup ? .pickup : .delivery }
        guard let mode = try body.choice(["mode", "type", "orderType", "order_type"], Mode.self, synonyms: modes,
                                         choices: "à emporter, en livraison ou une réservation de table") else {
            throw APIError.field("mode", "missing_mode", "Est-ce pour emporter, en livraison, ou pour réserver une table ?")
        }
        let schedule0 = t.schedule
        let wanted = try RequestedTime.resolve(
            time: body.string("requestedTime", "requested_time", "time", "reservationTime"), date: body.string("requestedDate", "requested_date", "date"),
            clock: t.schedule.time, now: now, serviceable: { schedule0.isOpen(at: $0) })
        if mode == .reservation { return try await reservation(body, template: t, wanted: wanted, now: now) }

        var fields: [String: JSONValue] = ["success": true, "mode": .string(mode.rawValue)]
        func unavailable(_ reason: String, _ message: String, extra: [String: JSONValue] = [:]) -> Response {
            fields["available"] = false
            fields["reason"] = .string(reason)
            fields["message"] = .string(message)
            fields["estimatedTime"] = .null
            fields["estimatedTimeISO"] = .null
            return ToolResponse.value(.object(fields.merging(extra) { $1 }))
        }
        // "Plus de commandes ce soir": said as such, with the time orders resume (reservations are not concerned).
        if let until = r.ordersPausedUntil, until > (wanted ?? now) {
            var extra: [String: JSONValue] = [:]
            let opening = t.schedule.nextOpening(after: max(until, wanted ?? now))
            if let opening {
                extra["nextOpeningTime"] = .string(t.schedule.time.local(opening).time.description)
                extra["nextOpeningTimeISO"] = .string(opening.formatted(.iso8601))
            }
            return unavailable("orders_paused", AvailabilityWording.ordersPaused(resume: opening, schedule: t.schedule, now: now), extra: extra)
        }
        var travel = 0
        var distanceKm: Double?
        if mode == .delivery {
            guard r.deliveryEnabled else { return unavailable("delivery_disabled", AvailabilityWording.deliveryDisabled) }
            let address = [body.string("customerAddress", "customer_address", "address"), body.string("customerPostalCode", "customer_postal_code"),
                           body.string("customerCity", "customer_city")].compactMap { $0 }.joined(separator: " ")
            let phone = body.string("customerPhone", "callerPhone", "caller_phone").flatMap { PhoneNumber.normalize($0, defaultCountry: r.country) }
            let quote = try await DeliveryQuote.quote(
                restaurant: r, config: t.planning, lat: try body.double("customerLat", "customer_lat", "lat", in: GeoPoint.latitudes), lng: try body.double("customerLng", "customer_lng", "lng", in: GeoPoint.longitudes),
                address: address.isEmpty ? nil : address, phone: phone, services: services)
            switch quote {
            case .failure(let refused):
                let refusal = DeliveryWording.refusal(refused)
                return unavailable(refusal.code, refusal.message)
            case .success(let q):
                travel = q.travelMin
                distanceKm = q.roadKm
                fields["deliveryDistanceKm"] = q.roadKm.map(JSONValue.double) ?? .null
                fields["deliveryDurationMin"] = .int(q.travelMin)
                fields["deliveryFee"] = .double(Money.decimal(r.deliveryFeeMinor, currency: r.currency))
                fields["deliveryFreeAbove"] = r.deliveryFreeAboveMinor.map { .double(Money.decimal($0, currency: r.currency)) } ?? .null
                fields["minOrderAmount"] = .double(Money.decimal(r.minOrderAmountMinor, currency: r.currency))
                fields["customerAddressFormatted"] = q.formattedAddress.map(JSONValue.string) ?? .null
                fields["customerLat"] = q.point.map { .double($0.lat) } ?? .null
                fields["customerLng"] = q.point.map { .double($0.lng) } ?? .null
            }
        }
        let size = try Self.size(body)
        let type: OrderType = mode == .delivery ? .delivery : .pickup
        let window = KitchenBook.window(now: now, wanted: wanted, config: t.planning)
        let kitchen = try await KitchenBook.kitchen(
            restaurantId: r.id, config: t.planning, schedule: t.schedule, now: now, window: window, on: services.database.readDB)
        fields["orderSize"] = .string(size.rawValue)
        if let n = try body.int("itemCount", "orderItemCount", "order_item_count", "item_count", "items_count", in: 0...10_000) { fields["itemCount"] = .int(n) }
        let schedule = t.schedule
        switch kitchen.plan(type, size: size, wanted: wanted, travelMin: travel) {
        case .planned(let plan):
            let local = schedule.time.local(plan.promised)
            fields["available"] = true
            fields["estimatedTime"] = .string(local.time.description)
            fields["estimatedTimeISO"] = .string(plan.promised.formatted(.iso8601))
            fields["estimatedDate"] = .string(local.date.description)
            fields["shiftedMin"] = .int(plan.shiftedMin)
            fields["message"] = .string(AvailabilityWording.planned(
                delivery: mode == .delivery, promised: plan.promised, shifted: wanted != nil && plan.shiftedMin > 0, distanceKm: distanceKm,
                restaurant: r, schedule: schedule, now: now))
            fields["reason"] = .null
            return ToolResponse.value(.object(fields))
        case .closed(let opening, let feasible):
            var extra: [String: JSONValue] = [:]
            if let opening {
                extra["nextOpeningTime"] = .string(schedule.time.local(opening).time.description)
                extra["nextOpeningTimeISO"] = .string(opening.formatted(.iso8601))
            }
            if let feasible {
                extra["nextAvailableTime"] = .string(schedule.time.local(feasible).time.description)
                extra["nextAvailableTimeISO"] = .string(feasible.formatted(.iso8601))
            }
            return unavailable("closed", AvailabilityWording.closed(opening: opening, feasible: feasible, schedule: schedule, now: now), extra: extra)
        case .full(let feasible):
            var extra: [String: JSONValue] = [:]
            if let feasible {
                extra["nextAvailableTime"] = .string(schedule.time.local(feasible).time.description)
                extra["nextAvailableTimeISO"] = .string(feasible.formatted(.iso8601))
            }
            return unavailable("kitchen_full", AvailabilityWording.full(feasible: feasible, schedule: schedule, now: now), extra: extra)
        }
    }

    func reservation(_ body: ToolBody, template t: SessionTemplate, wanted: Date?, now: Date) async throws -> Response {
        guard let wanted else { throw APIError(.unprocessableContent, code: "missing_time", "Pour une réservation, l'heure souhaitée (requestedTime) est obligatoire.") }
        guard let party = try body.int("partySize", "party_size", "guests", "covers", in: 1...100_000) else {
            throw APIError.field("partySize", "missing_party_size", "Pour combien de personnes ?")
        }
        var fields: [String: JSONValue] = ["success": true, "mode": "reservation", "partySize": .int(party)]
        let rules = t.reservations
        let clock = rules.time
        switch rules.slot(at: wanted, partySize: party, now: now) {
        case .failure(let refused):
            let refusal = ReservationWording.refusal(refused, rules: rules, now: now)
            fields["available"] = false
            fields["reason"] = .string(refusal.code)
            fields["message"] = .string(refusal.message)
            fields["estimatedTime"] = .null
            fields["estimatedTimeISO"] = .null
            return ToolResponse.value(.object(fields))
        case .success(let slot):
            let taken = try await ReservationBook.seatsTaken(restaurantId: t.restaurant.id, start: slot.start, end: slot.end, on: services.database.readDB)
            let left = max(0, slot.capacity - taken)
            let local = clock.local(wanted)
            fields["estimatedTime"] = .string(local.time.description)
            fields["estimatedTimeISO"] = .string(wanted.formatted(.iso8601))
            fields["estimatedDate"] = .string(local.date.description)
            fields["seatsAvailable"] = .int(left)
            fields["serviceId"] = slot.service.map { .string($0.id.uuidString.lowercased()) } ?? .null
            fields["serviceName"] = slot.service.map { .string($0.name) } ?? .null
            let offers = rules.offers(t.offers, partySize: party, date: local.date)
            fields["offers"] = .array(offers.map { o in
                .object(["id": .string(o.id.uuidString.lowercased()), "name": .string(o.name), "description": o.description.map(JSONValue.string) ?? .null,
                         "price": o.priceMinor.map { .double(Money.decimal($0, currency: t.restaurant.currency)) } ?? .null])
            })
            let when = rules.schedule.spoken(wanted, now: now)
            if party <= left {
                fields["available"] = true
                fields["reason"] = .null
                fields["message"] = .string(AvailabilityWording.tableFree(party: party, when: when, offers: offers.map(\.name)))
            } else {
                fields["available"] = false
                fields["reason"] = "full"
                // Nearby times in the same rules, so the agent can offer one.
                var alternatives: [TimeOfDay] = []
                for minutes in [-30, 30, -60, 60, -15, 15, 90, -90] where alternatives.count < 3 {
                    let other = wanted.addingTimeInterval(TimeInterval(minutes * 60))
                    guard case .success(let s) = rules.slot(at: other, partySize: party, now: now) else { continue }
                    let used = try await ReservationBook.seatsTaken(restaurantId: t.restaurant.id, start: s.start, end: s.end, on: services.database.readDB)
                    if party <= s.capacity - used { alternatives.append(clock.local(other).time) }
                }
                fields["alternatives"] = .array(alternatives.map { .string($0.description) })
                fields["message"] = .string(AvailabilityWording.tableFull(left: left, when: when, alternatives: alternatives))
            }
            return ToolResponse.value(.object(fields))
        }
    }
}
