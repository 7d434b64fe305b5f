import AlloRestoCore
import Foundation
import Hummingbird
import NIOCore

/// The OpenAPI 3.1 description of the HTTP API, served at `/openapi.json`. A test checks that every `/api` route
/// of the router is described here and that nothing described is missing from the router.
enum OpenAPIDocument {
    typealias J = JSONValue

    static func str(_ d: String, _ extra: [String: J] = [:]) -> J { .object(["type": "string", "description": .string(d)].merging(extra) { $1 }) }
    static func int(_ d: String) -> J { ["type": "integer", "description": .string(d)] }
    static func num(_ d: String) -> J { ["type": "number", "description": .string(d)] }
    static func bool(_ d: String) -> J { ["type": "boolean", "description": .string(d)] }
    static func obj(_ props: [String: J], required: [String] = []) -> J {
        ["type": "object", "properties": .object(props), "required": .array(required.map(J.string))]
    }
    static func query(_ name: String, _ d: String, required: Bool = false) -> J {
        ["name": .string(name), "in": "query", "required": .bool(required), "description": .string(d), "schema": ["type": "string"]]
    }

    static let restaurantIdQuery = query("restaurantId", "Restaurant id (UUID).", required: true)
    static let ok: J = ["description": "Success, or a business refusal `{success:false, error, code}` the agent relays."]
    static let errorBody: J = ["application/json": ["schema": ["$ref": "#/components/schemas/Error"]]]
    static let errors: [String: J] = [
        "201": ["description": "Created (writes that add a row)"],
        "400": ["description": "Malformed request", "content": errorBody],
        "401": ["description": "No or unknown credential", "content": errorBody],
        "403": ["description": "A credential that does not open this route or this restaurant (the agent token on the restaurant side, another restaurant's key, a cookie request from a foreign origin)", "content": errorBody],
        "404": ["description": "Unknown or inactive restaurant, or unknown row", "content": errorBody],
        "409": ["description": "A change the row's state refuses (status transition)", "content": errorBody],
        "413": ["description": "Body over the route's limit", "content": errorBody],
        "415": ["description": "A body that is not JSON", "content": errorBody],
        "422": ["description": "A field present but unusable: not a number, out of its range, not finite (named in `field`)", "content": errorBody],
        "429": ["description": "Too many attempts (Retry-After)", "content": errorBody],
    ]

    static func op(_ summary: String, tag: String, params: [J] = [], body: J? = nil, security: [String] = ["agentToken"]) -> J {
        var o: [String: J] = [
            "summary": .string(summary), "tags": [.string(tag)],
            "responses": .object(["200": ok].merging(errors) { a, _ in a }),
            "security": .array(security.map { .object([$0: []]) }),
        ]
        if !params.isEmpty { o["parameters"] = .array(params) }
        if let body { o["requestBody"] = ["required": true, "content": ["application/json": ["schema": body]]] }
        return .object(o)
    }

    /// The restaurant side: a person's session or the restaurant's management key, never the agent token.
    static let restaurantSide = ["managementKey", "adminSession"]

    /// `op` with one more documented status.
    static func adding(_ op: J, _ status: String, _ description: String) -> J {
        guard case .object(var o) = op, case .object(var responses)? = o["responses"] else { return op }
        responses[status] = ["description": .string(description), "content": errorBody]
        o["responses"] = .object(responses)
        return .object(o)
    }
    /// The few restaurant-side routes the voice agent also reaches.
    static let agentOrManager = ["agentToken", "managementKey", "adminSession"]

