import AlloRestoCore
import AlloRestoStore
import Foundation
import Hummingbird

/// The kitchen planner seen from the restaurant: timeline, available slots, external loads, settings.
struct PlanningRoutes {
    let services: AppServices

    func register(on router: Router<AppContext>) {
        router.get("/api/planning/timeline") { request, _ in try await self.timeline(request) }
        router.get("/api/planning/available-slots") { request, _ in try await self.availableSlots(request) }
        router.get("/api/planning/external-loads") { request, _ in try await self.listLoads(request) }
        router.post("/api/planning/external-loads") { request, context in try await self.createLoad(request, context: context) }
        router.patch("/api/planning/external-loads") { request, context in try await self.updateLoad(request, context: context) }
        router.delete("/api/planning/external-loads") { request, context in try await self.deleteLoad(request, context: context) }
        router.get("/api/planning/config") { request, _ in try await self.config(request) }
        router.put("/api/planning/config") { request, context in try await self.saveConfig(request, context: context) }
    }

    /// `[from, to]` of a query: `date` (local day, default today) with optional `from`/`to` as HH:MM; without any,
    /// from now (minus half an hour) over `hours` (default 6).
    func span(_ q: [String: String], clock: RestaurantTime, now: Date) throws -> DateInterval {
        let hours = try q["hours"].map { v -> Double in
            guard let h = CheckedNumber.decimal(text: v), h > 0, h <= 48 else { throw ToolBody.invalid("hours", "un nombre d'heures entre 0 et 48") }
            return h
        }
        if q["date"] == nil && q["from"] == nil && q["to"] == nil {
            let start = now.addingTimeInterval(-1800)
            return DateInterval(start: start, end: start.addingTimeInterval((hours ?? 6) * 3600 + 1800))
        }
        let day: LocalDate
        if let d = q["date"] {
            guard let parsed = LocalDate(iso: d) else { throw ToolBody.invalid("date", "une date AAAA-MM-JJ") }
            day = parsed
        } else {
            day = clock.localDate(now)
        }
        func time(_ key: String) throws -> TimeOfDay? {
            guard let v = q[key] else { return nil }
            guard let t = TimeOfDay(parsing: v) else { throw ToolBody.invalid(key, "une heure HH:MM") }
            return t
        }
        let start = clock.instant(day, try time("from") ?? TimeOfDay(minutes: 0))
        var end = try time("to").map { clock.instant(day, $0) } ?? hours.map { start.addingTimeInterval($0 * 3600) } ?? clock.instant(day.adding(days: 1), TimeOfDay(minutes: 0))
        if end <= start { end = end.addingTimeInterval(86400) }
        return DateInterval(start: start, end: end)
    }

