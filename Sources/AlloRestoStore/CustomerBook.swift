import AlloRestoCore
import FluentKit
import Foundation

/// A restaurant's customers, known by their E.164 phone number: looked up, listed, and their details saved
/// (`save_customer_info`).
public enum CustomerBook {
    /// The restaurant's customer with this phone, if known.
    public static func byPhone(restaurantId: UUID, phone: String, on db: any Database) async throws -> Customer? {
        try await Customer.query(on: db).filter(\.$restaurant.$id == restaurantId).filter(\.$phone == phone).first()
    }

    /// The restaurant's customers, most recent order first (`phone` narrows to one), at most `limit`.
    public static func list(restaurantId: UUID, phone: String?, limit: Int, on db: any Database) async throws -> [Customer] {
        var query = Customer.query(on: db).filter(\.$restaurant.$id == restaurantId)
        if let phone { query = query.filter(\.$phone == phone) }
        return try await query.sort(\.$lastOrderAt, .descending).limit(limit).all()
    }

    /// What a caller said about themselves; nil keeps the saved value.
    public struct Details: Sendable {
        public var firstName: String?
        public var deliveryAddress: String?
        public var deliveryCity: String?
        public var deliveryPostalCode: String?
        public var deliveryNotes: String?
        public init(firstName: String?, deliveryAddress: String?, deliveryCity: String?, deliveryPostalCode: String?, deliveryNotes: String?) {
            self.firstName = firstName
            self.deliveryAddress = deliveryAddress
            self.deliveryCity = deliveryCity
            self.deliveryPostalCode = deliveryPostalCode
            self.deliveryNotes = deliveryNotes
        }
    }

    /// The delivery coordinates to store with the details: kept, replaced, or cleared (a new address that could
    /// not be located must not keep the old address's point).
    public enum Coordinates: Sendable {
        case keep
        case set(GeoPoint)
        case clear
    }

    /// Creates or updates the customer with this phone in one transaction: only the details given are written.
    public static func save(restaurantId: UUID, phone: String, details d: Details, coordinates: Coordinates, on db: any Database) async throws -> Customer {
        try await db.transaction { tx in
            let c = try await Customer.findOrNew(restaurantId: restaurantId, phone: phone, on: tx)
            if let v = d.firstName { c.firstName = v }
            if let v = d.deliveryAddress { c.deliveryAddress = v }
            if let v = d.deliveryCity { c.deliveryCity = v }
            if let v = d.deliveryPostalCode { c.deliveryPostalCode = v }
            if let v = d.deliveryNotes { c.deliveryNotes = v }
            switch coordinates {
            case .keep: break
            case .set(let p):
                c.deliveryLat = p.lat
                c.deliveryLng = p.lng
            case .clear:
                c.deliveryLat = nil
                c.deliveryLng = nil
            }
            try await c.save(on: tx)
            return c
        }
    }
}