    static var basePaths: [String: J] {
        let rid = ["restaurantId": str("Restaurant id (UUID).")]
        let order = obj(rid.merging([
            "order_type": str("pickup | delivery | dine_in"), "items": ["type": "array", "items": obj([
                "id": int("#N of the item (string accepted)"), "quantity": int("1…50"), "unit_price": num("Price the model announced (ignored)"),
                "selected_options": ["type": "array", "items": obj(["name": str("Option name"), "choice": str("Choice label"), "choice_id": int("#N of a formule pick"), "extra_price": num("ignored")])],
                "notes": str("Line note"),
            ], required: ["id"])],
            "total": num("Total the model announced; the server's is stored and returned"), "delivery_fee": num("ignored"),
            "payment_method": str("cash | card | online"), "notes": str("Order note"), "item_map": ["type": "object", "description": "`N → {id, name}` from /api/ai"],
            "call_id": str("Idempotency: the same call repeated returns the first result"), "customer_id": str(""), "customer_name": str(""),
            "caller_phone": str("Any form; normalized to E.164"), "last_availability_check": ["type": "object", "description": "check_availability's answer (estimatedTimeISO, deliveryDistanceKm, customerAddressFormatted, customerLat/Lng)"],
        ]) { $1 }, required: ["restaurantId", "order_type", "items"])
        let paths: [String: J] = [
            "/api/ai": ["get": op("Session configuration for one incoming call", tag: "session", params: [restaurantIdQuery, query("callerPhone", "Caller number, any form"), query("token", "Agent token (URL-only configuration)")])],
            "/api/ai/tools/confirm-order": ["post": op("confirm_order: price, number and store an order", tag: "tools", body: order)],
            "/api/ai/tools/cancel-order": ["post": op("cancel_order: the caller's own pending/confirmed order", tag: "tools", body: obj(rid.merging(["order_number": int("Order number"), "caller_phone": str("Caller number")]) { $1 }, required: ["restaurantId", "order_number", "caller_phone"]))],
            "/api/orders/status": ["get": op("check_order_status: the caller's orders of the last 24 h", tag: "tools", params: [restaurantIdQuery, query("phone", "Caller number", required: true)])],
            "/api/customers": [
                "post": op("save_customer_info: upsert by normalized phone", tag: "tools", body: obj(rid.merging([
                    "phone": str("Caller number"), "firstName": str(""), "deliveryAddress": str(""), "deliveryCity": str(""), "deliveryPostalCode": str(""),
                    "deliveryNotes": str(""), "deliveryLat": num(""), "deliveryLng": num(""),
                ]) { $1 }, required: ["restaurantId", "phone"])),
                "get": op("The restaurant's customers", tag: "restaurant", params: [restaurantIdQuery, query("phone", "Filter by number"), query("limit", "1…500")], security: restaurantSide),
            ],
            "/api/faq": [
                "post": op("log_new_faq: a question with the same meaning increments askCount", tag: "tools", body: obj(rid.merging(["question": str(""), "category": str(""), "callerPhone": str(""), "callId": str("")]) { $1 }, required: ["restaurantId", "question"])),
                "get": op("FAQ entries", tag: "restaurant", params: [restaurantIdQuery, query("status", "pending | answered | ignored")], security: restaurantSide),
                "patch": op("Answer, ignore or edit an entry (answered entries feed the prompt)", tag: "restaurant", body: obj(rid.merging(["id": str(""), "answer": str(""), "status": str(""), "question": str(""), "category": str("")]) { $1 }, required: ["restaurantId", "id"]), security: restaurantSide),
                "delete": op("Delete an entry", tag: "restaurant", params: [restaurantIdQuery, query("id", "Entry id", required: true)], security: restaurantSide),
            ],
            "/api/messages": [
                "post": op("leave_message", tag: "tools", body: obj(rid.merging(["content": str(""), "callerPhone": str(""), "callerName": str(""), "category": str(""), "isUrgent": bool(""), "callId": str("")]) { $1 }, required: ["restaurantId", "content"])),
                "get": op("Messages, unread and urgent first", tag: "restaurant", params: [restaurantIdQuery, query("unread", "true to list unread only")], security: restaurantSide),
                "patch": op("Mark read / urgent", tag: "restaurant", body: obj(rid.merging(["id": str(""), "isRead": bool(""), "isUrgent": bool("")]) { $1 }, required: ["restaurantId", "id"]), security: restaurantSide),
                "delete": op("Delete a message", tag: "restaurant", params: [restaurantIdQuery, query("id", "Message id", required: true)], security: restaurantSide),
            ],
            "/api/orders": [
                "get": op("Orders, newest first", tag: "restaurant", params: [restaurantIdQuery, query("status", "Comma-separated statuses"), query("orderType", "pickup | delivery | dine_in"), query("date", "Local day YYYY-MM-DD"), query("board", "Present: the service board (open orders since yesterday and today's finished ones)"), query("phone", "Customer number"), query("limit", "1…500")], security: restaurantSide),
                "patch": op("Change an order's status (forward only; no un-cancelling)", tag: "restaurant", body: obj(rid.merging(["id": str(""), "orderNumber": int(""), "status": str("")]) { $1 }, required: ["restaurantId", "status"]), security: restaurantSide),
            ],
            "/api/admin/me": ["get": op("The logged-in admin", tag: "admin", security: ["adminSession"])],
            "/api/admin/servers": ["get": op("sip-agent-server's workers and agents (queried server-side, in parallel, 3 s); offline → serverOnline:false and empty lists", tag: "admin", security: ["adminSession"])],
            "/api/members": [
                "get": op("The restaurant's members (owners, staff) and pending invitations; owners and platform admins", tag: "accounts", params: [restaurantIdQuery], security: ["adminSession"]),
                "post": op("Invite by e-mail (single-use link, 7 days; mailed with SMTP_URL, else returned as link): role staff (owners) or owner (platform admins); 201", tag: "accounts",
                           body: obj(rid.merging(["email": str(""), "role": str("staff | owner")]) { $1 }, required: ["restaurantId", "email"]), security: ["adminSession"]),
                "delete": op("Remove a member (not the last owner)", tag: "accounts", body: obj(rid.merging(["userId": str("")]) { $1 }, required: ["restaurantId", "userId"]), security: ["adminSession"]),
            ],
            "/api/admin/invitations": ["post": op("Invite a platform admin by e-mail; 201", tag: "accounts", body: obj(["email": str("")], required: ["email"]), security: ["adminSession"])],
            "/api/audit": ["get": op("The audit log, newest first: one restaurant's (owners), or every restaurant's without restaurantId (platform admins)", tag: "accounts",
                                     params: [query("restaurantId", "The restaurant (required but for platform admins)"), query("limit", "1…1000")], security: restaurantSide)],
            "/api/admin/push-brain": ["post": op("The original's brain push: the prompt and the 12 tools sent again to every agent (one PUT /api/agents/:id/brain each); answers {success, failed} counts", tag: "admin", security: ["adminSession"])],
            "/api/calls": [
                "post": op("End-of-call webhook from sip-agent-server (onCallEndWebhook, token in ?token= or as Bearer): the call record, idempotent by callId (or by its content without one; 201 first, 200 duplicate); 400 without restaurantId or finalContext.restaurant_id", tag: "integration",
                           params: [query("token", "The agent token, for the webhook URL sip-agent-server calls bare")], body: obj(rid.merging([
                    "callId": str(""), "finalContext": ["type": "object", "description": "restaurant_id, caller_phone…"], "callerPhone": str(""),
                    "startedAt": str("ISO"), "endedAt": str("ISO"), "durationSec": int(""), "durationMs": int(""), "outcome": str(""),
                    "tokens": ["type": "object", "description": "{input, output}"], "costs": ["type": "object", "description": "{usd, local}"],
                    "transcriptSummary": str(""),
                ]) { $1 })),
                "get": op("The restaurant's call log, newest first", tag: "restaurant", params: [restaurantIdQuery, query("limit", "1…500")], security: restaurantSide),
            ],
            "/api/sip/agents": ["get": adding(op("Active restaurants with their phone line (decrypted) for the SIP bridge; ALLORESTO_SERVICE_TOKEN as Bearer", tag: "integration", security: ["serviceToken"]), "503", "ALLORESTO_SERVICE_TOKEN is not configured: the route is off")],
            "/api/sip/incoming": ["post": adding(op("The SIP bridge's incoming-call hook (SIP-BRIDGE.md §5): {from, to, timestamp} → {action: accept, customParams.restaurantId} for the restaurant whose number or line is `to`, reject 603 for a blocked caller, 480 for a switched-off restaurant, accept without override for an unknown number; ALLORESTO_SERVICE_TOKEN as Bearer or ?token=", tag: "integration",
                params: [query("token", "The service token, for the hook URL the bridge calls bare")],
                body: obj(["from": str("Caller number or SIP URI"), "to": str("Dialed number or SIP URI"), "timestamp": str("ISO")], required: ["to"]), security: ["serviceToken"]),
                "503", "ALLORESTO_SERVICE_TOKEN is not configured: the route is off")],
            "/api/availability/check": ["post": op("check_availability: pickup/delivery through the kitchen planner, reservation through the booking rules", tag: "tools", body: obj(rid.merging([
                "mode": str("pickup | delivery | reservation"), "requestedTime": str("Local HH:MM (past today = tomorrow) or ISO; absent = as soon as possible"),
                "requestedDate": str("YYYY-MM-DD, demain, a weekday name"), "customerAddress": str(""), "customerCity": str(""), "customerPostalCode": str(""),
                "customerLat": num(""), "customerLng": num(""), "customerPhone": str("Saved coordinates of that customer are used"), "partySize": int(""),
                "seatingPreference": str(""), "orderSize": str("S | M | L (default M)"), "itemCount": int("Gives the size"),
            ]) { $1 }, required: ["restaurantId"]))],
            "/api/reservations": [
                "post": op("confirm_reservation: capacity re-checked in the creating transaction; 201 with a spoken message", tag: "tools", body: obj(rid.merging([
                    "callId": str("Idempotency"), "customerId": str(""), "customerName": str(""), "customerPhone": str(""), "partySize": int(""),
                    "reservationTime": str("ISO (from check_availability) or local HH:MM"), "reservationDate": str("With HH:MM: YYYY-MM-DD, demain, a weekday"),
                    "seatingPreference": str(""), "serviceId": str(""), "offerId": str(""), "notes": str(""),
                ]) { $1 }, required: ["restaurantId", "partySize", "reservationTime"])),
                "patch": op("cancel_reservation (status cancelled; the caller's own when a phone is given), a restaurant-side status change, or (restaurant side, no status) an edit: name, phone, notes, and a move to another time, date or party size checked like a new booking (refusals full, no_service, too_soon, not_movable…)", tag: "tools", body: obj(rid.merging([
                    "id": str("Reservation id"), "status": str("cancelled (default) | confirmed | seated | completed | no_show"), "callerPhone": str("Must be the reservation's"),
                    "customerName": str("Edit"), "customerPhone": str("Edit"), "notes": str("Edit"), "partySize": int("Move: 1…100"),
                    "reservationTime": str("Move: local HH:MM (24-hour clock) or ISO"), "reservationDate": str("Move: local YYYY-MM-DD"),
                ]) { $1 }, required: ["id"]), security: agentOrManager),
                "get": op("The restaurant's reservations of a local day", tag: "restaurant", params: [restaurantIdQuery, query("date", "Local YYYY-MM-DD (default today)"), query("days", "1…62"), query("status", "Comma-separated statuses")], security: restaurantSide),
            ],
            "/api/reservations/lookup": ["get": op("lookup_reservation: the caller's upcoming reservations", tag: "tools", params: [restaurantIdQuery, query("phone", "Caller number", required: true)])],
            "/api/planning/timeline": ["get": op("Kitchen timeline: use and capacity per 5-minute slot and resource", tag: "planning", params: [restaurantIdQuery, query("date", "Local day"), query("from", "HH:MM"), query("to", "HH:MM"), query("hours", "Span (default 6 h from now)")], security: restaurantSide)],
            "/api/planning/available-slots": ["get": op("Times the kitchen can still promise", tag: "planning", params: [restaurantIdQuery, query("mode", "pickup | delivery | dine_in"), query("size", "S | M | L"), query("travelMin", "Delivery minutes"), query("date", "Local day"), query("from", "HH:MM"), query("to", "HH:MM")], security: restaurantSide)],
            "/api/planning/external-loads": [
                "get": op("External loads (dine-in rush, incident, prep batch)", tag: "planning", params: [restaurantIdQuery, query("date", "Local day"), query("hours", "Span from now (default 48)")], security: restaurantSide),
                "post": op("Add a load", tag: "planning", body: obj(rid.merging(["kind": str("dine_in_rush | incident | prep_batch | other"), "startsAt": str("ISO"), "endsAt": str("ISO"), "start": str("HH:MM"), "end": str("HH:MM"), "date": str("YYYY-MM-DD"), "load": ["type": "object", "description": "{cuisine: 2, preparation: 1, …} units per slot"], "notes": str("")]) { $1 }, required: ["restaurantId", "load"]), security: restaurantSide),
                "patch": op("Change a load", tag: "planning", body: obj(rid.merging(["id": str(""), "kind": str(""), "startsAt": str(""), "endsAt": str(""), "load": ["type": "object"], "notes": str("")]) { $1 }, required: ["restaurantId", "id"]), security: restaurantSide),
                "delete": op("Delete a load", tag: "planning", params: [restaurantIdQuery, query("id", "Load id", required: true)], security: restaurantSide),
            ],
            "/api/planning/config": [
                "get": op("Planning settings in force (defaults + override)", tag: "planning", params: [restaurantIdQuery], security: restaurantSide),
                "put": op("Replace the planning override (null = defaults); validated, field named on error", tag: "planning", body: obj(rid.merging(["config": ["type": ["object", "null"], "description": "slotMin, horizonMin, maxShiftMin, capacity, bands, profiles, pickupBufferMin, deliveryBufferMin, roadFactor, deliverySpeedKmh"]]) { $1 }, required: ["restaurantId", "config"]), security: restaurantSide),
            ],
        ]
        return paths.merging(managementPaths) { a, _ in a }
    }

