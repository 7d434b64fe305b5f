import AlloRestoCore
import AlloRestoStore
import Foundation
import Hummingbird

/// `confirm_reservation`, `cancel_reservation`, `lookup_reservation` and the restaurant's reservation list.
struct ReservationRoutes {
    let services: AppServices

    func register(on router: Router<AppContext>) {
        router.post("/api/reservations") { request, context in try await self.create(request, context: context) }
        router.patch("/api/reservations") { request, context in try await self.update(request, context: context) }
        router.get("/api/reservations/lookup") { request, _ in try await self.lookup(request) }
        router.get("/api/reservations") { request, _ in try await self.list(request) }
    }

    /// The meaning of a reservation, for the idempotency digest: party size, the instant resolved, the seating
    /// wish folded and the offer — however they were written.
    static func meaning(party: Int, at: Date, seating: String?, offer: UUID?) -> Data {
        Data("\(party)|\(at.timeIntervalSince1970)|\(seating.map(OrderPricing.fold) ?? "")|\(offer?.uuidString.lowercased() ?? "")".utf8)
    }

    func create(_ request: Request, context: AppContext) async throws -> Response {
        let body = try await ToolBody.read(request, context: context)
        // The agent books for its caller; the staff book from the back office (a walk-in, a call they took), under
        // the same rules.
        let (session, byAgent) = try await RestaurantAccess.access(
            request, rawId: body.string("restaurantId", "restaurant_id"), services: services, need: .operateService, agentMay: true)
        let t = session.template
        let r = t.restaurant
        let now = services.now()
        guard let party = try body.int("partySize", "party_size", "guests", "covers", in: 0...100_000) else {
            throw APIError.field("partySize", "missing_party_size", "Pour combien de personnes ?")
        }
        var timeText = body.string("reservationTime", "reservation_time", "requestedTime", "time")
        if timeText == nil, let check = body.object("last_availability_check", "lastAvailabilityCheck") {
            timeText = ToolBody(fields: check).string("estimatedTimeISO")
        }
        let open = t.reservations.schedule
        guard let wanted = try Self.resolve(
            time: timeText, date: body.string("reservationDate", "reservation_date", "date"), clock: t.reservations.time, now: now,
            // A caller's "10h" may mean 22h (the hours decide); a time typed in the back office is on the 24-hour clock.
            serviceable: byAgent ? { open.isOpen(at: $0) } : nil)
        else {
            throw APIError(.unprocessableContent, code: "missing_time", "Le champ reservationTime (heure HH:MM ou ISO) est obligatoire.")
        }
        let phone = body.string("customerPhone", "customer_phone", "callerPhone", "caller_phone").flatMap { PhoneNumber.normalize($0, defaultCountry: r.country) }
        let slot: ReservationSlot
        switch t.reservations.slot(at: wanted, partySize: party, now: now) {
        case .failure(let refused): return try ToolResponse.refusal(ReservationWording.refusal(refused, rules: t.reservations, now: now))
        case .success(let s): slot = s
        }
        if let asked = (try? body.uuid("serviceId", "service_id")) ?? nil, let matched = slot.service?.id, asked != matched {
            services.logger.info("reservation service differs from the one matching the time; keeping the matching one")
        }
        var req = ReservationBook.Request(restaurantId: r.id, slot: slot, partySize: party, source: byAgent ? "phone_ai" : "dashboard",
                                          status: slot.service?.prepaymentRequired == true ? "pending" : "confirmed")
        req.customerName = body.string("customerName", "customer_name", "name")
        req.customerPhone = phone
        req.customerId = (try? body.uuid("customerId", "customer_id")) ?? nil
        req.seatingPreference = body.string("seatingPreference", "seating_preference")
        req.offerId = ((try? body.uuid("offerId", "offer_id")) ?? nil).flatMap { id in t.offers.contains { $0.id == id && $0.isActive } ? id : nil }
        req.notes = body.string("notes")
        req.callId = body.string("callId", "call_id")
        let keys = IdempotencyLedger.keys(
            callId: req.callId, restaurantId: r.id, phone: phone, tool: ToolName.confirmReservation.rawValue,
            digest: IdempotencyLedger.digest(Self.meaning(party: party, at: slot.start, seating: req.seatingPreference, offer: req.offerId)), now: now)
        // Created (or the creation replayed): 201; a refusal: 200 with the sentence.
        switch try await ReservationBook.book(req, now: now, keys: keys, on: services.database.db) {
        case .refused(let refused): return try ToolResponse.refusal(ReservationWording.refusal(refused))
        case .kept(.replayedAsSent(let body)): return ToolResponse.raw(body, status: .created)
        case .kept(.fresh(let booked)), .kept(.replayed(let booked)):
            return ToolResponse.value(ReservationWording.booked(booked, rules: t.reservations, services: t.services), status: .created)
        }
    }

