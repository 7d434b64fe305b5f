import AlloRestoCore
import AlloRestoStore
import FluentKit
import Foundation
import Hummingbird

/// A time the caller asked for, in the restaurant's local time (`SpokenTime`, `SpokenDate`).
enum RequestedTime {
    /// A refusal the agent can say, naming the field.
    static func refusal(_ field: String, _ code: String, _ sentence: String) -> APIError {
        var e = APIError(.unprocessableContent, code: code, sentence)
        e.field = field
        return e
    }

    /// `nil` for "as soon as possible". A time of day without a date is its next occurrence the service can meet
    /// (`serviceable`); within `grace` a time just past means now (a caller asking for "12h" at 12h02). A time
    /// that is past, or not understood, is refused with a sentence.
    static func resolve(time: String?, date: String?, clock: RestaurantTime, now: Date, grace: TimeInterval = 600,
                        serviceable: ((Date) -> Bool)? = nil) throws -> Date? {
        guard let text = time?.trimmingCharacters(in: .whitespaces), !text.isEmpty else {
            if let date, !date.trimmingCharacters(in: .whitespaces).isEmpty {
                throw refusal("requestedTime", "missing_time", "À quelle heure, le \(date) ?")
            }
            return nil
        }
        guard let spoken = SpokenTime.parse(text) else {
            throw refusal("requestedTime", "time_not_understood", "Je n'ai pas compris l'heure « \(text) » : pouvez-vous la redire, par exemple 19h30 ?")
        }
        var day: LocalDate?
        if let date, !date.trimmingCharacters(in: .whitespaces).isEmpty {
            guard let d = SpokenDate.parse(date, today: clock.localDate(now)) else {
                throw refusal("requestedDate", "date_not_understood", "Je n'ai pas compris le jour « \(date) » : pouvez-vous le redire, par exemple samedi ou le 5 décembre ?")
            }
            guard d >= clock.localDate(now) else { throw refusal("requestedDate", "date_past", "Le \(d.french) est déjà passé : pour quel jour souhaitez-vous ?") }
            day = d
        }
        guard let instant = spoken.resolve(clock: clock, now: now, day: day, grace: grace, serviceable: serviceable) else { return nil }
        if instant < now.addingTimeInterval(-max(grace, 60)) {
            let local = clock.local(instant)
            throw refusal("requestedTime", "time_past", "\(local.date == clock.localDate(now) ? local.time.french : "Le \(local.date.french) à \(local.time.french)") est déjà passé : à quelle heure souhaitez-vous ?")
        }
        return instant
    }
}

/// Distance, duration and fee of a delivery, from the best location available.
struct DeliveryQuote: Sendable {
    var roadKm: Double?
    var travelMin: Int
    var point: GeoPoint?
    var formattedAddress: String?

    static func km(_ d: Double) -> String {
        let rounded = (d * 10).rounded() / 10
        return (rounded == rounded.rounded() ? CheckedNumber.text(rounded) : String(format: "%.1f", rounded)).replacingOccurrences(of: ".", with: ",")
    }

    /// Where the customer is. With an address: the saved coordinates when it is the caller's saved address, else
    /// the address geocoded; without a geocoder, given coordinates only when they are not the saved address's (the
    /// call context carries the saved ones: a new address is never measured there) — else a question. Without an
    /// address: the saved address and its coordinates, else given coordinates that are not the saved ones (those
    /// of an address measured earlier in the call). Outside the radius, unknown address or a geocoder down → a sentence.
    static func quote(
        restaurant r: RestaurantProfile, config: PlanningConfig, lat: Double?, lng: Double?, address: String?, phone: String?,
        services: AppServices
    ) async throws -> Result<DeliveryQuote, Refusal> {
        let given = GeoPoint(lat: lat, lng: lng)
        var saved: Customer?
        if let phone {
            saved = try await Customer.query(on: services.database.readDB).filter(\.$restaurant.$id == r.id).filter(\.$phone == phone).first()
        }
        let savedPoint = GeoPoint(lat: saved?.deliveryLat, lng: saved?.deliveryLng)
        let savedAddress = saved?.deliveryAddress.map { [$0, saved?.deliveryPostalCode, saved?.deliveryCity].compactMap { $0 }.joined(separator: " ") }
        var point: GeoPoint?
        var formatted = address
        if let address {
            if let savedPoint, let street = saved?.deliveryAddress, Self.same(address, street) {
                point = savedPoint
                formatted = savedAddress
            } else if let geocoder = services.geocoder {
                do {
                    guard let found = try await geocoder.geocode(address) else {
                        return .failure(Refusal("address_not_found", "Je ne trouve pas cette adresse. Pouvez-vous me redonner le numéro, la rue et la ville ?"))
                    }
                    point = found.point
                    formatted = found.formatted
                } catch {
                    services.logger.warning("geocoder failed", metadata: ["error": "\(error)"])
                    return .failure(Refusal("geocoder_unavailable", "Je ne peux pas vérifier l'adresse pour le moment. Je peux vous proposer de venir chercher la commande, ou laisser un message au restaurant."))
                }
            } else if let given, given != savedPoint {
                point = given
            } else {
                return .failure(Refusal("address_not_found", "Je ne peux pas situer cette nouvelle adresse : pouvez-vous me donner le code postal et la ville ?"))
            }
        } else if let given, given != savedPoint {
            point = given
        } else if let savedPoint {
            point = savedPoint
            formatted = savedAddress
        } else {
            return .failure(Refusal("address_missing", "Quelle est l'adresse de livraison ?"))
        }
        return measure(restaurant: r, config: config, to: point, formattedAddress: formatted)
    }