    /// The back office's APIs (admin session, or the restaurant's management key).
    static var managementPaths: [String: J] {
        let admin = ["adminSession", "managementKey"]
        let rid = ["restaurantId": str("Restaurant id (UUID).")]
        let idQuery = query("id", "Row id", required: true)
        func crud(_ what: String, _ fields: [String: J], required: [String]) -> J {
            [
                "get": op("List the restaurant's \(what)", tag: "management", params: [restaurantIdQuery], security: admin),
                "post": op("Create one of the restaurant's \(what)", tag: "management", body: obj(rid.merging(fields) { $1 }, required: ["restaurantId"] + required), security: admin),
                "patch": op("Change one of the restaurant's \(what) (fields present only)", tag: "management", body: obj(rid.merging(fields) { $1 }.merging(["id": str("Row id")]) { $1 }, required: ["restaurantId", "id"]), security: admin),
                "delete": op("Delete one of the restaurant's \(what)", tag: "management", params: [restaurantIdQuery, idQuery], security: admin),
            ]
        }
        let settings: [String: J] = [
            "name": str(""), "cuisineType": str(""), "address": str(""), "city": str(""), "postalCode": str(""), "country": str("ISO 2 letters"),
            "phone": str("Any form; stored E.164"), "email": str(""), "website": str(""), "lat": num(""), "lng": num(""),
            "timezone": str("IANA zone"), "currency": str("ISO 4217"), "defaultLocale": str(""),
            "openingHours": ["type": "object", "description": "Import format: {monday: {open, close, open2, close2} | null, …}"],
            "aiVoice": str(RestaurantSettings.voices.joined(separator: " | ")), "aiInstructions": str(""), "welcomeMessage": str(""),
            "paymentMethods": ["type": "array", "items": ["type": "string"]], "deliveryEnabled": bool(""), "deliveryRadiusKm": num(""),
            "deliveryFee": num("Decimal amount"), "deliveryFreeAbove": num("Decimal amount or null"), "minOrderAmount": num("Decimal amount"),
            "avgPrepTimeMin": int("1…240"), "reservationEnabled": bool(""), "totalSeats": int(""), "avgMealDurationMin": int(""),
            "minReservationAdvanceMin": int(""), "maxReservationAdvanceDays": int(""), "orderStatusEnabled": bool(""), "transferEnabled": bool(""),
            "transferPhoneNumber": str(""), "transferAutomatic": bool(""), "transferCases": ["type": "array", "items": ["type": "string"]],
            "aiCostMarginPct": num(""), "planningConfig": ["type": ["object", "null"]], "isActive": bool(""),
            "closures": ["type": ["array", "null"], "description": "Exceptional closures: [{from: YYYY-MM-DD, to?: YYYY-MM-DD, reason?}], whole local days",
                         "items": ["type": "object", "properties": ["from": str("YYYY-MM-DD"), "to": str("YYYY-MM-DD"), "reason": str("")]]],
            "ordersPaused": bool("true: no more orders until the end of tonight's service (staff may set it alone); false: orders again"),
        ]
        return [
            "/api/restaurants": [
                "get": op("All restaurants with their settings, or one (`restaurantId`)", tag: "management", params: [query("restaurantId", "One restaurant")], security: admin),
                "post": op("Create a restaurant (201, with its agent token shown once); provisioned in sip-agent-server", tag: "management", body: obj(settings, required: ["name"]), security: ["adminSession"]),
                "patch": op("Change settings (fields present only; unknown fields refused); bumps the version, re-provisions when the agent changes", tag: "management", body: obj(rid.merging(settings) { $1 }, required: ["restaurantId"]), security: admin),
            ],
            "/api/menu": [
                "get": op("Categories and items (formules: items without category)", tag: "management", params: [restaurantIdQuery], security: admin),
                "post": op("Add a category or an item", tag: "management", body: obj(rid.merging([
                    "type": str("category | item"), "name": str(""), "description": str(""), "price": num("Decimal amount"), "categoryId": str("null = formule"),
                    "isAvailable": bool(""), "isActive": bool("category"), "displayOrder": int(""), "allergens": ["type": "array"], "tags": ["type": "array"],
                    "options": ["type": "array", "description": "Import format; category_ref / item_refs hold ids"],
                ]) { $1 }, required: ["restaurantId", "type", "name"]), security: admin),
                "patch": op("Change a category or an item (price, availability, …)", tag: "management", body: obj(rid.merging(["id": str(""), "name": str(""), "price": num(""), "isAvailable": bool(""), "categoryId": str("")]) { $1 }, required: ["restaurantId", "id"]), security: admin),
                "delete": op("Delete a category (its items stay, unavailable, without category) or an item", tag: "management", params: [restaurantIdQuery, idQuery], security: admin),
            ],
            "/api/dining-services": crud("dining services", [
                "name": str(""), "daysOfWeek": ["type": "array", "items": ["type": "integer"], "description": "1 = Monday … 7"], "startTime": str("HH:MM"), "endTime": str("HH:MM"),
                "lastSeatingTime": str("HH:MM"), "maxCovers": int(""), "defaultDurationMin": int(""), "isActive": bool(""), "isPrivate": bool(""),
                "prepaymentRequired": bool(""), "prepaymentAmount": num(""),
            ], required: ["name", "startTime", "endTime", "maxCovers"]),
            "/api/offers": crud("offers", [
                "name": str(""), "description": str(""), "kind": str("menu | discount | event"), "price": num(""), "minPartySize": int(""),
                "maxPartySize": int(""), "validFrom": str("YYYY-MM-DD"), "validTo": str("YYYY-MM-DD"), "isActive": bool(""),
            ], required: ["name"]),
            "/api/rooms": crud("rooms", ["name": str(""), "displayOrder": int("")], required: ["name"]),
            "/api/tables": crud("tables", ["label": str(""), "seats": int(""), "roomId": str(""), "isActive": bool("")], required: ["label", "seats"]),
            "/api/phone-lines": [
                "get": op("The restaurant's SIP line (the password is never returned: hasPassword)", tag: "management", params: [restaurantIdQuery], security: admin),
                "put": op("Create or replace the SIP line; the password is encrypted on write (omit it to keep it)", tag: "management", body: obj(rid.merging([
                    "sipDomain": str(""), "sipUsername": str(""), "sipPassword": str("Write-only"), "isActive": bool(""),
                ]) { $1 }, required: ["restaurantId"]), security: admin),
            ],
            "/api/blocked-phones": [
                "get": op("Blocked numbers", tag: "management", params: [restaurantIdQuery], security: admin),
                "post": op("Block a number (any form, stored E.164)", tag: "management", body: obj(rid.merging(["phone": str(""), "reason": str("")]) { $1 }, required: ["restaurantId", "phone"]), security: admin),
                "delete": op("Unblock", tag: "management", params: [restaurantIdQuery, idQuery], security: admin),
            ],
            "/api/blocked-phones/check": ["get": op("Is this caller blocked? (any number form)", tag: "management", params: [restaurantIdQuery, query("phone", "Caller number", required: true)], security: agentOrManager)],
            "/api/management-keys": [
                "get": op("The restaurant's management keys (never the secret)", tag: "management", params: [restaurantIdQuery], security: ["adminSession"]),
                "post": op("Create a management key: 201 with the key, shown once", tag: "management", body: obj(rid.merging(["label": str("A name for the key")]) { $1 }, required: ["restaurantId", "label"]), security: ["adminSession"]),
                "delete": op("Revoke a management key", tag: "management", body: obj(rid.merging(["id": str("Key id")]) { $1 }, required: ["restaurantId", "id"]), security: ["adminSession"]),
            ],
            "/api/stats": ["get": op("A local day's calls, orders, revenue, reservations, covers, and per hour", tag: "management", params: [restaurantIdQuery, query("date", "YYYY-MM-DD (today by default)")], security: admin)],
        ]
    }

