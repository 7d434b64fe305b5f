import AlloRestoCore
import AlloRestoStore
import Foundation
import Hummingbird

/// `save_customer_info` (upsert by normalized phone) and the restaurant's customer list.
struct CustomerRoutes {
    let services: AppServices

    func register(on router: Router<AppContext>) {
        router.post("/api/customers") { request, context in try await self.save(request, context: context) }
        router.get("/api/customers") { request, _ in try await self.list(request) }
    }

    struct CustomerOut: Encodable {
        let id: String
        let phone: String
        let firstName: String?
        let deliveryAddress: String?
        let deliveryCity: String?
        let deliveryPostalCode: String?
        let deliveryNotes: String?
        let deliveryLat: Double?
        let deliveryLng: Double?
        let totalOrders: Int
        let totalSpent: Double
        let lastOrderAt: Date?

        init(_ c: Customer, currency: String) {
            id = c.id!.uuidString.lowercased()
            phone = c.phone
            firstName = c.firstName
            deliveryAddress = c.deliveryAddress
            deliveryCity = c.deliveryCity
            deliveryPostalCode = c.deliveryPostalCode
            deliveryNotes = c.deliveryNotes
            deliveryLat = c.deliveryLat
            deliveryLng = c.deliveryLng
            totalOrders = c.totalOrders
            totalSpent = Money.decimal(c.totalSpent, currency: currency)
            lastOrderAt = c.lastOrderAt
        }
    }

    func save(_ request: Request, context: AppContext) async throws -> Response {
        let body = try await ToolBody.read(request, context: context)
        let (session, _) = try await ToolAuth.authorize(
            token: AgentAuth.presentedToken(request), rawId: body.string("restaurantId", "restaurant_id"), services: services)
        let r = session.template.restaurant
        guard let rawPhone = body.string("phone", "caller_phone", "callerPhone") else {
            throw APIError(.unprocessableContent, code: "missing_phone", "Le champ phone est obligatoire.")
        }
        guard let phone = PhoneNumber.normalize(rawPhone, defaultCountry: r.country) else {
            return try ToolResponse.refusal(CallerWording.phoneInvalid)
        }
        let given = GeoPoint(lat: try body.double("deliveryLat", "delivery_lat", in: GeoPoint.latitudes),
                             lng: try body.double("deliveryLng", "delivery_lng", in: GeoPoint.longitudes))
        let db = services.database.db
        // Coordinates are written only with the address they belong to. The call context carries the saved
        // address's: a new address is geocoded (or left without coordinates), never given the old one's.
        let address = body.string("deliveryAddress", "delivery_address")
        var point: GeoPoint?
        var forget = false
        if let address {
            let existing = try await CustomerBook.byPhone(restaurantId: r.id, phone: phone, on: db)
            let savedPoint = GeoPoint(lat: existing?.deliveryLat, lng: existing?.deliveryLng)
            if let street = existing?.deliveryAddress, DeliveryQuote.same(address, street) {
                point = savedPoint
            } else if let given, given != savedPoint {
                point = given
            } else {
                forget = true
                if let geocoder = services.geocoder {
                    let full = [address, body.string("deliveryPostalCode", "delivery_postal_code"), body.string("deliveryCity", "delivery_city")].compactMap { $0 }.joined(separator: " ")
                    point = (try? await geocoder.geocode(full))??.point
                }
            }
        }
        // Only what the caller said is written: an omitted field keeps its saved value.
        let details = CustomerBook.Details(
            firstName: body.string("firstName", "first_name", "customer_name"), deliveryAddress: body.string("deliveryAddress", "delivery_address"),
            deliveryCity: body.string("deliveryCity", "delivery_city"), deliveryPostalCode: body.string("deliveryPostalCode", "delivery_postal_code"),
            deliveryNotes: body.string("deliveryNotes", "delivery_notes"))
        let coordinates: CustomerBook.Coordinates = point.map { .set($0) } ?? (forget ? .clear : .keep)
        let saved = try await CustomerBook.save(restaurantId: r.id, phone: phone, details: details, coordinates: coordinates, on: db)
        struct Saved: Encodable {
            let success = true
            let message: String
            let customer: CustomerOut
            let id: String
            let firstName: String?
        }
        let out = CustomerOut(saved, currency: r.currency)
        return try ToolResponse.json(Saved(message: CommunicationWording.saved(firstName: saved.firstName), customer: out, id: out.id, firstName: out.firstName))
    }

    func list(_ request: Request) async throws -> Response {
        let q = request.uri.queryParameters
        let session = try await RestaurantAccess.authorize(request, rawId: q["restaurantId"].map(String.init), services: services, need: .operateService)
        let r = session.template.restaurant
        let phone = q["phone"].map(String.init).flatMap { PhoneNumber.normalize($0, defaultCountry: r.country) }
        let limit = try ToolBody.queryInt(request, "limit", in: 1...500) ?? 100
        let rows = try await CustomerBook.list(restaurantId: r.id, phone: phone, limit: limit, on: services.database.db)
        struct List: Encodable { let success = true; let customers: [CustomerOut] }
        return try ToolResponse.json(List(customers: rows.map { CustomerOut($0, currency: r.currency) }))
    }
}