    /// The restaurant a call is for: the body's, or the token's own when the tool did not send it.
    func restaurantId(_ explicit: String?, request: Request) async throws -> String? {
        if let explicit { return explicit }
        guard let token = AgentAuth.presentedToken(request), !token.hasPrefix(ManagementKeys.prefix) else { return nil }
        return try await AgentTokens.restaurant(ofToken: token, on: services.database.db)?.uuidString
    }

    func update(_ request: Request, context: AppContext) async throws -> Response {
        let body = try await ToolBody.read(request, context: context)
        // The agent reaches this route for cancel_reservation only: cancelling, for the caller's own booking.
        let (session, byAgent) = try await RestaurantAccess.access(
            request, rawId: try await restaurantId(body.string("restaurantId", "restaurant_id"), request: request), services: services, need: .operateService, agentMay: true)
        let t = session.template
        guard let id = try body.uuid("id", "reservationId", "reservation_id") else {
            throw APIError(.unprocessableContent, code: "missing_id", "Le champ id de la réservation est obligatoire.")
        }
        // A person editing the booking (no status): name, phone, notes, and its time or party size.
        if !byAgent, body.string("status") == nil, Self.editable.contains(where: { body.fields[$0] != nil }) {
            return try await edit(id: id, body: body, template: t, request: request)
        }
        let status = body.string("status")?.lowercased() ?? "cancelled"
        guard ["pending", "confirmed", "seated", "completed", "cancelled", "no_show"].contains(status) else {
            throw ToolBody.invalid("status", "pending, confirmed, seated, completed, cancelled ou no_show")
        }
        let phone = body.string("customerPhone", "customer_phone", "callerPhone", "caller_phone").flatMap { PhoneNumber.normalize($0, defaultCountry: t.restaurant.country) }
        if byAgent {
            guard status == "cancelled" else {
                throw APIError(.forbidden, code: "agent_token_not_allowed", "L'agent vocal peut seulement annuler une réservation.")
            }
            guard phone != nil else {
                return try ToolResponse.refusal(CallerWording.unknownCaller(.cancelReservation))
            }
        }
        switch try await ReservationBook.change(id: id, restaurantId: t.restaurant.id, to: status, phone: phone, now: services.now(), on: services.database.db) {
        case .failure(let refused): return try ToolResponse.refusal(ReservationWording.refusal(refused))
        case .success(let row):
            let local = t.reservations.time.local(row.reservationTime)
            let actor = byAgent ? "agent vocal" : ((try? await Manager.resolve(request, services: services))??.actor ?? "?")
            await services.audit(t.restaurant.id, by: actor, "reservation.status",
                                 "réservation de \(row.customerName ?? "?") (\(local.date.french) \(local.time.french), \(row.partySize) pers.) : \(status)")
            let message = ReservationWording.changed(row, to: status, clock: t.reservations.time)
            return ToolResponse.value(.object(["success": true, "message": .string(message), "reservation": ReservationWording.json(row, clock: t.reservations.time, services: t.services)]))
        }
    }

    /// A booking's time (`RequestedTime`, no grace), its refusals naming this route's fields (`reservationTime`,
    /// `reservationDate`) so a form shows them next to the right input.
    static func resolve(time: String?, date: String?, clock: RestaurantTime, now: Date, serviceable: ((Date) -> Bool)?) throws -> Date? {
        try RequestedTime.resolve(time: time, date: date, clock: clock, now: now, grace: 0, serviceable: serviceable, fields: Self.timeFields)
    }

    /// The booking's own time fields.
    static let timeFields = RequestedTime.Fields(time: "reservationTime", date: "reservationDate")

    /// The fields a person may change on a booking without touching its status.
    static let editable = ["customerName", "customerPhone", "notes", "reservationTime", "reservationDate", "partySize"]