    static var document: J {
        let paths = basePaths
        return [
            "openapi": "3.1.0",
            "info": ["title": "AlloResto API", "version": "1.0.0", "description": "Session configuration and tool APIs for sip-agent-server, and the restaurant-side APIs."],
            "paths": .object(paths),
            "components": [
                "securitySchemes": [
                    "agentToken": ["type": "http", "scheme": "bearer", "description": "Agent token of sip-agent-server (art_…; also X-API-Key; ?token= on /api/ai only): the agent's tools only"],
                    "managementKey": ["type": "http", "scheme": "bearer", "description": "A restaurant's management key (arm_…; also X-API-Key): its management APIs, for scripts"],
                    "adminSession": ["type": "apiKey", "in": "cookie", "name": .string(AdminAccounts.cookieName)],
                    "serviceToken": ["type": "http", "scheme": "bearer", "description": "ALLORESTO_SERVICE_TOKEN (the SIP bridge)"],
                ],
                "schemas": ["Error": obj(["success": bool("Always false"), "error": str("Sentence"), "code": str("Machine code"), "field": str("The request field at fault, when there is one")], required: ["success", "error", "code"])],
            ],
        ]
    }

    static func register(on router: Router<AppContext>) {
        let bytes = JSONWriter.encoded(document)
        router.get("/openapi.json") { _, _ in
            ToolResponse.bytes(bytes)
        }
    }
}