    func query(_ request: Request) -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in request.uri.queryParameters { out[String(k)] = String(v) }
        return out
    }

    func timeline(_ request: Request) async throws -> Response {
        let q = query(request)
        let session = try await RestaurantAccess.authorize(request, rawId: q["restaurantId"], services: services, need: .operateService)
        let t = session.template
        let now = services.now()
        let span = try span(q, clock: t.schedule.time, now: now)
        let kitchen = try await KitchenBook.kitchen(
            restaurantId: t.restaurant.id, config: t.planning, schedule: t.schedule, now: now, window: span, on: services.database.readDB)
        let clock = t.schedule.time
        let slots: [JSONValue] = kitchen.timeline().filter { $0.start < span.end }.map { s in
            var resources: [String: JSONValue] = [:]
            for r in KitchenResource.allCases {
                resources[r.rawValue] = .object(["used": .int(s.used[r] ?? 0), "capacity": .int(s.capacity[r] ?? 0)])
            }
            return .object(["start": .string(s.start.formatted(.iso8601)), "time": .string(clock.local(s.start).time.description),
                            "open": .bool(s.open), "resources": .object(resources)])
        }
        return ToolResponse.value(.object([
            "success": true, "timezone": .string(t.restaurant.timezone), "slotMin": .int(t.planning.slotMin),
            "from": .string(span.start.formatted(.iso8601)), "to": .string(span.end.formatted(.iso8601)), "slots": .array(slots),
        ]))
    }

    func availableSlots(_ request: Request) async throws -> Response {
        let q = query(request)
        let session = try await RestaurantAccess.authorize(request, rawId: q["restaurantId"], services: services, need: .operateService)
        let t = session.template
        let now = services.now()
        let mode = (q["mode"] ?? "pickup").lowercased()
        guard let type = ["pickup": OrderType.pickup, "delivery": .delivery, "dine_in": .dineIn][mode] else {
            throw ToolBody.invalid("mode", "pickup, delivery ou dine_in")
        }
        let size = try q["size"].map { v -> OrderSize in
            guard let s = OrderSize(rawValue: v.uppercased()) else { throw ToolBody.invalid("size", "S, M ou L") }
            return s
        } ?? .m
        let travel = try ToolBody.queryInt(request, "travelMin", in: 0...180) ?? (type == .delivery ? 15 : 0)
        let span = try span(q, clock: t.schedule.time, now: now)
        let window = DateInterval(start: min(now, span.start).addingTimeInterval(-t.planning.slot), end: span.end.addingTimeInterval(4 * 3600))
        let kitchen = try await KitchenBook.kitchen(
            restaurantId: t.restaurant.id, config: t.planning, schedule: t.schedule, now: now, window: window, on: services.database.readDB)
        let slots = kitchen.availableSlots(type, size: size, from: span.start, to: span.end, travelMin: travel)
        let clock = t.schedule.time
        return ToolResponse.value(.object([
            "success": true, "mode": .string(type.rawValue), "size": .string(size.rawValue),
            "slots": .array(slots.map { .string(clock.local($0).time.description) }),
            "slotsISO": .array(slots.map { .string($0.formatted(.iso8601)) }),
        ]))
    }

    static func loadOut(_ l: ExternalLoad, clock: RestaurantTime) -> JSONValue {
        let info = l.info
        return .object([
            "id": .string(l.id!.uuidString.lowercased()), "kind": .string(l.kind),
            "startsAt": .string(l.startsAt.formatted(.iso8601)), "endsAt": .string(l.endsAt.formatted(.iso8601)),
            "start": .string(clock.local(l.startsAt).time.description), "end": .string(clock.local(l.endsAt).time.description),
            "load": .object(Dictionary(uniqueKeysWithValues: info.units.map { ($0.key.rawValue, JSONValue.int($0.value)) })),
            "notes": l.notes.map(JSONValue.string) ?? .null,
        ])
    }

    func listLoads(_ request: Request) async throws -> Response {
        let q = query(request)
        let session = try await RestaurantAccess.authorize(request, rawId: q["restaurantId"], services: services, need: .operateService)
        let t = session.template
        let span = try span(q.merging(q["date"] == nil && q["from"] == nil ? ["hours": q["hours"] ?? "48"] : [:]) { $1 }, clock: t.schedule.time, now: services.now())
        let rows = try await PlanningBook.loads(restaurantId: t.restaurant.id, overlapping: span.start, span.end, on: services.database.db)
        return ToolResponse.value(.object(["success": true, "loads": .array(rows.map { Self.loadOut($0, clock: t.schedule.time) })]))
    }

    static let kinds = ["dine_in_rush", "incident", "prep_batch", "other"]

    /// Reads the fields of a load from a body onto a row (all required on create).
    func apply(_ body: ToolBody, to row: ExternalLoad, clock: RestaurantTime, now: Date, creating: Bool) throws {
        if let kind = body.string("kind")?.lowercased() {
            guard Self.kinds.contains(kind) else { throw ToolBody.invalid("kind", Self.kinds.joined(separator: ", ")) }
            row.kind = kind
        } else if creating {
            row.kind = "other"
        }
        let date = body.string("date")
        func instant(_ isoKeys: [String], _ hmKey: String) throws -> Date? {
            for k in isoKeys {
                if let v = body.string(k) {
                    guard let d = try? Date(v, strategy: .iso8601) else { throw ToolBody.invalid(k, "un instant ISO 8601") }
                    return d
                }
            }
            guard let hm = body.string(hmKey) else { return nil }
            guard let tod = TimeOfDay(parsing: hm) else { throw ToolBody.invalid(hmKey, "une heure HH:MM") }
            let day = try date.map { d -> LocalDate in
                guard let p = LocalDate(iso: d) else { throw ToolBody.invalid("date", "une date AAAA-MM-JJ") }
                return p
            } ?? clock.localDate(now)
            return clock.instant(day, tod)
        }
        if let s = try instant(["startsAt", "starts_at"], "start") { row.startsAt = s } else if creating {
            throw APIError(.unprocessableContent, code: "missing_start", "Le champ startsAt (ISO) ou start (HH:MM) est obligatoire.")
        }
        if let e = try instant(["endsAt", "ends_at"], "end") {
            row.endsAt = e <= row.startsAt ? e.addingTimeInterval(86400) : e
        } else if creating {
            throw APIError(.unprocessableContent, code: "missing_end", "Le champ endsAt (ISO) ou end (HH:MM) est obligatoire.")
        }
        guard row.endsAt > row.startsAt, row.endsAt.timeIntervalSince(row.startsAt) <= 24 * 3600 else {
            throw ToolBody.invalid("endsAt", "après le début, et au plus 24 heures plus tard")
        }
        if let raw = body.object("load", "units") {
            var units: [String: JSONValue] = [:]
            for (k, v) in raw {
                guard let r = KitchenResource(rawValue: k.lowercased()) else { throw ToolBody.invalid("load.\(k)", "une ressource : cuisine, preparation, comptoir, livraison") }
                guard let n = CheckedNumber.whole(v, in: 0...1000) else { throw ToolBody.invalid("load.\(k)", "un nombre d'unités entre 0 et 1000") }
                units[r.rawValue] = .int(n)
            }
            guard !units.isEmpty else { throw ToolBody.invalid("load", "au moins une ressource") }
            row.load = String(decoding: JSONWriter.encoded(JSONValue.object(units)), as: UTF8.self)
        } else if creating {
            throw APIError(.unprocessableContent, code: "missing_load", "Le champ load ({\"cuisine\": 2, …}) est obligatoire.")
        }
        if body.fields["notes"] != nil { row.notes = body.string("notes") }
    }

    func createLoad(_ request: Request, context: AppContext) async throws -> Response {
        let body = try await ToolBody.readManaged(request, context: context)
        let session = try await RestaurantAccess.authorize(request, rawId: body.string("restaurantId", "restaurant_id"), services: services, need: .manageRestaurant)
        let t = session.template
        let row = ExternalLoad()
        row.$restaurant.id = t.restaurant.id
        try apply(body, to: row, clock: t.schedule.time, now: services.now(), creating: true)
        try await PlanningBook.save(row, on: services.database.db)
        return ToolResponse.value(.object(["success": true, "load": Self.loadOut(row, clock: t.schedule.time)]), status: .created)
    }

    func findLoad(_ id: UUID?, restaurantId: UUID) async throws -> ExternalLoad {
        guard let row = try await PlanningBook.load(id, restaurantId: restaurantId, on: services.database.db) else {
            throw APIError.notFound("load_not_found", "Charge introuvable pour ce restaurant.")
        }
        return row
    }

    func updateLoad(_ request: Request, context: AppContext) async throws -> Response {
        let body = try await ToolBody.readManaged(request, context: context)
        let session = try await RestaurantAccess.authorize(request, rawId: body.string("restaurantId", "restaurant_id"), services: services, need: .manageRestaurant)
        let t = session.template
        let row = try await findLoad(try body.uuid("id"), restaurantId: t.restaurant.id)
        try apply(body, to: row, clock: t.schedule.time, now: services.now(), creating: false)
        try await PlanningBook.save(row, on: services.database.db)
        return ToolResponse.value(.object(["success": true, "load": Self.loadOut(row, clock: t.schedule.time)]))
    }

    func deleteLoad(_ request: Request, context: AppContext) async throws -> Response {
        let q = query(request)
        let body = try await ToolBody.readManaged(request, context: context)
        let session = try await RestaurantAccess.authorize(request, rawId: body.string("restaurantId") ?? q["restaurantId"], services: services, need: .manageRestaurant)
        let row = try await findLoad((body.string("id") ?? q["id"]).flatMap(UUID.init(uuidString:)), restaurantId: session.template.restaurant.id)
        try await PlanningBook.delete(row, on: services.database.db)
        return ToolResponse.value(.object(["success": true]))
    }

    func config(_ request: Request) async throws -> Response {
        let q = query(request)
        let session = try await RestaurantAccess.authorize(request, rawId: q["restaurantId"], services: services, need: .manageRestaurant)
        let r = session.template.restaurant
        return ToolResponse.value(.object(["success": true, "config": session.template.planning.json, "override": r.planningConfig ?? .null]))
    }

    /// Replaces the restaurant's planning override (`config: null` goes back to the defaults); validated first.
    func saveConfig(_ request: Request, context: AppContext) async throws -> Response {
        let body = try await ToolBody.readManaged(request, context: context)
        let session = try await RestaurantAccess.authorize(request, rawId: body.string("restaurantId", "restaurant_id"), services: services, need: .manageRestaurant)
        let r = session.template.restaurant
        guard let raw = body.fields["config"] ?? body.fields["planningConfig"] else {
            throw APIError(.unprocessableContent, code: "missing_config", "Le champ config (objet, ou null pour les valeurs par défaut) est obligatoire.")
        }
        var effective = PlanningConfig(avgPrepTimeMin: r.avgPrepTimeMin)
        if raw != .null {
            do { effective = try PlanningConfig(json: raw, avgPrepTimeMin: r.avgPrepTimeMin) } catch {
                var refusal = APIError(.unprocessableContent, code: "invalid_planning_config", "planningConfig.\(error.path) : \(error.message).")
                refusal.field = "config.\(error.path)"
                throw refusal
            }
        }
        let text: String? = raw == .null ? nil : String(decoding: JSONWriter.encoded(raw), as: UTF8.self)
        try await PlanningBook.setOverride(text, restaurantId: r.id, on: services.database.db)
        return ToolResponse.value(.object(["success": true, "config": effective.json]))
    }
}