    /// Changes a booking's name, phone or notes, and moves it to another time or party size under the booking
    /// rules (service, advance, capacity without counting itself: `ReservationBook.move`). A refusal changes
    /// nothing, the details included.
    func edit(id: UUID, body: ToolBody, template t: SessionTemplate, request: Request) async throws -> Response {
        guard var row = try await ReservationBook.find(id: id, restaurantId: t.restaurant.id, on: services.database.db) else {
            throw APIError.notFound("reservation_not_found", "Réservation introuvable pour ce restaurant.")
        }
        // The details first: a refused one changes nothing, the time included.
        var name = row.customerName, phone = row.customerPhone, notes = row.notes
        if body.fields["customerName"] != nil {
            name = body.string("customerName")
            if let name, name.count > 200 { throw ToolBody.invalid("customerName", "un nom de 200 caractères au plus") }
        }
        if body.fields["customerPhone"] != nil {
            phone = nil
            if let raw = body.string("customerPhone") {
                guard let normalized = PhoneNumber.normalize(raw, defaultCountry: t.restaurant.country) else { throw ToolBody.invalid("customerPhone", "un numéro de téléphone") }
                phone = normalized
            }
        }
        if body.fields["notes"] != nil {
            notes = body.string("notes")
            if let notes, notes.count > 1000 { throw ToolBody.invalid("notes", "une note de 1000 caractères au plus") }
        }
        let before = (time: row.reservationTime, party: row.partySize)
        let party = try body.int("partySize", in: 0...100_000) ?? row.partySize
        let now = services.now()
        let clock = t.reservations.time
        // The form sends the time and date it shows: unchanged, they are not read again (a booking of an hour
        // ago keeps its time when only its notes change).
        let current = clock.local(row.reservationTime)
        let timeText = body.string("reservationTime") ?? current.time.description
        let dateText = body.string("reservationDate") ?? current.date.description
        let timeChanged = timeText != current.time.description || dateText != current.date.description
        if timeChanged || party != before.party, !ReservationBook.movableStatuses.contains(row.status) {
            // Checked first: a seated table of an hour ago is "no longer movable", not "that time is past".
            return try ToolResponse.refusal(ReservationWording.refusal(.notMovable(status: row.status)))
        }
        var wanted = row.reservationTime
        if timeChanged {
            // Typed by a person on the 24-hour clock: "10:00" is ten in the morning, not read as 22h.
            wanted = try Self.resolve(time: timeText, date: dateText, clock: clock, now: now, serviceable: nil) ?? row.reservationTime
        }
        let details = ReservationBook.Details(customerName: name, customerPhone: phone, notes: notes)
        if wanted != before.time || party != before.party {
            let slot: ReservationSlot
            switch t.reservations.slot(at: wanted, partySize: party, now: now) {
            case .failure(let refused): return try ToolResponse.refusal(ReservationWording.refusal(refused, rules: t.reservations, now: now))
            case .success(let s): slot = s
            }
            // The move and the details in one transaction: all or nothing.
            switch try await ReservationBook.move(id: id, restaurantId: t.restaurant.id, to: slot, partySize: party, details: details, now: now,
                                                  on: services.database.db) {
            case .failure(let refused): return try ToolResponse.refusal(ReservationWording.refusal(refused))
            case .success(let moved): row = moved
            }
        } else {
            try await ReservationBook.saveDetails(details, of: row, on: services.database.db)
        }
        let actor = (try? await Manager.resolve(request, services: services))??.actor ?? "?"
        var what = "réservation de \(row.customerName ?? "?") modifiée"
        if row.reservationTime != before.time || row.partySize != before.party {
            let was = clock.local(before.time), now = clock.local(row.reservationTime)
            what += " : \(was.date.french) \(was.time.french), \(before.party) pers. → \(now.date.french) \(now.time.french), \(row.partySize) pers."
        }
        await services.audit(t.restaurant.id, by: actor, "reservation.edit", what)
        return ToolResponse.value(.object(["success": true, "reservation": ReservationWording.json(row, clock: t.reservations.time, services: t.services)]))
    }

    func lookup(_ request: Request) async throws -> Response {
        let q = request.uri.queryParameters
        let (session, _) = try await ToolAuth.authorize(
            token: AgentAuth.presentedToken(request), rawId: q["restaurantId"].map(String.init), services: services)
        let t = session.template
        guard let phone = (q["phone"] ?? q["callerPhone"]).flatMap({ PhoneNumber.normalize(String($0), defaultCountry: t.restaurant.country) }) else {
            return ToolResponse.value(.object(["success": true, "found": false, "reservations": [], "message": .string(ReservationWording.found(nil, clock: t.reservations.time))]))
        }
        let rows = try await ReservationBook.upcoming(restaurantId: t.restaurant.id, phone: phone, now: services.now(), on: services.database.readDB)
        let list = rows.map { ReservationWording.json($0, clock: t.reservations.time, services: t.services) }
        let message = ReservationWording.found(rows, clock: t.reservations.time)
        return ToolResponse.value(.object(["success": true, "found": .bool(!rows.isEmpty), "reservations": .array(list), "message": .string(message)]))
    }

    func list(_ request: Request) async throws -> Response {
        let q = request.uri.queryParameters
        let session = try await RestaurantAccess.authorize(request, rawId: q["restaurantId"].map(String.init), services: services, need: .operateService)
        let t = session.template
        let clock = t.reservations.time
        let now = services.now()
        let day: LocalDate
        if let d = q["date"].map(String.init) {
            guard let parsed = LocalDate(iso: d) else { throw ToolBody.invalid("date", "une date AAAA-MM-JJ") }
            day = parsed
        } else {
            day = clock.localDate(now)
        }
        let days = try ToolBody.queryInt(request, "days", in: 1...62) ?? 1
        let statuses = q["status"].map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() } }
        let rows = try await ReservationBook.list(
            restaurantId: t.restaurant.id, from: clock.instant(day, TimeOfDay(minutes: 0)), to: clock.instant(day.adding(days: days), TimeOfDay(minutes: 0)),
            statuses: statuses, on: services.database.db)
        let covers = rows.filter { ReservationBook.holdingStatuses.contains($0.status) }.reduce(0) { $0 + $1.partySize }
        return ToolResponse.value(.object([
            "success": true, "date": .string(day.description), "covers": .int(covers),
            "reservations": .array(rows.map { ReservationWording.json($0, clock: clock, services: t.services) }),
        ]))
    }
}