    /// The road distance and trip time to a point, refused beyond the radius. Without restaurant coordinates no
    /// radius check is possible and the slowest usual trip (20 min) is assumed.
    static func measure(restaurant r: RestaurantProfile, config: PlanningConfig, to point: GeoPoint?, formattedAddress: String?) -> Result<DeliveryQuote, Refusal> {
        guard let origin = GeoPoint(lat: r.lat, lng: r.lng), let point else {
            return .success(DeliveryQuote(roadKm: nil, travelMin: 20, point: point, formattedAddress: formattedAddress))
        }
        let road = origin.distanceKm(to: point) * config.roadFactor
        if let radius = r.deliveryRadiusKm, road > radius {
            return .failure(Refusal("out_of_range", "Désolé, cette adresse est à \(km(road)) km du restaurant : nous livrons jusqu'à \(km(radius)) km."))
        }
        return .success(DeliveryQuote(roadKm: (road * 10).rounded() / 10, travelMin: config.travelMinutes(roadKm: road), point: point, formattedAddress: formattedAddress))
    }

    static func same(_ a: String, _ b: String) -> Bool {
        func n(_ s: String) -> String { s.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil).filter { $0.isLetter || $0.isNumber } }
        let x = n(a), y = n(b)
        return !x.isEmpty && (x == y || x.hasPrefix(y) || y.hasPrefix(x))
    }
}

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
            throw RequestedTime.refusal("mode", "missing_mode", "Est-ce pour emporter, en livraison, ou pour réserver une table ?")
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
            var message = "Le restaurant ne prend plus de commandes pour aujourd'hui."
            if let opening = t.schedule.nextOpening(after: max(until, wanted ?? now)) {
                extra["nextOpeningTime"] = .string(t.schedule.time.local(opening).time.description)
                extra["nextOpeningTimeISO"] = .string(opening.formatted(.iso8601))
                message += " Les commandes reprennent \(Self.at(t.schedule.spoken(opening, now: now)))."
            }
            return unavailable("orders_paused", message, extra: extra)
        }
        var travel = 0
        if mode == .delivery {
            guard r.deliveryEnabled else { return unavailable("delivery_disabled", "Le restaurant ne livre pas : la commande est à venir chercher sur place.") }
            let address = [body.string("customerAddress", "customer_address", "address"), body.string("customerPostalCode", "customer_postal_code"),
                           body.string("customerCity", "customer_city")].compactMap { $0 }.joined(separator: " ")
            let phone = body.string("customerPhone", "callerPhone", "caller_phone").flatMap { PhoneNumber.normalize($0, defaultCountry: r.country) }
            let quote = try await DeliveryQuote.quote(
                restaurant: r, config: t.planning, lat: try body.double("customerLat", "customer_lat", "lat", in: GeoPoint.latitudes), lng: try body.double("customerLng", "customer_lng", "lng", in: GeoPoint.longitudes),
                address: address.isEmpty ? nil : address, phone: phone, services: services)
            switch quote {
            case .failure(let refusal): return unavailable(refusal.code, refusal.message)
            case .success(let q):
                travel = q.travelMin
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
            let when = schedule.spoken(plan.promised, now: now)
            var message = mode == .delivery ? "Livraison possible \(when.hasPrefix("demain") || when.contains(" à ") ? when : "vers \(when)")" : "La commande peut être prête \(when.contains(" à ") || when.hasPrefix("demain") ? when : "à \(when)")"
            if wanted != nil && plan.shiftedMin > 0 { message = "Pas à l'heure demandée : la cuisine est chargée. " + message }
            if mode == .delivery, let km = fields["deliveryDistanceKm"], case .double(let d) = km {
                message += " (\(DeliveryQuote.km(d)) km)"
            }
            if mode == .delivery {
                message += ". Frais de livraison : \(Money.spoken(r.deliveryFeeMinor, currency: r.currency))"
                if let free = r.deliveryFreeAboveMinor { message += ", offerts dès \(Money.spoken(free, currency: r.currency))" }
                if r.minOrderAmountMinor > 0 { message += ", minimum de commande \(Money.spoken(r.minOrderAmountMinor, currency: r.currency))" }
            }
            fields["message"] = .string(message + ".")
            fields["reason"] = .null
            return ToolResponse.value(.object(fields))
        case .closed(let opening, let feasible):
            var extra: [String: JSONValue] = [:]
            var message = "Le restaurant est fermé à ce moment-là."
            if let opening {
                extra["nextOpeningTime"] = .string(schedule.time.local(opening).time.description)
                extra["nextOpeningTimeISO"] = .string(opening.formatted(.iso8601))
                message += " Il ouvre \(Self.at(schedule.spoken(opening, now: now)))."
            }
            if let feasible {
                extra["nextAvailableTime"] = .string(schedule.time.local(feasible).time.description)
                extra["nextAvailableTimeISO"] = .string(feasible.formatted(.iso8601))
                message += " Je peux vous proposer \(Self.at(schedule.spoken(feasible, now: now)))."
            }
            return unavailable("closed", message, extra: extra)
        case .full(let feasible):
            var extra: [String: JSONValue] = [:]
            var message = "La cuisine est complète à ce moment-là."
            if let feasible {
                extra["nextAvailableTime"] = .string(schedule.time.local(feasible).time.description)
                extra["nextAvailableTimeISO"] = .string(feasible.formatted(.iso8601))
                message += " Le premier horaire possible est \(Self.at(schedule.spoken(feasible, now: now)))."
            }
            return unavailable("kitchen_full", message, extra: extra)
        }
    }

    /// `19h` → `à 19h`; `demain à 11h30` stays.
    static func at(_ spoken: String) -> String { spoken.contains(" à ") ? spoken : "à \(spoken)" }

    func reservation(_ body: ToolBody, template t: SessionTemplate, wanted: Date?, now: Date) async throws -> Response {
        guard let wanted else { throw APIError(.unprocessableContent, code: "missing_time", "Pour une réservation, l'heure souhaitée (requestedTime) est obligatoire.") }
        guard let party = try body.int("partySize", "party_size", "guests", "covers", in: 1...100_000) else {
            throw RequestedTime.refusal("partySize", "missing_party_size", "Pour combien de personnes ?")
        }
        var fields: [String: JSONValue] = ["success": true, "mode": "reservation", "partySize": .int(party)]
        let rules = t.reservations
        let clock = rules.time
        switch rules.slot(at: wanted, partySize: party, now: now) {
        case .failure(let refusal):
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
                var message = "Une table pour \(party) personne\(party > 1 ? "s" : "") est disponible \(Self.at(when))."
                if !offers.isEmpty { message += " Nous proposons aussi : " + offers.map(\.name).joined(separator: ", ") + "." }
                fields["message"] = .string(message)
            } else {
                fields["available"] = false
                fields["reason"] = "full"
                // Nearby times in the same rules, so the agent can offer one.
                var alternatives: [JSONValue] = []
                for minutes in [-30, 30, -60, 60, -15, 15, 90, -90] where alternatives.count < 3 {
                    let other = wanted.addingTimeInterval(TimeInterval(minutes * 60))
                    guard case .success(let s) = rules.slot(at: other, partySize: party, now: now) else { continue }
                    let used = try await ReservationBook.seatsTaken(restaurantId: t.restaurant.id, start: s.start, end: s.end, on: services.database.readDB)
                    if party <= s.capacity - used { alternatives.append(.string(clock.local(other).time.description)) }
                }
                fields["alternatives"] = .array(alternatives)
                var message = left == 0 ? "C'est complet \(Self.at(when))." : "Il ne reste que \(left) place\(left > 1 ? "s" : "") \(Self.at(when))."
                if !alternatives.isEmpty {
                    message += " Je peux vous proposer " + alternatives.compactMap { $0.stringValue.flatMap(TimeOfDay.init(parsing:))?.french }.joined(separator: " ou ") + "."
                }
                fields["message"] = .string(message)
            }
            return ToolResponse.value(.object(fields))
        }
    }
}
